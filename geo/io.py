"""Importing a planner's own villages: read messy tables, map their columns, validate everything, report once.

Nothing here writes anywhere: an import is a report (errors block, warnings do not) plus, when there are no
errors, the villages as a validated WGS84 GeoDataFrame with provenance "user".
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.crs import DATUMS, convert_coords
from geo.schema import SchemaError
from geo.villages import POOR_COLUMNS, YEARS, validate_villages

ENCODINGS = ("utf-8-sig", "gb18030")  # tried in order; GB18030 is a superset of GBK and GB2312
MAX_ROWS = 2_000_000  # a village table longer than this is not a village table
# Canonical field -> header spellings planners use (compared lower-cased, spaces and punctuation removed).
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "village_id": ("village_id", "id", "编号", "序号", "村编号"),
    "name": ("name", "村名", "村庄名称", "村名称", "村", "行政村", "村庄"),
    "lon": ("lon", "lng", "long", "longitude", "x", "经度", "东经"),
    "lat": ("lat", "latitude", "y", "纬度", "北纬"),
    "code": ("code", "行政区划代码", "统计用区划代码", "区划代码", "村代码", "代码"),
    "township": ("township", "乡镇", "乡镇名称", "所属乡镇", "乡镇街道"),
    "rural_population": ("rural_population", "户籍人口", "农村人口", "农村户籍人口", "人口", "总人口"),
    "poverty_village": ("poverty_village", "贫困村", "是否贫困村", "贫困村标识"),
    "identified_year": ("identified_year", "识别年份", "认定年份", "建档立卡年份"),
    "exit_year": ("exit_year", "退出年份", "脱贫年份", "出列年份", "摘帽年份"),
    "poor_population": ("poor_population", "贫困人口", "建档立卡贫困人口", "贫困人口数"),
}


@dataclass
class Issue:
    """One problem of an import: where (row, 1-based as in a spreadsheet, or None), what, and how to fix it."""

    severity: str  # "error" blocks the import, "warning" does not
    row: int | None
    column: str | None
    message: str
    fix: str = ""

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message, "fix": self.fix}


@dataclass
class ImportReport:
    """Everything found in one file, and the villages when nothing blocks the import."""

    file: str
    mapping: dict[str, str]
    issues: list[Issue] = field(default_factory=list)
    rows_ok: int = 0
    villages: gpd.GeoDataFrame | None = None

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "warning"]

    def add(self, severity, row, column, message, fix=""):
        self.issues.append(Issue(severity, row, column, message, fix))

    def as_dict(self) -> dict:
        return {"file": self.file, "mapping": self.mapping, "errors": [i.as_dict() for i in self.errors],
                "warnings": [i.as_dict() for i in self.warnings], "rows_ok": self.rows_ok}


def _normalise(header: str) -> str:
    return re.sub(r"[\s_\-（）()【】\[\]:：/]+", "", str(header)).lower()


def guess_mapping(columns) -> dict[str, str]:
    """Return {canonical field: source column} for the headers that match a known spelling (first match wins).

    Year columns (2014 … 2020, or 贫困人口2016 …) map to poor_2014 … poor_2020.
    """
    mapping: dict[str, str] = {}
    by_normal = {_normalise(c): c for c in columns}
    for canonical, aliases in HEADER_ALIASES.items():
        for alias in aliases:
            if _normalise(alias) in by_normal:
                mapping[canonical] = by_normal[_normalise(alias)]
                break
    for column in columns:
        match = re.fullmatch(r"(?:poor_?|贫困人口)?(20\d\d)(?:年)?(?:贫困人口)?", _normalise(column))
        if match and int(match.group(1)) in YEARS:
            mapping[f"poor_{match.group(1)}"] = column
    return mapping


def read_table(data: bytes, file_name: str) -> pd.DataFrame:
    """Return the rows of a CSV (UTF-8, UTF-8 with BOM or GBK/GB18030, detected) or XLSX file, all as text.

    Raises ValueError saying what the file is and what was expected.
    """
    suffix = Path(file_name).suffix.lower()
    if not data:
        raise ValueError(f"{file_name} is empty: expected a table of villages with a header row")
    if suffix in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)  # formulas as their values
        rows = list(book.worksheets[0].iter_rows(values_only=True))
        if not rows:
            raise ValueError(f"{file_name}: the first sheet is empty")
        header = [str(h).strip() if h is not None else f"column {i + 1}" for i, h in enumerate(rows[0])]
        body = [["" if v is None else _cell_text(v) for v in row] for row in rows[1:]]
        return pd.DataFrame(body, columns=header, dtype=object)
    if suffix in (".csv", ".txt", ""):
        for encoding in ENCODINGS:
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise ValueError(f"{file_name} is neither UTF-8 nor GBK/GB18030 text: save it as CSV (UTF-8)")
        table = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, sep=None, engine="python",
                            nrows=MAX_ROWS + 1)
        if len(table) > MAX_ROWS:
            raise ValueError(f"{file_name} has more than {MAX_ROWS:,} rows: split it")
        table.columns = [str(c).strip() for c in table.columns]
        return table
    raise ValueError(f"{file_name}: {suffix or 'no extension'} is not a village table; expected .csv or .xlsx")


def _cell_text(value) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return repr(value)  # keep "513228100001.0": the code check reports it as a float
    return str(value)


def _numbers(column: pd.Series) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Return (values as float, NaN where empty or invalid; empty mask; invalid-text mask) of a text column."""
    text = column.astype(str).str.strip().str.replace(",", "", regex=False).str.replace("，", "", regex=False)
    values = pd.to_numeric(text, errors="coerce")
    empty = (text == "").to_numpy()
    return values, empty, (values.isna().to_numpy() & ~empty)


def import_villages(table: pd.DataFrame, *, file_name: str, region_boundary: gpd.GeoDataFrame | None = None,
                    datum: str = "wgs84", mapping: dict[str, str] | None = None,
                    region_adcode: str | None = None) -> ImportReport:
    """Validate a table of villages; return one report with every problem and, without errors, the villages.

    region_boundary (WGS84) lets the report flag villages outside the region and say when the points only fit the
    region under another datum; region_adcode flags codes of another county.
    """
    mapping = dict(mapping or guess_mapping(table.columns))
    report = ImportReport(file=file_name, mapping=mapping)
    if datum not in DATUMS:
        report.add("error", None, None, f"datum {datum!r} is not one of {', '.join(DATUMS)}",
                   "choose WGS84, CGCS2000, GCJ-02 (高德/腾讯) or BD-09 (百度)")
        return report
    for required in ("name", "lon", "lat"):
        if required not in mapping:
            report.add("error", None, required, f"no column for {required}",
                       f"name the column one of: {', '.join(HEADER_ALIASES[required])}, or map it by hand")
    if table.empty:
        report.add("error", None, None, "the table has a header but no rows", "add one row per village")
    if report.errors:
        return report

    def column(name):
        return table[mapping[name]] if name in mapping else pd.Series([""] * len(table), index=table.index)

    lon, lon_empty, lon_bad = _numbers(column("lon"))
    lat, lat_empty, lat_bad = _numbers(column("lat"))
    for label, values, empty, bad, limit in (("lon", lon, lon_empty, lon_bad, 180), ("lat", lat, lat_empty, lat_bad, 90)):
        for i in np.flatnonzero(empty | bad):
            report.add("error", int(i) + 2, mapping[label], f"{label} {column(label).iloc[i]!r} is not a number",
                       "write decimal degrees, e.g. 102.99")
        for i in np.flatnonzero(np.abs(values.to_numpy()) > limit):
            report.add("error", int(i) + 2, mapping[label], f"{label} {values.iloc[i]} is outside ±{limit}",
                       "are longitude and latitude swapped?")
    x = lon.to_numpy(dtype=float)
    y = lat.to_numpy(dtype=float)
    both = np.isfinite(x) & np.isfinite(y)
    # swapped columns: China's latitudes are 18-54, longitudes 73-135
    swapped = both & (x >= 15) & (x <= 55) & (y >= 70) & (y <= 136)
    if swapped.mean() > 0.5:
        report.add("error", None, f"{mapping['lon']} / {mapping['lat']}",
                   f"longitude and latitude look swapped in {swapped.sum()} of {len(x)} rows (a latitude-like "
                   "longitude and a longitude-like latitude)",
                   "longitude and latitude look swapped: exchange the two columns in the mapping")
    _check_codes(report, column("code"), mapping.get("code"), region_adcode)
    ids = column("village_id").astype(str).str.strip() if "village_id" in mapping else \
        pd.Series([f"row-{i + 2}" for i in range(len(table))], index=table.index)
    for i in np.flatnonzero(ids.duplicated(keep="first").to_numpy()):
        report.add("error", int(i) + 2, mapping.get("village_id"), f"duplicate village id {ids.iloc[i]!r}",
                   "give every village its own id")
    numbers = {}
    for canonical in ("rural_population", "identified_year", "exit_year", *POOR_COLUMNS):
        if canonical in mapping:
            values, empty, bad = _numbers(column(canonical))
            for i in np.flatnonzero(bad):
                report.add("error", int(i) + 2, mapping[canonical],
                           f"{column(canonical).iloc[i]!r} is not a number", "write digits only, e.g. 1234")
            if canonical == "rural_population" or canonical in POOR_COLUMNS:
                for i in np.flatnonzero(empty):
                    report.add("warning", int(i) + 2, mapping[canonical], "empty: counted as 0",
                               "fill it in (a spreadsheet formula that was never saved by Excel has no value)")
            numbers[canonical] = values
    if "poor_population" in mapping and not any(c in mapping for c in POOR_COLUMNS):
        numbers["poor_2014"] = _numbers(column("poor_population"))[0]
        report.add("warning", None, mapping["poor_population"],
                   "one poor-population column and no years: taken as 2014 and kept for every later year",
                   "add columns 2014 … 2020 for the poor population of each year")
    if report.errors:
        return report
    if region_boundary is not None and both.any():
        _check_region(report, x, y, datum, region_boundary)
    wgs_lon, wgs_lat = convert_coords(x, y, datum, "wgs84")
    frame = pd.DataFrame({
        "village_id": ids.to_numpy(), "name": column("name").astype(str).str.strip().to_numpy(),
        "township": column("township").astype(str).to_numpy(), "code": column("code").astype(str).str.strip().to_numpy(),
        "rural_population": numbers.get("rural_population", pd.Series([np.nan] * len(table))).to_numpy(),
        "poverty_village": column("poverty_village").to_numpy() if "poverty_village" in mapping else False,
        "identified_year": numbers.get("identified_year", pd.Series([np.nan] * len(table))).to_numpy(),
        "exit_year": numbers.get("exit_year", pd.Series([np.nan] * len(table))).to_numpy(),
        "provenance": "user",
    })
    last = None
    for year, column_name in zip(YEARS, POOR_COLUMNS):
        values = numbers.get(column_name)
        if values is None:
            values = last if last is not None else pd.Series([0] * len(table))
        frame[column_name] = pd.Series(values).fillna(0).to_numpy()
        last = pd.Series(values)
    if frame["rural_population"].isna().all():
        frame["rural_population"] = frame[POOR_COLUMNS].max(axis=1)
        report.add("warning", None, "rural_population", "no rural-population column: incidence cannot be computed",
                   "add a column 户籍人口 / 农村人口")
    frame["identified_year"] = frame["identified_year"].where(
        ~(frame["poverty_village"].map(lambda v: str(v).strip() in {"1", "是", "true", "True", "贫困村"})
          & frame["identified_year"].isna()), YEARS[0])
    villages = gpd.GeoDataFrame(frame, geometry=shapely.points(wgs_lon, wgs_lat), crs=4326)
    try:
        report.villages = validate_villages(villages, name=file_name)
        report.rows_ok = len(report.villages)
    except SchemaError as exc:
        for problem in exc.problems:
            report.add("error", None if problem.row is None else problem.row + 1, problem.column, problem.message)
    return report


def _check_codes(report: ImportReport, codes: pd.Series, column: str | None, region_adcode: str | None) -> None:
    if column is None:
        return
    for i, raw in enumerate(codes.astype(str).str.strip()):
        if raw == "":
            continue
        row = i + 2
        if re.fullmatch(r"\d{12}\.0+|\d(\.\d+)?[eE]\+?1[01]", raw):
            report.add("error", row, column, f"code {raw!r} was turned into a number (Excel drops digits)",
                       "format the code column as text in Excel and type the 12 digits again")
        elif not re.fullmatch(r"\d{12}", raw):
            report.add("error", row, column, f"code {raw!r} is not 12 digits", "use the 12-digit 统计用区划代码")
        elif region_adcode and not raw.startswith(region_adcode[:6]) and region_adcode[2:] != "0000":
            report.add("warning", row, column, f"code {raw} belongs to county {raw[:6]}, not {region_adcode}",
                       "check the region or the code")


def _check_region(report: ImportReport, x, y, datum: str, boundary: gpd.GeoDataFrame) -> None:
    """Flag villages outside the region, and say when another datum would put them inside."""
    shape = shapely.union_all(boundary.to_crs(4326).geometry.values)
    shapely.prepare(shape)
    ok = np.isfinite(x) & np.isfinite(y)
    fractions = {}
    for candidate in ("wgs84", "gcj02", "bd09"):
        lon, lat = convert_coords(x[ok], y[ok], candidate, "wgs84")
        fractions[candidate] = float(shapely.contains_xy(shape, lon, lat).mean()) if ok.any() else 0.0
    declared = "wgs84" if datum == "cgcs2000" else datum
    best = max(fractions, key=fractions.get)
    if best != declared and fractions[best] - fractions[declared] >= 0.05:
        names = {"wgs84": "WGS84/CGCS2000", "gcj02": "GCJ-02 (高德/腾讯)", "bd09": "BD-09 (百度)"}
        report.add("warning", None, "datum",
                   f"{fractions[declared]:.0%} of the points fall inside the region as {names[declared]}, "
                   f"{fractions[best]:.0%} as {names[best]}",
                   f"the coordinates were probably taken from a {names[best]} map: import them as {names[best]}")
    lon, lat = convert_coords(x, y, datum, "wgs84")
    inside = shapely.contains_xy(shape, np.nan_to_num(lon), np.nan_to_num(lat))
    for i in np.flatnonzero(ok & ~inside)[:200]:
        report.add("warning", int(i) + 2, "lon/lat", f"({x[i]:.5f}, {y[i]:.5f}) is outside the region",
                   "check the coordinates or the region")
