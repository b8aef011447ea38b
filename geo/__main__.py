"""Command line over the same functions as the app: `python -m geo --help`."""
from __future__ import annotations

import argparse
import csv
import io
import json
import sys

from geo.access.cli import add_parser as add_users_parser
from geo.boundaries import BoundaryLookupError, load_boundary
from geo.crs import DATUMS
from geo.errors import WorkspaceError
from geo.regions import load_registry
from geo.terrain.cli import add_parser as add_terrain_parser
from geo.zones import DEFAULT_HALF_WIDTH_KM


def _regions(args) -> str:
    rows = [{"id": r.id, "name_zh": r.name_zh, "name_en": r.name_en, "adcode": r.adcode, "level": r.level}
            for r in load_registry().regions]
    if args.format == "json":
        return json.dumps(rows, ensure_ascii=False, indent=2)
    return _csv(rows)


def _boundaries(args) -> str:
    frame = load_boundary(args.region)
    if args.format == "geojson":
        return frame.to_json(drop_id=True, ensure_ascii=False)
    flat = frame.drop(columns="geometry").assign(wkt=frame.geometry.to_wkt(rounding_precision=6))
    return _csv(flat.to_dict("records"))


def _figures(args) -> str:
    region = load_registry().region(args.region)
    rows = [{
        "region": region.id, "figure": f.id, "label_zh": f.label_zh, "label_en": f.label_en,
        "value": None if f.garbled else f.value, "unit": f.unit, "year": f.year, "period": f.period,
        "qualifier": f.qualifier, "garbled": f.garbled, "raw": f.raw, "measures": f.measures, "source": f.source,
    } for f in region.figures]
    if args.format == "json":
        return json.dumps(rows, ensure_ascii=False, indent=2)
    return _csv(rows)


def _metrics(args) -> str:
    from geo.coverage.report import metrics_report
    from geo.region_data import load_region_data

    report = metrics_report(load_region_data(args.region, workspace=_workspace(args)), args.year, lang=args.lang)
    if args.format == "json":
        text = json.dumps(report, ensure_ascii=False, indent=2)
    elif args.format == "csv":
        rows = [{"region": report["region"], "year": report["year"], "illustrative": report["illustrative"],
                 **{k: (json.dumps(v, ensure_ascii=False) if isinstance(v, list) else v) for k, v in z.items()}}
                for z in report["zones"]]
        text = _csv(rows)
    else:
        if not args.out:
            raise ValueError("--format xlsx writes a file: give --out FILE.xlsx")
        from briefing.workbook import write_metrics_workbook  # the CLI is an entry point: it may use briefing

        write_metrics_workbook(report, args.out, lang=args.lang)
        return ""
    if args.out:
        with open(args.out, "w", encoding="utf-8-sig" if args.format == "csv" else "utf-8", newline="") as fh:
            fh.write(text)
        return ""
    return text


def _import(args) -> str:
    from pathlib import Path

    from geo.boundaries import load_boundary
    from geo.ingest.villages import import_village_file
    from geo.ingest.zones import import_zone_file
    from geo.regions import resolve_region

    if not args.dry_run and not args.workspace:
        raise ValueError("say where to save: --workspace PATH (a GeoPackage) or URL (postgresql://…), "
                         "or --dry-run to validate only")
    region = resolve_region(args.region)
    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror}") from None
    boundary = load_boundary(region.adcode)
    if args.kind == "villages":
        report = import_village_file(data, path.name, region_boundary=boundary, datum=args.datum,
                                     region_adcode=region.adcode)
        layer = "villages"
    else:
        report = import_zone_file(data, path.name, region_boundary=boundary, datum=args.datum,
                                  default_half_width_km=args.half_width_km)
        layer = "zones"
    result = report.as_dict(args.lang)
    args.exit_code = 1 if report.errors else 0
    if not report.errors and not args.dry_run:
        from geo.access.cli import command_actor
        from geo.workspace import Workspace

        workspace = Workspace(args.workspace)
        actor = command_actor(workspace, args.user)
        result["saved"] = {"workspace": workspace.location, "layer": layer, "region": region.key,
                           "version": workspace.save_import(report, layer, region.key, actor=actor)}
    return json.dumps(result, ensure_ascii=False, indent=2)


def _workspace(args):
    """Return the workspace the command reads: --workspace, else the app's ($VALLEY_ATLAS_WORKSPACE or default)."""
    from geo.workspace import Workspace

    return Workspace(args.workspace or None)


def _csv(rows: list[dict]) -> str:
    buffer = io.StringIO()
    if rows:
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return buffer.getvalue()


WORKSPACE_HELP = ("the workspace whose layers replace the bundled ones, a GeoPackage path or a postgresql:// URL (default: the app's, "
                  "$VALLEY_ATLAS_WORKSPACE or ~/.local/share/valley-atlas/workspace.gpkg)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m geo", description="Valley Atlas (沟域经济地图) command line")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("regions", help="list the seed regions (ids and names)")
    p.add_argument("--format", choices=["csv", "json"], default="csv")
    p.set_defaults(run=_regions)
    p = sub.add_parser("boundaries", help="one division's boundary in WGS84 (GeoJSON on stdout by default)")
    p.add_argument("region", help="6-digit adcode or Chinese name, e.g. 513228 or 黑水县")
    p.add_argument("--format", choices=["geojson", "csv"], default="geojson")
    p.set_defaults(run=_boundaries)
    p = sub.add_parser("figures", help="a seed region's published figures with their sources")
    p.add_argument("region", help="seed region id: heishui, yaan, qu, suining, guizhou")
    p.add_argument("--format", choices=["json", "csv"], default="json")
    p.set_defaults(run=_figures)
    p = sub.add_parser("metrics", help="coverage of a region in a year: zones, union, gaps, published vs computed")
    p.add_argument("region", help="seed region id, 6-digit adcode or Chinese name")
    p.add_argument("--year", type=int, required=True, help="2014-2020")
    p.add_argument("--format", choices=["json", "csv", "xlsx"], default="json")
    p.add_argument("--lang", choices=["zh", "en"], default="zh")
    p.add_argument("--out", help="write to this file instead of stdout (required for xlsx)")
    p.add_argument("--workspace", help=WORKSPACE_HELP)
    p.set_defaults(run=_metrics)
    p = sub.add_parser("import", help="validate a file of villages or zones (a JSON report: errors, warnings, "
                                      "rows_ok) and save it to a workspace")
    p.add_argument("kind", choices=["villages", "zones"], help="what the file holds")
    p.add_argument("file", help="villages: CSV (UTF-8 / GBK detected), XLSX, GeoJSON, KML, GeoPackage or zipped "
                                "Shapefile; zones: GeoJSON, KML, GeoPackage or zipped Shapefile")
    p.add_argument("--region", required=True, help="seed region id, 6-digit adcode or Chinese name")
    p.add_argument("--datum", choices=DATUMS, default="wgs84",
                   help="datum of coordinates given in degrees (gcj02: 高德/腾讯, bd09: 百度)")
    p.add_argument("--half-width-km", type=float, default=DEFAULT_HALF_WIDTH_KM, help="zones: half-width of belts without one")
    p.add_argument("--lang", choices=["en", "zh"], default="en", help="language of the report's messages")
    p.add_argument("--dry-run", action="store_true", help="validate only; nothing is written")
    p.add_argument("--workspace", help="the workspace to save to: a GeoPackage path or a postgresql:// URL "
                                       "(replaces the region's layer; undo from the data page)")
    p.add_argument("--user", help="the account that imports (an editor of the region); password from "
                                  "VALLEY_ATLAS_PASSWORD or a prompt. Required for a PostgreSQL workspace and once "
                                  "a GeoPackage workspace has accounts")
    p.set_defaults(run=_import)
    add_terrain_parser(sub)
    add_users_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        output = args.run(args)
    except (BoundaryLookupError, KeyError, ValueError, PermissionError, WorkspaceError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
        print(f"error: {message}", file=sys.stderr)
        return 2
    if output:
        sys.stdout.write(output if output.endswith("\n") else output + "\n")
    return getattr(args, "exit_code", 0)


if __name__ == "__main__":
    sys.exit(main())
