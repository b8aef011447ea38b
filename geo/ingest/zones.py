"""Importing a planner's own zones and belts from GeoJSON, KML, GeoPackage or a zipped Shapefile.

Polygons become valley zones (沟域), lines become belts (产业带) with a half-width (from a column, or the default the
user picks). Any CRS the file declares is reprojected; a file without one must be in degrees. Invalid polygons are
repaired with make_valid and the repair is reported. One report lists every problem by feature number.
"""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.crs import DATUMS, convert_datum
from geo.errors import SchemaError
from geo.ingest.files import read_vector
from geo.ingest.villages import ImportReport, failed_import, normalise_header
from geo.zones import DEFAULT_HALF_WIDTH_KM, MAX_HALF_WIDTH_KM, validate_zones

ZONE_ALIASES: dict[str, tuple[str, ...]] = {
    "zone_id": ("zone_id", "id", "编号", "代码", "fid_1"),
    "name_zh": ("name_zh", "name", "名称", "沟域名称", "产业带名称", "沟域", "产业带", "名字", "zone"),
    "name_en": ("name_en", "英文名", "english"),
    "industries": ("industries", "industry", "产业", "主导产业", "特色产业", "产业类型"),
    "kind": ("kind", "type", "类型", "类别"),
    "half_width_km": ("half_width_km", "halfwidth", "半宽", "半宽km", "半宽公里", "缓冲半径", "缓冲半径km", "buffer_km"),
}
KIND_WORDS = {"valley": "valley", "沟域": "valley", "沟": "valley", "belt": "belt", "产业带": "belt", "带": "belt",
              "park": "park", "现代农业产业园": "park", "农业产业园": "park", "产业园": "park", "园区": "park"}


def guess_zone_mapping(frame: pd.DataFrame) -> dict[str, str]:
    """Return {canonical field: source column} for the zone headers that match a known spelling.

    Columns with no value at all are skipped (a KML has an empty Name when the names sit in ExtendedData).
    """
    mapping: dict[str, str] = {}
    filled = [c for c in frame.columns if c != "geometry" and frame[c].map(_has_value).any()]
    by_normal = {normalise_header(c): c for c in filled}
    for canonical, aliases in ZONE_ALIASES.items():
        for alias in aliases:
            column = by_normal.get(normalise_header(alias))
            if column is not None and column not in mapping.values():
                mapping[canonical] = column
                break
    return mapping


def _has_value(value) -> bool:
    return not (value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value))
                or (isinstance(value, str) and not value.strip()))


def import_zones(frame: gpd.GeoDataFrame, *, file_name: str, region_boundary: gpd.GeoDataFrame | None = None,
                 datum: str = "wgs84", mapping: dict[str, str] | None = None,
                 default_half_width_km: float = DEFAULT_HALF_WIDTH_KM, id_prefix: str = "user") -> ImportReport:
    """Validate a layer of zones/belts (its own CRS); return one report and, without errors, WGS84 zones.

    A chain of named steps: check_layer (datum, features, CRS -> WGS84) -> per feature zone_geometry (kind,
    repair) -> zone_half_width (belts) -> zone_record (id, name, industries) -> build_zones (schema). datum applies
    to files in degrees only (a GCJ-02 trace from a Gaode map is shifted to WGS84).
    """
    mapping = dict(mapping or guess_zone_mapping(frame))
    report = ImportReport(file=file_name, mapping=mapping, row_label="feature")
    frame = check_layer(report, frame, datum)
    if frame is None:
        return report
    if "name_zh" not in mapping:
        report.add("warning", None, "name", "no_zone_name", aliases=", ".join(ZONE_ALIASES["name_zh"]))
    region = None
    if region_boundary is not None:
        region = shapely.union_all(region_boundary.to_crs(4326).geometry.values)
    records, seen, used_default_width = [], set(), []
    for i, geom in enumerate(frame.geometry.values):
        feature = i + 1
        shape = zone_geometry(report, frame, mapping, i, geom)
        if shape is None:
            continue
        geom, kind = shape
        half_width = zone_half_width(report, frame, mapping, i, kind, default_half_width_km, used_default_width)
        if half_width is None:
            continue
        record = zone_record(report, frame, mapping, i, geom, kind, half_width, file_name, id_prefix, seen)
        if record is None:
            continue
        if region is not None and not geom.intersects(region):
            report.add("warning", feature, "geometry", "zone_outside_region")
        records.append(record)
    if used_default_width:
        report.add("warning", None, "half_width_km", "default_half_width", count=len(used_default_width),
                   width=float(default_half_width_km))
    build_zones(report, records, file_name)
    return report


def check_layer(report: ImportReport, frame: gpd.GeoDataFrame, datum: str) -> gpd.GeoDataFrame | None:
    """Return the layer in WGS84 (a file without a CRS taken as degrees when its values are), or None with the
    error that stops the import: an unknown datum, no features, or projected values without a CRS."""
    if datum not in DATUMS:
        report.add("error", None, None, "unknown_datum", datum=datum, choices=", ".join(DATUMS))
        return None
    if len(frame) == 0:
        report.add("error", None, None, "no_features")
        return None
    frame = frame.reset_index(drop=True)
    if frame.crs is None:
        bounds = frame.total_bounds
        if np.all(np.isfinite(bounds)) and bounds[0] >= -180 and bounds[2] <= 180 and bounds[1] >= -90 and \
                bounds[3] <= 90:
            report.add("warning", None, "CRS", "no_crs_degrees")
            frame = frame.set_crs(4326)
        else:
            report.add("error", None, "CRS", "no_crs_projected", x=float(bounds[0]), y=float(bounds[1]))
            return None
    geographic = frame.crs.is_geographic
    frame = frame.to_crs(4326)
    if geographic and datum in ("gcj02", "bd09"):
        frame = frame.set_geometry(convert_datum(frame.geometry, datum, "wgs84"))
    return frame


def _text(frame: gpd.GeoDataFrame, mapping: dict, field: str, i: int, default: str = "") -> str:
    if field not in mapping:
        return default
    value = frame[mapping[field]].iloc[i]
    return str(value).strip() if _has_value(value) else default


def zone_geometry(report: ImportReport, frame: gpd.GeoDataFrame, mapping: dict, i: int, geom):
    """Return (geometry, kind) of feature i — polygons are valleys (invalid ones repaired and reported), lines are
    belts — or None with its error (no geometry, points, a declared kind the geometry contradicts)."""
    feature = i + 1
    if geom is None or geom.is_empty:
        report.add("error", feature, "geometry", "no_geometry")
        return None
    declared = KIND_WORDS.get(_text(frame, mapping, "kind", i).lower()) if "kind" in mapping else None
    polygon_like = geom.geom_type in ("Polygon", "MultiPolygon")
    line_like = geom.geom_type in ("LineString", "MultiLineString")
    if geom.geom_type == "GeometryCollection":
        parts = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
        if parts:
            geom, polygon_like = shapely.union_all(parts), True
    if not (polygon_like or line_like):
        report.add("error", feature, "geometry", "not_a_zone_geometry", geom=geom.geom_type)
        return None
    kind = "valley" if polygon_like else "belt"
    if polygon_like and declared == "park":
        kind = "park"  # a park is a polygon too; only its declared kind tells it from a valley
    if declared and declared != kind:
        report.add("error", feature, mapping["kind"], "kind_mismatch", kind=_text(frame, mapping, "kind", i),
                   geom=geom.geom_type)
        return None
    if polygon_like and not geom.is_valid:
        reason = shapely.is_valid_reason(geom)
        repaired = shapely.make_valid(geom)
        polygons = [g for g in shapely.get_parts(repaired) if g.geom_type in ("Polygon", "MultiPolygon")]
        if not polygons:
            report.add("error", feature, "geometry", "invalid_unrepairable", reason=reason)
            return None
        geom = shapely.union_all(polygons)
        report.add("warning", feature, "geometry", "invalid_repaired", reason=reason, area=_area_km2(geom))
    return geom, kind


def zone_half_width(report: ImportReport, frame: gpd.GeoDataFrame, mapping: dict, i: int, kind: str,
                    default_km: float, used_default: list[int]) -> float | None:
    """Return a belt's half-width in km (from its column, else the default, noted in used_default), NaN for a
    valley, or None with the error of a value that is not a number or out of range."""
    if kind != "belt":
        return np.nan
    feature = i + 1
    raw = _text(frame, mapping, "half_width_km", i)
    if not raw:
        used_default.append(feature)
        return float(default_km)
    try:
        half_width = float(raw)
    except ValueError:
        report.add("error", feature, mapping["half_width_km"], "half_width_not_number", value=raw)
        return None
    if not 0 < half_width <= MAX_HALF_WIDTH_KM:
        report.add("error", feature, mapping["half_width_km"], "half_width_range", value=half_width,
                   limit=MAX_HALF_WIDTH_KM)
        return None
    return half_width


def zone_record(report: ImportReport, frame: gpd.GeoDataFrame, mapping: dict, i: int, geom, kind: str,
                half_width: float, file_name: str, id_prefix: str, seen: set) -> dict | None:
    """Return feature i as a zone record (id, names, industries split on 、;,，), or None for a repeated id."""
    feature = i + 1
    zone_id = _text(frame, mapping, "zone_id", i) or f"{id_prefix}-{feature}"
    if zone_id in seen:
        report.add("error", feature, mapping.get("zone_id", "zone_id"), "duplicate_zone_id", id=zone_id)
        return None
    seen.add(zone_id)
    industries = [p.strip() for p in _text(frame, mapping, "industries", i).replace("；", "、").replace(";", "、")
                  .replace(",", "、").replace("，", "、").split("、") if p.strip()]
    name = _text(frame, mapping, "name_zh", i)
    return {"zone_id": zone_id, "name_zh": name or f"{file_name} #{feature}",
            "name_en": _text(frame, mapping, "name_en", i) or name or f"{file_name} #{feature}",
            "kind": kind, "half_width_km": half_width, "industries": industries, "provenance": "user",
            "source": f"{file_name} (imported)", "color": None, "geometry": geom}


def build_zones(report: ImportReport, records: list[dict], file_name: str) -> None:
    """Validate the zone records against the schema and put them in the report (nothing when there are errors)."""
    if report.errors or not records:
        if not report.errors:
            report.add("error", None, None, "no_zone_read")
        return
    zones = gpd.GeoDataFrame(pd.DataFrame(records), geometry="geometry", crs=4326)
    try:
        report.zones = validate_zones(zones, name=file_name)
        report.rows_ok = len(report.zones)
    except SchemaError as exc:
        for problem in exc.problems:
            report.add("error", problem.row, problem.column, problem.key, **problem.params)


def _area_km2(geom) -> float:
    from geo.crs import area_km2

    return float(area_km2(gpd.GeoSeries([geom], crs=4326))[0])


def import_zone_file(data: bytes, file_name: str, *, mapping: dict[str, str] | None = None, **options) -> ImportReport:
    """Read and validate any zone file; every failure, even an unexpected one, comes back as a report error."""
    try:
        vector = read_vector(data, file_name)
    except Exception as exc:  # nothing the user uploads may end in a stack trace
        return failed_import(file_name, exc, reading=True, row_label="feature")
    try:
        report = import_zones(vector.frame, file_name=file_name, mapping=mapping, **options)
    except Exception as exc:
        report = failed_import(file_name, exc, reading=False, row_label="feature", mapping=mapping)
    for note in vector.notes:
        report.add_message("warning", note)
    return report



def zones_from_drawings(drawings: list[dict], attributes: list[dict], *, datum: str = "wgs84",
                        default_half_width_km: float = DEFAULT_HALF_WIDTH_KM,
                        region_boundary: gpd.GeoDataFrame | None = None) -> ImportReport:
    """Turn shapes drawn on the map (GeoJSON features in the map's datum) into zones, through the same checks as a file.

    attributes[i] gives drawing i its zone_id, name_zh, industries (text) and half_width_km (belts).
    """
    if not drawings:
        report = ImportReport(file="drawn on the map", mapping={}, row_label="feature")
        report.add("error", None, None, "nothing_drawn")
        return report
    frame = gpd.GeoDataFrame(
        [{"zone_id": a.get("zone_id", ""), "name_zh": a.get("name_zh", ""), "industries": a.get("industries", ""),
          "half_width_km": a.get("half_width_km")} for a in attributes],
        geometry=[shapely.geometry.shape(d["geometry"]) if d.get("geometry") else None for d in drawings], crs=4326)
    mapping = {field: field for field in ("zone_id", "name_zh", "industries", "half_width_km")}
    return import_zones(frame, file_name="drawn on the map", region_boundary=region_boundary, datum=datum,
                        mapping=mapping, default_half_width_km=default_half_width_km, id_prefix="drawn")
