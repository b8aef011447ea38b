"""Zones: valley polygons (沟域), belts (产业带: centreline + half-width in km), industrial parks (现代农业产业园:
polygons with a lead industry, counted like valleys) and administrative-area zones.

A zones GeoDataFrame has one row per zone, WGS84 (EPSG:4326), with the columns of ZONE_COLUMNS. Belts keep their
centreline as geometry; `corridors` turns them into polygons (buffered in metres in a Gauss-Kruger CRS).
"""
from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.crs import CRSError, area_km2, metric_crs, require_crs
from geo.schema import Report

ZONE_KINDS = ("valley", "belt", "park", "county")  # county: an administrative area used as a zone (province scale)
POLYGON_KINDS = ("valley", "park", "county")  # zones that are their polygon (a belt is a centreline + half-width)
PROVENANCES = ("published", "user", "illustrative", "derived")  # derived: computed from data (e.g. a DEM)
ZONE_COLUMNS = ["zone_id", "name_zh", "name_en", "kind", "half_width_km", "industries", "provenance", "source",
                "color", "geometry"]
MU_PER_KM2 = 1500.0  # 1 亩 = 666.67 m², so 1 km² = 1,500 亩
DEFAULT_HALF_WIDTH_KM = 5.0  # a belt's half-width when none is given: the seed belts' published ±5 km
MAX_HALF_WIDTH_KM = 50.0  # a belt wider than this is almost certainly a unit mistake (metres given as km)


def validate_zones(zones: gpd.GeoDataFrame, name: str = "zones") -> gpd.GeoDataFrame:
    """Return zones checked against the schema (WGS84, one row per zone); raise SchemaError listing every problem."""
    report = Report(name)
    if zones.crs is None:
        raise CRSError(f"{name} has no CRS; zones must say their CRS (WGS84 EPSG:4326 expected)")
    missing = [c for c in ZONE_COLUMNS if c not in zones.columns and c != "color"]
    for column in missing:
        report.add(None, column, "schema_missing_column", column=column)
    report.raise_if_any()
    out = zones.to_crs(4326).copy()
    if "color" not in out.columns:
        out["color"] = None
    out["industries"] = [_as_list(v) for v in out["industries"]]
    seen = set()
    for i, row in enumerate(out.itertuples(index=False), start=1):
        if not isinstance(row.zone_id, str) or not row.zone_id:
            report.add(i, "zone_id", "schema_zone_id_empty", value=repr(row.zone_id))
        elif row.zone_id in seen:
            report.add(i, "zone_id", "schema_duplicate_zone", id=row.zone_id)
        seen.add(row.zone_id)
        if row.kind not in ZONE_KINDS:
            report.add(i, "kind", "schema_zone_kind", value=repr(row.kind), allowed=", ".join(ZONE_KINDS))
        if row.provenance not in PROVENANCES:
            report.add(i, "provenance", "schema_provenance", value=repr(row.provenance), allowed=", ".join(PROVENANCES))
        geom = row.geometry
        if geom is None or geom.is_empty:
            report.add(i, "geometry", "schema_empty_geometry")
            continue
        if row.kind == "belt":
            if geom.geom_type not in ("LineString", "MultiLineString"):
                report.add(i, "geometry", "schema_belt_not_line", kind=geom.geom_type)
            hw = row.half_width_km
            if hw is None or not np.isfinite(hw) or hw < 0 or hw > MAX_HALF_WIDTH_KM:
                report.add(i, "half_width_km", "schema_half_width", value=repr(hw), limit=f"{MAX_HALF_WIDTH_KM:g}")
        elif row.kind in POLYGON_KINDS:
            if geom.geom_type not in ("Polygon", "MultiPolygon"):
                report.add(i, "geometry", "schema_not_polygon", zone_kind=row.kind, kind=geom.geom_type)
            elif not geom.is_valid:
                report.add(i, "geometry", "schema_invalid_polygon", reason=shapely.is_valid_reason(geom))
    report.raise_if_any()
    out["half_width_km"] = out["half_width_km"].astype(float)
    return out[ZONE_COLUMNS].reset_index(drop=True)


def _as_list(value) -> list[str]:
    if isinstance(value, (list, tuple, np.ndarray)):
        return [str(v) for v in value]
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    text = str(value)
    if text.startswith("["):
        return [str(v) for v in json.loads(text)]
    return [part.strip() for part in text.replace("；", "、").replace(";", "、").split("、") if part.strip()]


def load_zones(path: Path | str) -> gpd.GeoDataFrame:
    """Read and validate a zones file (GeoJSON or GeoPackage) into WGS84."""
    frame = gpd.read_file(path)
    for column in ("half_width_km", "color", "source", "name_en"):
        if column not in frame.columns:
            frame[column] = None
    return validate_zones(frame, name=str(Path(path).name))


def empty_zones() -> gpd.GeoDataFrame:
    """Return a zones frame with no rows (a region without zones)."""
    return gpd.GeoDataFrame({c: pd.Series(dtype=object) for c in ZONE_COLUMNS if c != "geometry"},
                            geometry=gpd.GeoSeries([], crs=4326), crs=4326)


def zone_polygons(zones: gpd.GeoDataFrame, crs=None, *, half_width_km: float | None = None) -> gpd.GeoSeries:
    """Return each zone as a polygon in a metric CRS: valleys as they are, belts buffered by their half-width (m).

    half_width_km overrides every belt's own half-width (the what-if of the coverage page).
    """
    require_crs(zones, "zones")
    crs = crs or metric_crs(zones)
    projected = zones.geometry.to_crs(crs)
    widths = zones["half_width_km"].astype(float).to_numpy() if half_width_km is None else \
        np.full(len(zones), float(half_width_km))
    is_belt = (zones["kind"] == "belt").to_numpy()
    geoms = projected.values.copy()
    if is_belt.any():
        geoms[is_belt] = shapely.buffer(projected.values[is_belt], widths[is_belt] * 1000.0, quad_segs=16)
    return gpd.GeoSeries(geoms, index=zones.index, crs=crs)


def corridors(zones: gpd.GeoDataFrame, *, clip_to=None, half_width_km: float | None = None) -> gpd.GeoSeries:
    """Return every zone as a WGS84 polygon (belts as corridors), optionally clipped to a WGS84 boundary."""
    clip = (zones["kind"] != "county").to_numpy()  # a county zone is a division of the region: nothing to clip
    if not (zones["kind"] == "belt").any() and (clip_to is None or not clip.any()):
        return zones.geometry.to_crs(4326)  # nothing to buffer or clip: no round trip through a metric CRS
    polygons = zone_polygons(zones, half_width_km=half_width_km)
    if clip_to is not None and clip.any():
        boundary = shapely.union_all(clip_to.to_crs(polygons.crs).geometry.values)
        geoms = polygons.values.copy()
        geoms[clip] = shapely.intersection(geoms[clip], boundary)
        polygons = gpd.GeoSeries(geoms, index=zones.index, crs=polygons.crs)
    return polygons.to_crs(4326)


def zone_area_km2(zones: gpd.GeoDataFrame, *, clip_to=None) -> pd.Series:
    """Return each zone's area in km² (equal-area CRS); belts as their corridor, clipped to a boundary if given."""
    if len(zones) == 0:
        return pd.Series([], dtype=float, name="area_km2")
    shapes = corridors(zones, clip_to=clip_to)
    return pd.Series(area_km2(shapes), index=zones.index, name="area_km2")
