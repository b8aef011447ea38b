"""Batch exports: python -m briefing <region-id> --year YYYY [--zone Z] [--format …] --out FILE."""
from __future__ import annotations

import argparse
import sys
import time

from briefing.gis import EXPORT_DATUMS

FORMATS = ("png", "pdf", "atlas", "xlsx", "gpkg", "geojson", "csv")
ZIP_SUFFIX = ".zip"  # --format geojson --out NAME.zip: a zip of one GeoJSON file per layer


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m briefing", description="Valley Atlas briefing exports")
    parser.add_argument("region", help="seed region id (heishui, yaan, qu, suining, guizhou), adcode or name")
    parser.add_argument("--year", type=int, required=True, help="2014-2020")
    parser.add_argument("--zone", help="zone id for a one-zone card (png/pdf)")
    parser.add_argument("--format", choices=FORMATS, default="png")
    parser.add_argument("--size", choices=["a4", "16:9"], default="a4", help="card format (png/pdf)")
    parser.add_argument("--dpi", type=int, default=200, help="PNG resolution")
    parser.add_argument("--lang", choices=["zh", "en"], default="zh")
    parser.add_argument("--review-number", help="审图号 to print on the card")
    parser.add_argument("--datum", choices=EXPORT_DATUMS, default="wgs84", help="GIS exports' datum")
    parser.add_argument("--layer", help="geojson: write only this layer (zones, belts, belt_corridors, villages)")
    parser.add_argument("--indicator", help="an indicator id of data/indicators.toml (or custom:…) for the card, atlas, "
                                            "workbook and CSV, e.g. monitored_people (default: the 2014-2020 "
                                            "registered poor population; needed after 2020)")
    parser.add_argument("--grid", action="store_true", help="draw a longitude/latitude grid on the card (png/pdf)")
    parser.add_argument("--no-terrain", action="store_true", help="no hillshade underlay from the DEM (png/pdf)")
    parser.add_argument("--out", required=True,
                        help="output file; for geojson, NAME.geojson is one FeatureCollection (every layer, each "
                             "feature's 'layer' property naming it, or only --layer) and NAME.zip one GeoJSON file "
                             "per layer")
    parser.add_argument("--workspace", help="the workspace GeoPackage whose layers replace the bundled ones "
                                            "(default: the app's, $VALLEY_ATLAS_WORKSPACE or "
                                            "~/.local/share/valley-atlas/workspace.gpkg)")
    return parser


def export(args) -> bytes:
    from geo.region_data import load_region_data
    from geo.workspace import Workspace

    workspace = Workspace(args.workspace or None)
    data = load_region_data(args.region, workspace=workspace)
    if args.format in ("png", "pdf"):
        from briefing.card import render_card

        user_dem = workspace.dem_path(data.region.key)
        dem = None
        if user_dem is not None and not args.no_terrain:
            from geo.terrain.dem import region_dem

            dem = region_dem(data.outline, user_dem=user_dem)
        return render_card(data, args.year, fmt=args.format, dpi=args.dpi, zone_id=args.zone, size=args.size,
                           lang=args.lang, review_number=args.review_number, grid=args.grid,
                           terrain=not args.no_terrain, dem=dem, indicator=args.indicator)
    if args.format == "atlas":
        from briefing.atlas import render_atlas

        def progress(done, total):
            print(f"page {done}/{total}", file=sys.stderr)

        return render_atlas(data, args.year, lang=args.lang, progress=progress, indicator=args.indicator)
    if args.format in ("xlsx", "csv"):
        from briefing.bundle import table_exports

        return table_exports(data, args.year, lang=args.lang, datum=args.datum, indicator=args.indicator)[args.format]
    from briefing.gis import export_layers, to_geojson, to_geojson_zip, to_geopackage
    from geo.villages import campaign_year

    layers = export_layers(data, campaign_year(args.year), datum=args.datum)
    if args.format == "gpkg":
        return to_geopackage(layers)
    if str(args.out).lower().endswith(ZIP_SUFFIX):
        if args.layer:
            to_geojson(layers, args.layer)  # refuses a layer that is not there, naming those that are
            layers = {args.layer: layers[args.layer]}
        print(f"{args.out}: a zip of {', '.join(f'{n}.geojson' for n in layers)}", file=sys.stderr)
        return to_geojson_zip(layers)
    return to_geojson(layers, args.layer)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    start = time.perf_counter()
    try:
        payload = export(args)
    except (LookupError, ValueError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
        print(f"error: {message}", file=sys.stderr)
        return 2
    with open(args.out, "wb") as fh:
        fh.write(payload)
    print(f"wrote {args.out}: {len(payload):,} bytes in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
