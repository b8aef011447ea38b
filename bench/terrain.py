"""Valley derivation for 黑水 (513228, six zones) at the DEM's 30″ and on 90 m and 30 m grids resampled from it.

Run: .venv/bin/python bench/terrain.py   (prints a table; never asserted on time)
The 90 m / 30 m grids are the 30″ DEM resampled bilinearly: they measure the cost of a user's finer DEM, not its
accuracy. Time is one run after a warm-up (numba kernels compiled and cached); memory is the peak traced by
tracemalloc (numpy arrays included) in a second run of the same derivation, plus the process's peak RSS at the end.
"""
from __future__ import annotations

import resource
import time
import tracemalloc
from pathlib import Path

HERE = Path(__file__).resolve().parent

REGION = "513228"
COUNT = 6
GRIDS = [("30″ (native)", None), ("90 m", 90.0), ("30 m", 30.0)]


def main() -> None:
    from geo.boundaries import load_boundary
    from geo.terrain.dem import region_dem
    from geo.terrain.hillshade import terrain_image
    from geo.terrain.valleys import (
        _outline_geometry,
        boundary_elevation_excess_m,
        derive_valley_zones,
        metric_dem,
        region_mask,
        tiling_quality,
    )

    outline = load_boundary(REGION)
    dem = region_dem(outline)
    derive_valley_zones(outline, dem, count=COUNT)  # warm-up: compile / load the cached kernels
    print(f"黑水 {REGION}, count={COUNT}, DEM: {dem.source}")
    print(f"{'grid':14} {'cells (region)':>15} {'cells (window)':>15} {'derive s':>9} {'peak MB':>8} "
          f"{'covered %':>10} {'overlap %':>10} {'ridge excess m':>15}")
    for label, cell_m in GRIDS:
        grid = metric_dem(dem, outline, cell_m=cell_m)
        region_cells = int(region_mask(grid, _outline_geometry(outline, grid.crs)).sum())
        start = time.perf_counter()
        zones = derive_valley_zones(outline, dem, count=COUNT, cell_m=cell_m)
        elapsed = time.perf_counter() - start
        tracemalloc.start()  # a second run for memory: tracing slows numpy allocation down
        derive_valley_zones(outline, dem, count=COUNT, cell_m=cell_m)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        quality = tiling_quality(zones, outline)
        excess = boundary_elevation_excess_m(zones, dem, outline)
        print(f"{label:14} {region_cells:>15,} {grid.array.size:>15,} {elapsed:>9.2f} {peak / 1e6:>8.0f} "
              f"{quality['covered_pct']:>10.3f} {quality['overlap_pct']:>10.5f} {excess:>15.0f}")
    start = time.perf_counter()
    image = terrain_image(dem)
    print(f"terrain image {image.width}×{image.height} px, {len(image.png) / 1e3:.0f} kB PNG: "
          f"{time.perf_counter() - start:.2f} s")
    print_basemap_images(outline)
    print(f"process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3:.0f} MB")


def print_basemap_images(outline) -> None:
    """Print what the offline terrain basemap inlines per seed region: render time, PNG and page bytes."""
    import base64

    from geo.boundaries import load_boundary
    from geo.terrain.dem import region_dem
    from geo.terrain.hillshade import display_elevation, terrain_image
    from layers.terrain import ElevationReadout

    print(f"\n{'basemap image':22} {'px':>10} {'render s':>9} {'PNG kB':>7} {'inline kB':>10} {'read-out kB':>12}")
    for code, name in (("513228", "黑水 heishui"), ("511800", "雅安 yaan"), ("511725", "渠县 qu"),
                       ("430527", "绥宁 suining")):
        region = outline if code == REGION else load_boundary(code)
        dem = region_dem(region)
        for px in (512, 1024):
            start = time.perf_counter()
            image = terrain_image(dem, max_side_px=px, outline=region, colors=256)  # as views/cache.py renders it
            elapsed = time.perf_counter() - start
            inline = len(base64.b64encode(image.png))
            readout = ElevationReadout(display_elevation(dem)).payload_bytes()
            print(f"{name:22} {f'{image.width}×{image.height}':>10} {elapsed:>9.2f} {len(image.png) / 1e3:>7.0f} "
                  f"{inline / 1e3:>10.0f} {readout / 1e3:>12.0f}")


if __name__ == "__main__":
    main()
