"""`python -m geo zones from-terrain REGION --count N --out FILE.geojson`: valley zones derived from the DEM (WGS84)."""
from __future__ import annotations

import argparse
import json
import sys


def add_parser(subparsers) -> argparse._SubParsersAction:
    """Add `zones from-terrain` to a `python -m geo` subparsers object; return the `zones` subparsers for more."""
    zones = subparsers.add_parser("zones", help="zones computed from data (from-terrain: valleys from the DEM)")
    zone_commands = zones.add_subparsers(dest="zones_command", required=True)
    p = zone_commands.add_parser(
        "from-terrain", help="derive valley zones (catchments that tile the region) from the DEM; GeoJSON in WGS84")
    p.add_argument("region", help="seed region id, 6-digit adcode or Chinese name, e.g. heishui, 513228 or 黑水县")
    how_many = p.add_mutually_exclusive_group(required=True)
    how_many.add_argument("--count", type=int, help="number of zones")
    how_many.add_argument("--min-area-km2", type=float, help="split valleys while both parts stay at least this large")
    p.add_argument("--stream-area-km2", type=float, help="catchment area (km²) where a stream starts "
                                                         "(default 1/400 of the region)")
    p.add_argument("--cell-m", type=float, help="metric grid cell (m); default: the DEM's own resolution")
    p.add_argument("--dem", help="your own DEM GeoTIFF (any CRS) instead of the national/bundled 30″ DEM")
    p.add_argument("--out", help="write the GeoJSON here and print a JSON summary (default: GeoJSON on stdout)")
    p.add_argument("--progress", action="store_true", help="print progress to stderr")
    p.set_defaults(run=run_from_terrain)
    return zone_commands


def run_from_terrain(args) -> str:
    """Derive the zones for `args.region`; return GeoJSON, or a JSON summary when writing to `args.out`."""
    from geo.boundaries import load_boundary
    from geo.regions import resolve_region
    from geo.terrain.dem import region_dem
    from geo.terrain.valleys import boundary_elevation_excess_m, derive_valley_zones, tiling_quality

    region = resolve_region(args.region)
    outline = load_boundary(region.adcode)
    dem = region_dem(outline, user_dem=args.dem)

    def progress(fraction: float, step: str) -> None:
        if args.progress:
            print(f"{fraction:4.0%} {step}", file=sys.stderr)

    zones = derive_valley_zones(outline, dem, count=args.count, min_area_km2=args.min_area_km2,
                                stream_area_km2=args.stream_area_km2, cell_m=args.cell_m, progress=progress)
    text = _rounded(zones).to_json(drop_id=True, ensure_ascii=False)
    if not args.out:
        return text
    with open(args.out, "w", encoding="utf-8") as fh:
        fh.write(text)
    quality = tiling_quality(zones, outline)
    summary = {
        "region": region.key, "out": args.out, "dem": dem.source, "zones": [
            {k: row[k] for k in ("zone_id", "name_zh", "name_en", "area_km2", "elevation_min_m", "elevation_max_m",
                                 "relief_m", "slope_mean_deg")} for _, row in zones.iterrows()],
        "covered_pct": round(quality["covered_pct"], 3), "overlap_pct": round(quality["overlap_pct"], 4),
        "boundary_elevation_excess_m": (round(boundary_elevation_excess_m(zones, dem, outline), 1)
                                        if len(zones) > 1 else None),
    }
    return json.dumps(summary, ensure_ascii=False, indent=2)


COORDINATE_DECIMALS = 6  # degrees: 1e-6° ≈ 0.1 m; shared edges round alike, so the zones still tile the region


def _rounded(zones):
    """Return zones with WGS84 coordinates rounded to COORDINATE_DECIMALS (smaller files, same tiling)."""
    import numpy as np
    import shapely

    geoms = shapely.transform(zones.geometry.values, lambda xy: np.round(xy, COORDINATE_DECIMALS))
    geoms = shapely.make_valid(geoms)
    return zones.set_geometry(geoms, crs=zones.crs)
