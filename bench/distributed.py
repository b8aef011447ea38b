"""A small distributed run of the coverage metrics with Dask + dask-geopandas, checked against one machine.

Install first (not part of `make test`): .venv/bin/pip install -r bench/requirements-distributed.txt
Run: .venv/bin/python bench/distributed.py [--villages 2000000] [--partitions 8]

Villages (synthetic, uniformly inside the 88 counties of 贵州) become a dask-geopandas frame partitioned along a
Hilbert curve (spatial_shuffle), so that a partition holds neighbouring villages. Each partition counts its
villages per zone with the same engine as the app (geo.coverage.engine via geo.coverage.zone_membership), with the zone set
broadcast to every task; the per-zone totals are the sum over partitions (a village sits in one partition, so it
is counted once). The totals must equal the single-machine answer exactly. Here the scheduler is Dask's local
one; on a cluster the same graph runs on `dask.distributed` workers (Client(address)) unchanged.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

import dask  # noqa: E402
import dask_geopandas  # noqa: E402
import geopandas as gpd  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from geo.coverage import zone_membership  # noqa: E402
from geo.crs import metric_crs  # noqa: E402
from geo.region_data import load_region_data  # noqa: E402


def synthetic_villages(zones: gpd.GeoDataFrame, n: int, seed: int = 7) -> gpd.GeoDataFrame:
    """n villages drawn uniformly inside the zones (area-weighted), as a WGS84 GeoDataFrame with the columns the
    membership needs."""
    import importlib.util

    # the benchmark's sampler, loaded under another name (a module called "coverage" would shadow a package)
    spec = importlib.util.spec_from_file_location("bench_coverage", HERE / "coverage.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    sample_in_polygons = bench.sample_in_polygons

    crs = metric_crs(zones)
    x, y = sample_in_polygons(zones.to_crs(crs).geometry.values, n, np.random.default_rng(seed))
    points = gpd.GeoSeries(gpd.points_from_xy(x, y), crs=crs).to_crs(4326)
    return gpd.GeoDataFrame({"village_id": np.arange(n).astype(str)}, geometry=points.values, crs=4326)


def counts_of(partition: gpd.GeoDataFrame, zones: gpd.GeoDataFrame) -> pd.Series:
    membership = zone_membership(zones, partition.reset_index(drop=True), engine="grid")
    return pd.Series(np.bincount(membership.zone_pos, minlength=len(zones)), index=zones["zone_id"])


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--villages", type=int, default=2_000_000)
    parser.add_argument("--partitions", type=int, default=8)
    args = parser.parse_args(argv)
    zones = load_region_data("guizhou").zones  # the 88 counties of 贵州 as zones
    start = time.perf_counter()
    villages = synthetic_villages(zones, args.villages)
    print(f"{args.villages:,} villages in {len(zones)} zones (sampled in {time.perf_counter() - start:.1f} s)")

    start = time.perf_counter()
    single = counts_of(villages, zones)
    single_s = time.perf_counter() - start

    start = time.perf_counter()
    frame = dask_geopandas.from_geopandas(villages, npartitions=args.partitions).spatial_shuffle(by="hilbert")
    zones_shared = dask.delayed(zones)  # broadcast once to every task
    parts = [dask.delayed(counts_of)(part, zones_shared) for part in frame.to_delayed()]
    total = dask.delayed(sum)(parts)
    distributed = total.compute(scheduler="threads")
    distributed_s = time.perf_counter() - start

    identical = single.equals(distributed.astype(single.dtype))
    print(f"one machine: {single_s:.2f} s; dask ({frame.npartitions} Hilbert partitions, local threads, shuffle "
          f"included): {distributed_s:.2f} s; per-zone totals identical: {'yes' if identical else 'NO'}")
    print(f"villages in a zone: {int(single.sum()):,} of {args.villages:,}")
    if not identical:
        raise SystemExit("the distributed totals differ from the single-machine ones")


if __name__ == "__main__":
    main()
