"""Command line over the same functions as the app: `python -m geo --help`."""
from __future__ import annotations

import argparse
import json
import sys

from geo.access.cli import add_parser as add_users_parser
from geo.access.cli import csv_text
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
    return csv_text(rows)


def _boundaries(args) -> str:
    frame = load_boundary(args.region)
    if args.format == "geojson":
        return frame.to_json(drop_id=True, ensure_ascii=False)
    flat = frame.drop(columns="geometry").assign(wkt=frame.geometry.to_wkt(rounding_precision=6))
    return csv_text(flat.to_dict("records"))


def _figures(args) -> str:
    region = load_registry().region(args.region)
    rows = [{
        "region": region.id, "figure": f.id, "label_zh": f.label_zh, "label_en": f.label_en,
        "value": None if f.garbled else f.value, "unit": f.unit, "year": f.year, "period": f.period,
        "qualifier": f.qualifier, "garbled": f.garbled, "raw": f.raw, "measures": f.measures, "source": f.source,
    } for f in region.figures]
    if args.format == "json":
        return json.dumps(rows, ensure_ascii=False, indent=2)
    return csv_text(rows)


def _metrics(args) -> str:
    from geo.coverage.report import metrics_report
    from geo.region_data import load_region_data
    from geo.villages import YEARS

    workspace = _workspace(args)
    data = load_region_data(args.region, workspace=workspace)
    if args.indicator or args.year not in YEARS:
        return _indicator_metrics(args, data, workspace)
    report = metrics_report(data, args.year, lang=args.lang)
    if args.format == "json":
        text = json.dumps(report, ensure_ascii=False, indent=2)
    elif args.format == "csv":
        rows = [{"region": report["region"], "year": report["year"], "illustrative": report["illustrative"],
                 **{k: (json.dumps(v, ensure_ascii=False) if isinstance(v, list) else v) for k, v in z.items()}}
                for z in report["zones"]]
        text = csv_text(rows)
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


def _indicator_metrics(args, data, workspace) -> str:
    """Per-zone and region values of indicators in a year (`--indicator ID|all`, or any year outside 2014-2020)."""
    from geo.coverage.indicators import indicator_report, region_indicator_table
    from geo.indicators import FIRST_YEAR, current_year, indicators_of, read_indicator_table, years_of

    if not FIRST_YEAR <= args.year <= current_year():
        raise ValueError(f"--year {args.year} is outside {FIRST_YEAR}-{current_year()}, the years the atlas holds")
    stored, registry = read_indicator_table(workspace, data.region.key)
    table = region_indicator_table(data.villages, data.region.key, stored)
    chosen = None if not args.indicator or "all" in args.indicator else list(dict.fromkeys(args.indicator))
    for indicator in chosen or []:
        registry.get(indicator)  # an unknown id is an error naming the known ones
    if chosen is None and not any(args.year in years_of(table, i) for i in indicators_of(table)):
        years = years_of(table)
        held = f"{years[0]}-{years[-1]}" if years else "none"
        raise ValueError(f"{data.region.key} has no indicator values for {args.year} (years with values: {held}); "
                         "import a table of village indicators for that year into the workspace (--workspace)")
    report = indicator_report(data, table, args.year, indicators=chosen, registry=registry, month=args.month,
                              lang=args.lang)
    if args.format == "json":
        text = json.dumps(report, ensure_ascii=False, indent=2)
    elif args.format == "csv":
        rows = []
        for entry in report["indicators"]:
            common = {"region": report["region"], "year": report["year"], "month": entry["month"],
                      "illustrative": report["illustrative"], "indicator": entry["indicator"],
                      "indicator_name": entry["name"], "unit": entry["unit"]}
            rows += [{**common, "zone_id": z["zone_id"], "zone": z["name"], "value": z["value"],
                      "villages_reporting": z["villages_reporting"]} for z in entry["zones"]]
            rows.append({**common, "zone_id": "", "zone": "全区域" if args.lang == "zh" else "whole region",
                         "value": entry["region_value"], "villages_reporting": entry["union"]["villages_reporting"]})
        text = csv_text(rows)
    else:
        raise ValueError("--format xlsx writes the 2014-2020 coverage workbook; for indicators use json or csv")
    if args.out:
        with open(args.out, "w", encoding="utf-8-sig" if args.format == "csv" else "utf-8", newline="") as fh:
            fh.write(text)
        return ""
    return text


def _import(args) -> str:
    from pathlib import Path

    from geo.boundaries import load_boundary
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
    if args.kind == "dem":
        return _import_dem(args, region, path, boundary)
    if args.kind == "villages":
        return _import_villages(args, region, path, data, boundary)
    report = import_zone_file(data, path.name, region_boundary=boundary, datum=args.datum,
                              default_half_width_km=args.half_width_km)
    result = report.as_dict(args.lang)
    args.exit_code = 1 if report.errors else 0
    if not report.errors and not args.dry_run:
        from geo.access.cli import command_actor
        from geo.workspace import Workspace

        workspace = Workspace(args.workspace)
        actor = command_actor(workspace, args.user)
        result["saved"] = {"workspace": workspace.location, "layer": "zones", "region": region.key,
                           "version": workspace.save_import(report, "zones", region.key, actor=actor)}
    return json.dumps(result, ensure_ascii=False, indent=2)


def _import_villages(args, region, path, data: bytes, boundary) -> str:
    """Validate a village file (every row, one report) and save it whole: villages placed or unplaced, or with
    --place the locations of villages already saved."""
    from geo.coverage.membership import ASSIGNED_ZONE_PREFIX
    from geo.ingest.indicators import parse_units
    from geo.ingest.villages import import_village_file, locate_villages
    from geo.region_data import load_region_data
    from geo.workspace import Workspace

    workspace = Workspace(args.workspace) if args.workspace else None
    data_now = load_region_data(region.key, workspace=workspace)
    units = parse_units(args.unit)
    if args.indicators_only:
        return _import_indicators(args, region, path, data, data_now, workspace, units)
    zones = data_now.zones[~data_now.zones["zone_id"].astype(str).str.startswith(ASSIGNED_ZONE_PREFIX)]
    report = import_village_file(data, path.name, region_boundary=boundary, datum=args.datum,
                                 region_adcode=region.adcode, sheet=args.sheet, crs=args.crs,
                                 region_zones=zones, apply_suggested_codes=args.apply_suggested_codes,
                                 region=region.key, units=units,
                                 poverty_rule="poor_people" if args.poverty_from_poor else "none")
    located = None
    if args.place and not report.errors:
        own = workspace.read("villages", region.key) if workspace is not None else None
        existing = None if own is None or not len(own) else data_now.villages
        located = locate_villages(existing, report)
    result = report.as_dict(args.lang)
    args.exit_code = 1 if report.errors else 0  # warnings never fail: the file is saved whole
    if not report.errors and not args.dry_run:
        from geo.access.cli import command_actor

        actor = command_actor(workspace, args.user)
        if located is not None:
            version = workspace.save("villages", region.key, located, source=f"{path.name} (locations)", actor=actor)
            result["saved"] = {"workspace": workspace.location, "layer": "villages", "region": region.key,
                               "version": version, "placed": len(located)}
        else:
            result["saved"] = {"workspace": workspace.location, "layer": "villages", "region": region.key,
                               "version": workspace.save_import(report, "villages", region.key, actor=actor),
                               "villages": report.rows_ok, "unplaced": report.unplaced,
                               "indicator_values": result["indicator_values"]}
    return json.dumps(result, ensure_ascii=False, indent=2)


def _import_indicators(args, region, path, data: bytes, data_now, workspace, units) -> str:
    """Validate a file of village figures keyed by id, code or name against the region's villages (seed or saved)
    and save them as indicator values; the villages stay as they are."""
    from geo.ingest.indicators import import_indicator_file

    provenance = "illustrative" if "示意" in path.name else "user"
    report = import_indicator_file(data, path.name, region=region.key, villages=data_now.villages, units=units,
                                   provenance=provenance, sheet=args.sheet)
    result = report.as_dict(args.lang)
    args.exit_code = 1 if report.errors else 0
    if not report.errors and not args.dry_run:
        from geo.access.cli import command_actor

        actor = command_actor(workspace, args.user)
        version = workspace.save_indicators(region.key, report.indicators, report.indicator_definitions,
                                            source=path.name, actor=actor, action="import")
        result["saved"] = {"workspace": workspace.location, "layer": "indicators", "region": region.key,
                           "version": version, "indicator_values": len(report.indicators)}
    return json.dumps(result, ensure_ascii=False, indent=2)


def _import_dem(args, region, path, boundary) -> str:
    """Check a DEM GeoTIFF over a region and store it in the workspace as that region's elevation."""
    from geo.terrain.dem import check_user_dem

    summary = check_user_dem(path, boundary)  # NoDemError (a ValueError) names what is wrong
    result = {"file": path.name, "region": region.key, "errors": [], **summary}
    if not args.dry_run:
        from geo.access.cli import command_actor
        from geo.workspace import Workspace

        workspace = Workspace(args.workspace)
        actor = command_actor(workspace, args.user)
        result["saved"] = {"workspace": workspace.location, "layer": "dem", "region": region.key,
                           "version": workspace.save_dem(region.key, path, source=path.name, crs=summary["crs"],
                                                         actor=actor),
                           "file": str(workspace.dem_path(region.key))}
    return json.dumps(result, ensure_ascii=False, indent=2)


def _workspace(args):
    """Return the workspace the command reads: --workspace, else the app's ($VALLEY_ATLAS_WORKSPACE or default)."""
    from geo.workspace import Workspace

    return Workspace(args.workspace or None)




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
    p.add_argument("--year", type=int, required=True,
                   help="2014-2020 for the coverage report; any year from 2014 to now with --indicator")
    p.add_argument("--indicator", action="append", metavar="ID",
                   help="per-zone and region values of an indicator of data/indicators.toml (or custom:…) instead "
                        "of the coverage report; repeat it, or 'all' for every indicator with values in the year "
                        "(the default for a year after 2020)")
    p.add_argument("--month", type=int, choices=range(1, 13), metavar="1-12",
                   help="with --indicator: the month's figures (default: the year's figure, i.e. its latest month)")
    p.add_argument("--format", choices=["json", "csv", "xlsx"], default="json")
    p.add_argument("--lang", choices=["zh", "en"], default="zh")
    p.add_argument("--out", help="write to this file instead of stdout (required for xlsx)")
    p.add_argument("--workspace", help=WORKSPACE_HELP)
    p.set_defaults(run=_metrics)
    p = sub.add_parser("import", help="validate a file of villages, zones or elevation (a JSON report: errors, "
                                      "warnings, rows_ok) and save it to a workspace")
    p.add_argument("kind", choices=["villages", "zones", "dem"], help="what the file holds")
    p.add_argument("file", help="villages: CSV (UTF-8 / GBK detected), XLSX, GeoJSON, KML, GeoPackage or zipped "
                                "Shapefile; zones: GeoJSON, KML, GeoPackage or zipped Shapefile; dem: a GeoTIFF "
                                "of elevations in metres, any CRS, covering the region (replaces the bundled "
                                "30″ DEM for that region)")
    p.add_argument("--region", required=True, help="seed region id, 6-digit adcode or Chinese name")
    p.add_argument("--datum", choices=DATUMS, default="wgs84",
                   help="datum of coordinates given in degrees (gcj02: 高德/腾讯, bd09: 百度)")
    p.add_argument("--crs", default="auto",
                   help="villages: how to read the coordinate columns — auto (detected, reported as 'read as …'), "
                        "degrees, or the EPSG code of projected metres (e.g. 4543: CGCS2000 3° GK, CM 102°E)")
    p.add_argument("--sheet", help="villages: the worksheet of a workbook (name, or 0-based position)")
    p.add_argument("--poverty-from-poor", action="store_true",
                   help="villages: a file without a 贫困村 column takes the villages with poor people in any year as "
                        "poverty villages (reported as an assumption); without it none is a poverty village (reported)")
    p.add_argument("--apply-suggested-codes", action="store_true",
                   help="villages: take the NBS 2023 code suggested for rows without one")
    p.add_argument("--place", action="store_true",
                   help="villages: the file gives locations of villages already in the workspace, keyed by code, "
                        "township + name, or name; only those villages are updated")
    p.add_argument("--indicators-only", action="store_true",
                   help="villages: the file holds only figures (监测对象户数 …, wide or with a 统计时点 column) keyed by "
                        "village id, code or name; they are saved as indicator values of the region's villages, "
                        "which stay as they are")
    p.add_argument("--unit", action="append", metavar="COLUMN=UNIT",
                   help="villages: import a numeric column no registry indicator claims as a custom indicator in "
                        "this unit (e.g. --unit 合作社数=个); repeat for more columns")
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
