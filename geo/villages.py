"""Villages: WGS84 points (or none yet: unplaced), rural population, poverty status over time, poor per year.

Status is as at the end of each year: a poverty village counts in year Y when it was identified in or before Y and
had not exited by the end of Y (exit_year > Y, or no exit yet). poor_Y is the registered poor population living in
the village at the end of Y (poor people also live in non-poverty villages). lifted_Y, when given, is the number
of people lifted out during Y; it may differ from poor_{Y-1} - poor_Y because people also enter and leave the
register for other reasons (new identification, deaths, corrections).

A village without a location (a register kept by code, the usual case) is *unplaced*: its geometry is missing
(None). It counts in the region's totals and in every zone it is assigned to (zones_assigned: zone names joined by
、), is listed as unplaced, and is not drawn until it is placed.
"""
from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.crs import CRSError
from geo.schema import Report
from geo.zones import PROVENANCES

YEARS = tuple(range(2014, 2021))  # the atlas' years: identification (2014) to the end of the campaign (2020)
POOR_COLUMNS = [f"poor_{y}" for y in YEARS]
LIFTED_COLUMNS = [f"lifted_{y}" for y in YEARS[1:]]
VILLAGE_COLUMNS = ["village_id", "name", "township", "code", "county", "rural_population", "poverty_village",
                   "identified_year", "exit_year", *POOR_COLUMNS, *LIFTED_COLUMNS, "poor_households", "high_cold",
                   "resident_team", "zones_assigned", "provenance", "geometry"]
OPTIONAL_COLUMNS = {"township": "", "code": "", "county": "", "poor_households": np.nan, "high_cold": False,
                    "resident_team": "", "zones_assigned": "", **dict.fromkeys(LIFTED_COLUMNS, np.nan)}
CODE_DIGITS = 12  # NBS 统计用区划代码 of a village
PLANNING_CLASS_COLUMN = "planning_class"  # optional: the village's planning class id (data/indicators.toml), "" if none
ZONE_SEPARATORS = re.compile(r"[、;；,，/|]+")  # between zone names in one cell: 果蔬沟、花海沟


def placed(villages: gpd.GeoDataFrame) -> np.ndarray:
    """Return True for each village that has a point (False for an unplaced village)."""
    geom = villages.geometry
    return ~(geom.isna() | geom.is_empty).to_numpy()


def split_zone_names(text: object) -> list[str]:
    """Return the zone names of one cell (果蔬中蜂民俗沟、冰山观光休闲沟 -> two names), blanks dropped."""
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return []
    return [part.strip() for part in ZONE_SEPARATORS.split(str(text)) if part.strip()]


def validate_villages(villages: gpd.GeoDataFrame, name: str = "villages") -> gpd.GeoDataFrame:
    """Return villages checked against the schema (WGS84 points, or None for an unplaced village); raise SchemaError
    listing every problem by row."""
    if villages.crs is None:
        raise CRSError(f"{name} has no CRS; villages must say their CRS (WGS84 EPSG:4326 expected)")
    report = Report(name)
    frame = villages.to_crs(4326).copy()
    for column, default in OPTIONAL_COLUMNS.items():
        if column not in frame.columns:
            frame[column] = default
    required = [c for c in VILLAGE_COLUMNS if c not in OPTIONAL_COLUMNS and c != "geometry"]
    for column in required:
        if column not in frame.columns:
            report.add(None, column, "schema_missing_column", column=column)
    report.raise_if_any()

    numeric = ["rural_population", *POOR_COLUMNS, *LIFTED_COLUMNS, "poor_households", "identified_year", "exit_year"]
    for column in numeric:
        as_number = pd.to_numeric(frame[column], errors="coerce")
        bad = as_number.isna() & frame[column].notna() & (frame[column].astype(str).str.strip() != "")
        for i in np.flatnonzero(bad.to_numpy()):
            report.add(int(i) + 1, column, "schema_not_number", value=repr(frame[column].iloc[i]))
        frame[column] = as_number
    frame["village_id"] = frame["village_id"].astype(str)
    for i in np.flatnonzero(frame["village_id"].duplicated(keep="first").to_numpy()):
        report.add(int(i) + 1, "village_id", "schema_duplicate_village", id=frame["village_id"].iloc[i])
    geom = frame.geometry
    missing = (geom.isna() | geom.is_empty).to_numpy()
    if missing.any():  # unplaced: one spelling of "no point" (None), whatever the source wrote
        frame = frame.set_geometry(gpd.GeoSeries(np.where(missing, None, geom.values), index=frame.index,
                                                 crs=frame.crs))
        geom = frame.geometry
    not_point = (~geom.geom_type.isin(["Point"])).to_numpy() & ~missing
    for i in np.flatnonzero(not_point):
        report.add(int(i) + 1, "geometry", "schema_not_point", kind=geom.iloc[i].geom_type)
    points = ~not_point & ~missing
    x = np.where(points, geom.x.where(points), np.nan)
    y = np.where(points, geom.y.where(points), np.nan)
    for i in np.flatnonzero(points & ((np.abs(x) > 180) | (np.abs(y) > 90))):
        report.add(int(i) + 1, "geometry", "schema_lonlat_range", lon=x[i], lat=y[i])
    for column in ["rural_population", *POOR_COLUMNS]:
        for i in np.flatnonzero((frame[column] < 0).to_numpy()):
            report.add(int(i) + 1, column, "schema_negative", value=frame[column].iloc[i])
    over = frame[POOR_COLUMNS].max(axis=1) > frame["rural_population"]
    for i in np.flatnonzero(over.to_numpy()):
        report.add(int(i) + 1, "poor", "schema_poor_exceeds_rural")
    frame["poverty_village"] = frame["poverty_village"].map(_as_bool)
    for i in np.flatnonzero(frame["poverty_village"].isna().to_numpy()):
        report.add(int(i) + 1, "poverty_village", "schema_not_yes_no", value=repr(villages["poverty_village"].iloc[i]))
    is_poor_village = frame["poverty_village"].fillna(False).astype(bool)
    no_year = is_poor_village & frame["identified_year"].isna()
    for i in np.flatnonzero(no_year.to_numpy()):
        report.add(int(i) + 1, "identified_year", "schema_no_identified_year")
    early = frame["exit_year"].notna() & frame["identified_year"].notna() & \
        (frame["exit_year"] < frame["identified_year"])
    for i in np.flatnonzero(early.to_numpy()):
        report.add(int(i) + 1, "exit_year", "schema_exit_before_identified")
    bad_prov = ~frame["provenance"].isin(PROVENANCES)
    for i in np.flatnonzero(bad_prov.to_numpy()):
        report.add(int(i) + 1, "provenance", "schema_provenance", value=repr(frame["provenance"].iloc[i]), allowed=", ".join(PROVENANCES))
    frame["code"] = _text(frame["code"]).str.strip()
    bad_code = (frame["code"] != "") & ~frame["code"].str.fullmatch(rf"\d{{{CODE_DIGITS}}}")
    for i in np.flatnonzero(bad_code.to_numpy()):
        report.add(int(i) + 1, "code", "schema_code_digits", code=frame["code"].iloc[i], digits=CODE_DIGITS)
    if PLANNING_CLASS_COLUMN in frame.columns:
        frame[PLANNING_CLASS_COLUMN] = _planning_classes(frame[PLANNING_CLASS_COLUMN], report)
    report.raise_if_any()

    frame["high_cold"] = frame["high_cold"].map(_as_bool).fillna(False).astype(bool)
    frame["poverty_village"] = frame["poverty_village"].astype(bool)
    for column in ["rural_population", *POOR_COLUMNS]:
        frame[column] = frame[column].fillna(0).astype(np.int64)
    for column in ["identified_year", "exit_year"]:
        frame[column] = frame[column].astype("Int64")
    frame["zones_assigned"] = ["、".join(split_zone_names(v)) for v in frame["zones_assigned"]]
    for column in ("township", "county", "resident_team"):
        frame[column] = _text(frame[column])
    columns = VILLAGE_COLUMNS if PLANNING_CLASS_COLUMN not in frame.columns else \
        [*VILLAGE_COLUMNS[:-1], PLANNING_CLASS_COLUMN, "geometry"]
    return frame[columns].reset_index(drop=True)


def _planning_classes(column: pd.Series, report: Report) -> pd.Series:
    """Return planning class ids ("" where empty) of a column of classes as written (集聚提升类 …)."""
    from geo.indicators import load_indicators

    registry = load_indicators()
    ids = column.map(registry.planning_class_of)
    for i in np.flatnonzero(ids.isna().to_numpy()):
        report.add(int(i) + 1, PLANNING_CLASS_COLUMN, "planning_class_unknown", value=repr(column.iloc[i]))
    return ids.fillna("").astype(str)


def _text(column: pd.Series) -> pd.Series:
    """Return a column as text with missing values as ''."""
    as_object = column.astype(object)
    return as_object.where(column.notna(), "").astype(str)


def _as_bool(value):
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "y", "是", "贫困村", "1.0"}:
        return True
    if text in {"0", "false", "no", "n", "否", "非贫困村", "", "nan", "none", "0.0"}:
        return False
    return None


def read_villages_csv(path: Path | str, *, provenance: str | None = None) -> gpd.GeoDataFrame:
    """Read a villages CSV (UTF-8, lon/lat in WGS84 degrees) and validate it."""
    table = pd.read_csv(path, dtype={"code": str, "village_id": str, "county": str}, keep_default_na=True,
                        encoding="utf-8-sig")
    if provenance is not None:
        table["provenance"] = provenance
    points = gpd.points_from_xy(table["lon"], table["lat"])
    unplaced = (table["lon"].isna() | table["lat"].isna()).to_numpy()
    frame = gpd.GeoDataFrame(table.drop(columns=["lon", "lat"]),
                             geometry=gpd.GeoSeries(np.where(unplaced, None, points), crs=4326), crs=4326)
    return validate_villages(frame, name=Path(path).name)


def write_villages_csv(villages: gpd.GeoDataFrame, path: Path | str) -> None:
    """Write villages as CSV (utf-8, lon/lat with 6 decimals ≈ 0.1 m)."""
    table = pd.DataFrame(villages.drop(columns="geometry"))
    table.insert(1, "lon", villages.geometry.x.round(6))  # empty for an unplaced village
    table.insert(2, "lat", villages.geometry.y.round(6))
    table.to_csv(path, index=False, encoding="utf-8")


def campaign_year(year: int) -> int:
    """Return the year of the 2014–2020 machinery (poverty status, registered poor) that a chosen year shows: the
    year itself, or 2020 after the campaign (statuses as at its end; no village is a poverty village after it)."""
    return min(max(int(year), YEARS[0]), YEARS[-1])


def poverty_status(villages: pd.DataFrame, year: int) -> pd.Series:
    """Return True for villages that are poverty villages at the end of a year."""
    _check_year(year)
    identified = villages["identified_year"].fillna(9999).astype(int) <= year
    not_exited = villages["exit_year"].isna() | (villages["exit_year"].fillna(0).astype(int) > year)
    return (villages["poverty_village"].astype(bool) & identified & not_exited).rename(f"poverty_village_{year}")


def poor_population(villages: pd.DataFrame, year: int) -> pd.Series:
    """Return each village's registered poor population (people) at the end of a year."""
    _check_year(year)
    return villages[f"poor_{year}"].astype(np.int64).rename(f"poor_{year}")


def village_status(villages: pd.DataFrame, year: int) -> pd.Series:
    """Return each village's status in a year: 'poverty', 'exited' (a former poverty village) or 'other'."""
    poor = poverty_status(villages, year)
    exited = villages["poverty_village"].astype(bool) & ~poor & \
        (villages["identified_year"].fillna(9999).astype(int) <= year)
    return pd.Series(np.select([poor, exited], ["poverty", "exited"], "other"), index=villages.index, name="status")


def _check_year(year: int) -> None:
    if year not in YEARS:
        raise ValueError(f"year {year} is outside {YEARS[0]}-{YEARS[-1]}, the years the atlas holds")


def empty_villages() -> gpd.GeoDataFrame:
    """Return a villages frame with no rows (a region without villages)."""
    frame = gpd.GeoDataFrame({c: pd.Series(dtype=object) for c in VILLAGE_COLUMNS if c != "geometry"},
                             geometry=gpd.GeoSeries([], crs=4326), crs=4326)
    frame["poverty_village"] = frame["poverty_village"].astype(bool)
    for column in ["rural_population", *POOR_COLUMNS]:
        frame[column] = frame[column].astype(np.int64)
    for column in ["identified_year", "exit_year"]:
        frame[column] = frame[column].astype("Int64")
    return frame
