"""Where a file's villages are: read its coordinate columns in whatever form they come, and check the places.

One step of the village importer (geo.ingest.villages): decimal degrees or degrees-minutes-seconds (any notation,
columns swapped by their hemisphere marks put right), projected metres (Gauss-Krüger, UTM, Web Mercator: recognised
and reported as "read as …", changeable by passing crs), or no coordinates at all (a register: every village
unplaced). Then the checks that need the places: outside the region, another datum fitting better, a name repeated
in one township at different places. Every problem goes to the report with its row; a row with a blocking problem is
marked in `blocked` so that the later checks leave it out.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.crs import convert_coords
from geo.i18n import Message
from geo.ingest.coordinates import (
    Candidate,
    detect_coordinate_system,
    not_recognised_message,
    parse_angle_column,
    projected_columns,
    swapped_by_hemisphere,
    to_wgs84,
)
from geo.ingest.reference import bare_name, township_key
from geo.ingest.report import ImportReport
from geo.ingest.tables import parse_number

DEGREE_LIMITS = {"lon": 180, "lat": 90}
SAME_PLACE_M = 200.0  # two rows of one name in one township closer than this are the same village written twice
MAX_ROW_WARNINGS = 200  # per kind of warning: a file of 100 000 points outside the region is one problem, not a list
METRES_FROM = 1000.0  # coordinates beyond this are projected metres (any northing in China is over 10^6 m)
CRS_AUTO = "auto"  # crs option: detect degrees or projected metres from the values and headers
CRS_DEGREES = "degrees"  # crs option: the columns are longitude/latitude in degrees (any notation)


@dataclass
class Placement:
    """The villages' WGS84 longitude/latitude (NaN where unplaced) and how the columns were read."""

    lon: np.ndarray
    lat: np.ndarray
    columns: tuple[str, str] | None  # the two coordinate columns, or None for a register without coordinates
    reading: Candidate | None = None  # projected files: the reading used
    readings: list[Candidate] = field(default_factory=list)  # every plausible reading, best first
    degrees: bool = True  # read as degrees (datum applies), not as projected metres
    raw: tuple[np.ndarray, np.ndarray] | None = None  # degrees as written (before the datum shift), for checks

    @property
    def located(self) -> np.ndarray:
        return np.isfinite(self.lon) & np.isfinite(self.lat)


def coordinate_columns(columns, mapping: dict[str, str]) -> tuple[str, str] | None:
    """Return the (longitude or x, latitude or y) columns: the mapped lon/lat, else a projected pair by header."""
    if "lon" in mapping and "lat" in mapping:
        return mapping["lon"], mapping["lat"]
    return projected_columns([c for c in columns if c not in mapping.values()]) or projected_columns(columns)


def _looks_projected(x_text: pd.Series, y_text: pd.Series) -> bool:
    """Tell metres from degrees by magnitude: most values of either column beyond METRES_FROM (a longitude of 330.5
    is a wrong degree, not a metre)."""
    def big(column):
        values = [parse_number(v).value for v in column]
        numbers = [abs(v) for v in values if v is not None]
        return bool(numbers) and np.mean([v > METRES_FROM for v in numbers]) > 0.5

    return big(x_text) or big(y_text)


def parse_coordinates(table: pd.DataFrame, mapping: dict[str, str], rows: np.ndarray, report: ImportReport,
                      blocked: np.ndarray, *, datum: str = "wgs84", crs: str | int | None = CRS_AUTO,
                      region_shape=None) -> Placement:
    """Read the coordinate columns of a table into WGS84 longitude/latitude; report every row's problem.

    crs: "auto" (degrees or projected, detected), "degrees", or an EPSG code of projected metres (a Gauss-Krüger,
    UTM or Web Mercator code; the choice the data page and --crs offer). datum applies to degrees only.
    region_shape (WGS84 shapely geometry) lets detection propose the central meridian that puts the points in the
    region.
    """
    n = len(table)
    nothing = np.full(n, np.nan)
    pair = coordinate_columns(table.columns, mapping)
    if pair is None:
        if n:
            report.add("warning", None, None, "register_unplaced", count=n)
        return Placement(nothing, nothing.copy(), None)
    x_header, y_header = pair
    x_text, y_text = table[x_header].astype(str), table[y_header].astype(str)
    crs = CRS_AUTO if crs in (None, "", CRS_AUTO) else crs
    if crs == CRS_DEGREES or str(crs) in ("4326", "4490") or (crs == CRS_AUTO and not _looks_projected(x_text, y_text)):
        return _degrees(x_text, y_text, x_header, y_header, rows, report, blocked, datum)
    return _projected(x_text, y_text, x_header, y_header, rows, report, blocked, datum, crs, region_shape)


def _empty(values: pd.Series) -> np.ndarray:
    return values.astype(str).str.strip().isin(["", "nan", "None"]).to_numpy()


def _unplaced_rows(report: ImportReport, rows: np.ndarray, both_empty: np.ndarray, columns: str) -> None:
    if both_empty.any():
        listed = "、".join(str(int(r)) for r in rows[both_empty][:30]) + ("…" if both_empty.sum() > 30 else "")
        report.add("warning", None, columns, "rows_unplaced", count=int(both_empty.sum()), rows=listed)


def _degrees(x_text, y_text, x_header, y_header, rows, report, blocked, datum) -> Placement:
    lon_column, lat_column = parse_angle_column(x_text), parse_angle_column(y_text)
    if swapped_by_hemisphere(lon_column, lat_column):
        report.add("warning", None, f"{x_header} / {y_header}", "columns_swapped_by_hemisphere", lon=x_header,
                   lat=y_header)
        lon_column, lat_column = lat_column, lon_column
        x_text, y_text, x_header, y_header = y_text, x_text, y_header, x_header
    x, y = lon_column.degrees.copy(), lat_column.degrees.copy()
    x_empty, y_empty = _empty(x_text), _empty(y_text)
    # a row whose longitude reads like a latitude and latitude like a longitude (China: lat 18-54, lon 73-135)
    nx = np.array([np.nan if v is None else v for v in (parse_number(t).value for t in x_text)], dtype=float)
    ny = np.array([np.nan if v is None else v for v in (parse_number(t).value for t in y_text)], dtype=float)
    nx = np.where(np.isfinite(nx), nx, x)
    ny = np.where(np.isfinite(ny), ny, y)
    swapped = (nx >= 15) & (nx <= 55) & (ny >= 70) & (ny <= 136)
    for label, header, text, column, empty, other_empty in (
            ("lon", x_header, x_text, lon_column, x_empty, y_empty),
            ("lat", y_header, y_text, lat_column, y_empty, x_empty)):
        for i, problem in column.problems:
            blocked[i] = True
            if swapped[i] and problem.key == "angle_degrees_range":
                continue  # reported as swapped below
            value = parse_number(text.iloc[i]).value
            if problem.key == "angle_degrees_range" and value is not None:
                report.add("error", int(rows[i]), header, "coordinate_out_of_range", field=label, value=value,
                           limit=DEGREE_LIMITS[label])
            elif problem.key == "angle_not_angle":
                report.add("error", int(rows[i]), header, "coordinate_not_number", field=label,
                           value=text.iloc[i])
            else:
                report.add("error", int(rows[i]), header, problem.key, **problem.params)
        for i in np.flatnonzero(empty & ~other_empty):
            blocked[i] = True
            report.add("error", int(rows[i]), header, "coordinate_half_missing", field=label)
        if label == "lat":  # a latitude beyond ±90 that read_angle let through as a longitude-sized value
            for i in np.flatnonzero((np.abs(np.nan_to_num(y)) > 90) & ~swapped):
                if not blocked[i]:
                    blocked[i] = True
                    report.add("error", int(rows[i]), header, "coordinate_out_of_range", field="lat",
                               value=float(y[i]), limit=90)
    _unplaced_rows(report, rows, x_empty & y_empty, f"{x_header} / {y_header}")
    usable = np.isfinite(nx) & np.isfinite(ny) & (~blocked | swapped)
    if swapped.sum() and swapped.sum() > 0.5 * usable.sum():
        report.add("error", None, f"{x_header} / {y_header}", "swapped", count=int(swapped.sum()), total=len(x))
    else:
        for i in np.flatnonzero(swapped):
            report.add("error", int(rows[i]), f"{x_header} / {y_header}", "row_swapped", lon=float(nx[i]),
                       lat=float(ny[i]))
    blocked |= swapped
    x[blocked], y[blocked] = np.nan, np.nan
    lon, lat = convert_coords(x, y, datum, "wgs84")
    return Placement(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float), (x_header, y_header), raw=(x, y))


def family_of(epsg: int) -> str:
    """Return the coordinate family of a projected EPSG code (the names of geo.ingest.coordinates.Candidate)."""
    if 4513 <= epsg <= 4533:
        return "gk3_prefix"
    if 4534 <= epsg <= 4554:
        return "gk3"
    if 4491 <= epsg <= 4501:
        return "gk6_prefix"
    if 4502 <= epsg <= 4512:
        return "gk6"
    if 32642 <= epsg <= 32653:
        return "utm"
    if epsg == 3857:
        return "web_mercator"
    raise ValueError(f"EPSG:{epsg} is not a CGCS2000 Gauss-Krüger (4491-4554), UTM north over China "
                     f"(32642-32653) or Web Mercator (3857) code")


def chosen_reading(x_text, y_text, x_header: str, y_header: str, epsg: int, readings: list[Candidate]) -> Candidate:
    """Return the reading of a projected EPSG the user chose: the detected one of that code, else a new one with
    the easting column of the best detected reading (the columns' roles do not change with the central meridian),
    or, with nothing detected, the column that puts more points in China."""
    for candidate in readings:
        if candidate.epsg == epsg:
            return candidate
    family = family_of(epsg)
    cm, zone = None, None
    if family in ("gk3", "gk6", "gk3_prefix", "gk6_prefix"):
        first, width = {"gk3": (4534, 3), "gk6": (4502, 6), "gk3_prefix": (4513, 3), "gk6_prefix": (4491, 6)}[family]
        cm = 75.0 + (epsg - first) * width
        zone = int(cm / 3) if width == 3 else int((cm + 3) / 6)
        zone = zone if family.endswith("prefix") else None
    elif family == "utm":
        zone = epsg - 32600
        cm = zone * 6.0 - 183
    best, best_share = None, -1.0
    for easting in ((readings[0].easting,) if readings else ("x", "y")):
        candidate = Candidate(epsg=epsg, family=family, easting=easting, central_meridian=cm, zone=zone,
                              zones=(zone,) if zone and family.endswith("prefix") else (), x_header=x_header,
                              y_header=y_header, inside_share=None, fit=0.0, score=0.0)
        lon, lat = to_wgs84(x_text, y_text, candidate)
        share = float(np.mean((lon > 73) & (lon < 136) & (lat > 3) & (lat < 54))) if len(lon) else 0.0
        if share > best_share:
            best, best_share = candidate, share
    return best


def _projected(x_text, y_text, x_header, y_header, rows, report, blocked, datum, crs, region_shape) -> Placement:
    n = len(x_text)
    nothing = np.full(n, np.nan)
    x_empty, y_empty = _empty(x_text), _empty(y_text)
    for header, text, empty, other_empty in ((x_header, x_text, x_empty, y_empty), (y_header, y_text, y_empty,
                                                                                      x_empty)):
        for i in range(n):
            if empty[i]:
                if not other_empty[i]:
                    blocked[i] = True
                    report.add("error", int(rows[i]), header, "coordinate_half_missing", field=header)
                continue
            parsed = parse_number(text.iloc[i])
            if parsed.value is None:
                blocked[i] = True
                report.add("error", int(rows[i]), header, "coordinate_not_number", field=header, value=text.iloc[i])
    _unplaced_rows(report, rows, x_empty & y_empty, f"{x_header} / {y_header}")
    readings = detect_coordinate_system(x_text[~blocked], y_text[~blocked], x_header, y_header,
                                        region_bounds=region_shape)
    if not readings and region_shape is not None:  # nothing in the region: say how it reads anywhere in China
        readings = detect_coordinate_system(x_text[~blocked], y_text[~blocked], x_header, y_header)
    if crs != CRS_AUTO:
        try:
            reading = chosen_reading(x_text, y_text, x_header, y_header, int(crs), readings)
        except (TypeError, ValueError) as exc:
            report.add("error", None, f"{x_header} / {y_header}", "crs_not_supported", crs=str(crs), error=str(exc))
            blocked[:] = True
            return Placement(nothing, nothing.copy(), (x_header, y_header), None, readings, degrees=False)
    elif readings:
        reading = readings[0]
    else:
        message = not_recognised_message(list(x_text), list(y_text), x_header, y_header)
        report.add("error", None, f"{x_header} / {y_header}", message.key, **message.params)
        blocked[:] = True
        return Placement(nothing, nothing.copy(), (x_header, y_header), None, readings, degrees=False)
    message: Message = reading.message()
    report.add("warning", None, f"{x_header} / {y_header}", message.key, **message.params)
    if datum in ("gcj02", "bd09"):
        report.add("warning", None, "datum", "datum_ignored_projected", datum=datum)
    lon, lat = to_wgs84(x_text, y_text, reading)
    lon[blocked], lat[blocked] = np.nan, np.nan
    return Placement(lon, lat, (x_header, y_header), reading, readings, degrees=False)


# ---------------------------------------------------------------------------------------------------- checks
def check_region(report: ImportReport, placement: Placement, datum: str, boundary: gpd.GeoDataFrame | None,
                 rows: np.ndarray, blocked: np.ndarray) -> None:
    """Flag placed villages outside the region, and say when another datum would put degrees inside."""
    if boundary is None:
        return
    ok = placement.located & ~blocked
    if not ok.any():
        return
    shape = shapely.union_all(boundary.to_crs(4326).geometry.values)
    shapely.prepare(shape)
    if placement.degrees and placement.raw is not None:
        x, y = placement.raw
        fractions = {}
        for candidate in ("wgs84", "gcj02", "bd09"):
            lon, lat = convert_coords(x[ok], y[ok], candidate, "wgs84")
            fractions[candidate] = float(shapely.contains_xy(shape, lon, lat).mean())
        declared = "wgs84" if datum == "cgcs2000" else datum
        best = max(fractions, key=fractions.get)
        if best != declared and fractions[best] - fractions[declared] >= 0.05:
            names = {"wgs84": "WGS84/CGCS2000", "gcj02": "GCJ-02 (高德/腾讯)", "bd09": "BD-09 (百度)"}
            report.add("warning", None, "datum", "datum_mismatch", declared=names[declared], best=names[best],
                       declared_share=fractions[declared], best_share=fractions[best])
    inside = shapely.contains_xy(shape, np.nan_to_num(placement.lon), np.nan_to_num(placement.lat))
    column = " / ".join(placement.columns) if placement.columns else "lon/lat"
    for i in np.flatnonzero(ok & ~inside)[:MAX_ROW_WARNINGS]:
        report.add("warning", int(rows[i]), column, "outside_region", lon=round(float(placement.lon[i]), 6),
                   lat=round(float(placement.lat[i]), 6))


def check_repeated_names(report: ImportReport, names: pd.Series, townships: pd.Series, placement: Placement,
                         rows: np.ndarray, blocked: np.ndarray, name_column: str | None) -> None:
    """Report a village name written more than once in one township: at different places, or (same place, or no
    place) as the same village twice."""
    keys = pd.Series([f"{township_key(t)}/{bare_name(n)}" for t, n in zip(townships, names)])
    usable = ~blocked & (names.astype(str).str.strip() != "").to_numpy()
    located = placement.located
    geod = None
    for _key, positions in keys[usable].groupby(keys[usable]).groups.items():
        positions = np.asarray(positions)
        if len(positions) < 2:
            continue
        first = positions[0]
        listed = "、".join(str(int(rows[p])) for p in positions)
        spread = 0.0
        placed_here = positions[located[positions]]
        if len(placed_here) >= 2:
            if geod is None:
                from pyproj import Geod

                geod = Geod(ellps="WGS84")
            a = placed_here[0]
            _, _, d = geod.inv(np.full(len(placed_here) - 1, placement.lon[a]),
                               np.full(len(placed_here) - 1, placement.lat[a]),
                               placement.lon[placed_here[1:]], placement.lat[placed_here[1:]])
            spread = float(np.max(d))
        township = str(townships.iloc[first]) or "—"
        for p in positions[1:]:
            report.add("warning", int(rows[p]), name_column,
                       "name_repeated_apart" if spread > SAME_PLACE_M else "name_repeated", name=str(names.iloc[p]), township=township,
                       rows=listed, distance_km=round(spread / 1000.0, 2))
