"""Importing a planner's own villages: read tables as offices make them, map their columns, validate everything,
report once.

Nothing here writes anywhere: an import is a report (errors block, warnings do not, notes list what was skipped)
plus, when there are no errors, the villages as a validated WGS84 GeoDataFrame with provenance "user" — placed
(a point) or unplaced (a register without coordinates). import_villages is a chain of named steps, as geopandas'
sjoin is: check_options -> parse_coordinates (geo.ingest.places) -> check_rows -> check_places -> match_codes
(geo.ingest.matching) -> assign_zones -> build_frame. locate_villages places villages already saved from a second
file of coordinates keyed by code or name.
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

from geo.crs import DATUMS
from geo.errors import FileProblem, SchemaError
from geo.i18n import Message
from geo.ingest.files import VECTOR_SUFFIXES, check_size, read_vector
from geo.ingest.matching import check_codes, match_villages
from geo.ingest.places import (
    MAX_ROW_WARNINGS,
    Placement,
    check_region,
    check_repeated_names,
    coordinate_columns,
    parse_coordinates,
)
from geo.ingest.privacy import PersonalDataRefused, keep_nothing, refuse_personal_data, refused_report
from geo.ingest.reference import bare_name, township_key
from geo.ingest.report import ImportReport, Issue, failed_import  # noqa: F401  (part of this module's API)
from geo.ingest.tables import decode_text, parse_number_column, read_table_file
from geo.villages import POOR_COLUMNS, YEARS, placed, split_zone_names, validate_villages

MAX_ROWS = 2_000_000  # a village table longer than this is not a village table
# Canonical field -> header spellings planners use (compared lower-cased, spaces and punctuation removed).
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "village_id": ("village_id", "id", "编号", "村编号"),  # never 序号: a running number is not an id
    "name": ("name", "村名", "村庄名称", "村名称", "村", "行政村", "村庄", "行政村名称", "村委会"),
    "lon": ("lon", "lng", "long", "longitude", "x", "经度", "东经", "坐标经度", "经度坐标", "中心点经度"),
    "lat": ("lat", "latitude", "y", "纬度", "北纬", "坐标纬度", "纬度坐标", "中心点纬度"),
    "code": ("code", "行政区划代码", "统计用区划代码", "区划代码", "村代码", "代码", "村级代码", "村编码"),
    "township": ("township", "乡镇", "乡镇名称", "所属乡镇", "乡镇街道", "乡镇（街道）", "乡（镇）", "镇"),
    "rural_population": ("rural_population", "户籍人口", "农村人口", "农村户籍人口", "人口", "总人口"),
    "poverty_village": ("poverty_village", "贫困村", "是否贫困村", "贫困村标识"),
    "identified_year": ("identified_year", "识别年份", "认定年份", "建档立卡年份"),
    "exit_year": ("exit_year", "退出年份", "脱贫年份", "出列年份", "摘帽年份"),
    "poor_population": ("poor_population", "贫困人口", "建档立卡贫困人口", "贫困人口数"),
    "poor_households": ("poor_households", "贫困户数", "建档立卡贫困户数", "贫困户"),
    "zones_assigned": ("zones_assigned", "所属沟域", "所属产业带", "分区", "所属分区", "沟域", "产业带", "所属园区"),
    "year": ("year", "年份", "年度", "年"),  # long form: one row per village and year
}


# Headers of columns that identify people (a household register, not village totals): such a file is refused.


def normalise_header(header: str) -> str:
    return re.sub(r"[\s_\-（）()【】\[\]:：/]+", "", str(header)).lower()


def guess_mapping(columns) -> dict[str, str]:
    """Return {canonical field: source column} for the headers that match a known spelling (first match wins).

    Year columns (2014 … 2020, or 贫困人口2016 …) map to poor_2014 … poor_2020.
    """
    mapping: dict[str, str] = {}
    by_normal = {normalise_header(c): c for c in columns}
    for canonical, aliases in HEADER_ALIASES.items():
        for alias in aliases:
            if normalise_header(alias) in by_normal:
                mapping[canonical] = by_normal[normalise_header(alias)]
                break
    for column in columns:
        match = re.fullmatch(r"(?:poor_?|贫困人口)?(20\d\d)(?:年)?(?:贫困人口)?", normalise_header(column))
        if match and int(match.group(1)) in YEARS:
            mapping[f"poor_{match.group(1)}"] = column
    if "planning_class" not in mapping:
        from geo.indicators import load_indicators

        registry = load_indicators()
        found = next((c for c in columns if registry.is_planning_header(c)), None)  # 村庄分类, 村庄类型 …
        if found is not None:
            mapping["planning_class"] = found
    return mapping


def read_table(data: bytes, file_name: str) -> pd.DataFrame:
    """Return the rows of a CSV (UTF-8, UTF-8 with BOM or GBK/GB18030, detected) or XLSX file, all as text.

    Raises ValueError saying what the file is and what was expected.
    """
    suffix = Path(file_name).suffix.lower()
    if not data:
        raise FileProblem("file_empty", file=file_name)
    if suffix in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)  # formulas as their values
        rows = list(book.worksheets[0].iter_rows(values_only=True))
        if not rows:
            raise FileProblem("sheet_empty", file=file_name)
        header = [str(h).strip() if h is not None else f"column {i + 1}" for i, h in enumerate(rows[0])]
        body = [["" if v is None else _cell_text(v) for v in row] for row in rows[1:]]
        return pd.DataFrame(body, columns=header, dtype=object)
    if suffix in (".csv", ".txt", ""):
        text = decode_text(data, file_name)
        table = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, sep=None, engine="python",
                            nrows=MAX_ROWS + 1)
        if len(table) > MAX_ROWS:
            raise FileProblem("too_many_rows", file=file_name, limit=MAX_ROWS)
        table.columns = [str(c).strip() for c in table.columns]
        return table
    raise FileProblem("not_a_table", file=file_name, suffix=suffix or "(no extension)")


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


@dataclass
class VillageTable:
    """A village file read as a table of text, before any check: what every step of the import starts from."""

    frame: pd.DataFrame
    rows: np.ndarray  # each frame row's number in the file (spreadsheet rows, or features from 1)
    row_label: str = "row"  # "row" or "feature"
    notes: list[tuple[int | None, Message]] = field(default_factory=list)  # header found, rows skipped, …
    sheet: str | None = None
    sheet_names: list[str] = field(default_factory=list)
    crs: str = "auto"  # "degrees" when the file's own CRS put its points in lon/lat already (vector files)


def read_village_table(data: bytes, file_name: str, *, sheet: str | int | None = None) -> VillageTable:
    """Read any village file as a VillageTable.

    CSV/XLSX as government offices make them (geo.ingest.tables.read_table_file: header found, title/total/note
    rows skipped and listed, 序号 dropped, merged 乡镇 filled; sheet by name or position); vector files (GeoJSON,
    KML, GeoPackage, zipped Shapefile) give their attributes plus lon/lat of their points. Raises FileProblem.
    """
    check_size(data, file_name)
    suffix = Path(file_name).suffix.lower()
    if suffix not in VECTOR_SUFFIXES:
        read = read_table_file(data, file_name, sheet=sheet)
        return VillageTable(read.frame, read.rows, "row", read.messages(), read.sheet, list(read.sheet_names))
    frame, rows, row_label, notes = _vector_table(data, file_name)
    return VillageTable(frame, rows, row_label, [(None, n) for n in notes], crs="degrees")


def import_villages(table: pd.DataFrame, *, file_name: str, region_boundary: gpd.GeoDataFrame | None = None,
                    datum: str = "wgs84", mapping: dict[str, str] | None = None,
                    region_adcode: str | None = None, rows: np.ndarray | None = None,
                    row_label: str = "row", apply_suggested_codes: bool = False, crs: str | int | None = "auto",
                    region_zones: gpd.GeoDataFrame | None = None, region: str = "",
                    units: dict[str, str] | None = None, poverty_rule: str = "none") -> ImportReport:
    """Validate a table of villages; return one report with every problem and, without errors, the villages.

    A chain of named steps, each reporting into the one report: map columns -> (long form to wide) -> parse
    coordinates -> check rows -> check places -> match codes -> assign zones -> build the frame. Every check runs on
    every row in one pass; a row with a blocking error is left out of the later checks (region, repeated names,
    NBS matching) but everything else about it is still reported.

    region_boundary (WGS84) flags villages outside the region and says when the points only fit under another
    datum; region_adcode flags codes of another county and enables the NBS 2023 checks and matching; region_zones
    are the zones a 所属沟域 column is matched against. crs: "auto", "degrees" or a projected EPSG code (see
    geo.ingest.places.parse_coordinates). rows gives each table row's number in the file (default: spreadsheet
    rows, the header being row 1). A table without coordinates (a register) gives unplaced villages.

    After the 2014–2020 machinery, every other numeric column the indicator registry recognises (monitoring
    headers, wide 监测户数2021 … columns) becomes long rows in report.indicators (geo.ingest.indicators); other
    numeric columns become custom indicators when units ({column: unit}) names them. region: the region's key
    written on those rows (the workspace sets it again on saving). A 村庄分类 column gives planning_class.
    poverty_rule: what a file without a 贫困村 column says of poverty status — POVERTY_RULE_NONE (no village is a
    poverty village; reported, with how many villages have poor people) or POVERTY_RULE_POOR_PEOPLE (a village with
    poor people in any year is a poverty village, identified in its first such year; reported as an assumption).
    """
    mapping = guess_mapping(table.columns) if mapping is None else dict(mapping)  # {} means: map nothing
    report = ImportReport(file=file_name, mapping=mapping, row_label=row_label)
    rows = np.arange(2, len(table) + 2) if rows is None else np.asarray(rows)
    if not check_options(report, table, mapping, datum):
        return report
    if "year" in mapping:
        table, rows = _long_to_wide(table, rows, mapping, report)
        if report.errors:
            return report
    table = table.reset_index(drop=True)
    blocked = np.zeros(len(table), dtype=bool)  # rows with a blocking problem: left out of the later checks
    region_shape = None if region_boundary is None else shapely.union_all(region_boundary.to_crs(4326).geometry.values)
    placement = parse_coordinates(table, mapping, rows, report, blocked, datum=datum, crs=crs,
                                  region_shape=region_shape)
    values = check_rows(table, mapping, rows, report, blocked, row_label)
    check_places(report, values, placement, datum, region_boundary, rows, blocked, mapping)
    codes = match_codes(report, values, mapping, region_adcode, rows, blocked, apply_suggested_codes)
    assigned = assign_zones(report, table, mapping, rows, region_zones)
    report.reading, report.readings = placement.reading, placement.readings
    if report.errors:
        return report
    build_frame(report, values, codes, assigned, placement, len(table), rows, file_name, region_zones,
                planning=_column(table, mapping, "planning_class") if "planning_class" in mapping else None,
                poverty_rule=None if "poverty_village" in mapping else poverty_rule)
    if report.villages is not None and not report.errors:
        from geo.ingest.indicators import indicator_rows

        exclude = [c for c in mapping.values() if c in table.columns]
        indicator_rows(report, table, report.villages["village_id"].astype(str).to_numpy(), region=region,
                       rows=rows, exclude=exclude, units=units)
    return report


def check_options(report: ImportReport, table: pd.DataFrame, mapping: dict, datum: str) -> bool:
    """Check what the whole table needs: a known datum, a name column, coordinates or something to match a
    register by (a code or a township), and rows. Return False when nothing more can be checked."""
    if datum not in DATUMS:
        report.add("error", None, None, "unknown_datum", datum=datum, choices=", ".join(DATUMS))
        return False
    if "name" not in mapping:
        report.add("error", None, "name", "no_column", field="name", aliases=", ".join(HEADER_ALIASES["name"]))
    has_coordinates = coordinate_columns(table.columns, mapping) is not None
    if not has_coordinates and not ({"code", "township"} & set(mapping)):
        for required in ("lon", "lat"):  # neither points nor a key to place the villages by later
            if required not in mapping:
                report.add("error", None, required, "no_column", field=required,
                           aliases=", ".join(HEADER_ALIASES[required]))
    if table.empty:
        report.add("error", None, None, "no_rows")
    return not report.errors


@dataclass
class RowValues:
    """The per-row values the checks read: names, ids, townships, codes (text) and numbers (float, NaN empty)."""

    names: pd.Series
    ids: pd.Series
    townships: pd.Series
    codes: pd.Series
    numbers: dict[str, pd.Series]
    poverty_village: object


def _column(table: pd.DataFrame, mapping: dict, name: str) -> pd.Series:
    if name in mapping and mapping[name] in table.columns:
        return table[mapping[name]].astype(str).str.strip()
    return pd.Series([""] * len(table), index=table.index, dtype=object)


def check_rows(table: pd.DataFrame, mapping: dict, rows: np.ndarray, report: ImportReport, blocked: np.ndarray,
               row_label: str = "row") -> RowValues:
    """Check each row on its own: a name, a unique id, numbers (text numbers read: 1,234人, full-width, 18.6%),
    nothing negative, poor population not above the rural population. Mark rows with a blocking problem."""
    names = _column(table, mapping, "name")
    for i in np.flatnonzero((names == "").to_numpy()):
        report.add("error", int(rows[i]), mapping.get("name"), "no_name")
        blocked[i] = True
    ids = _column(table, mapping, "village_id") if "village_id" in mapping else \
        pd.Series([f"{row_label}-{r}" for r in rows], index=table.index)
    for i in np.flatnonzero(ids.duplicated(keep="first").to_numpy()):
        report.add("error", int(rows[i]), mapping.get("village_id"), "duplicate_village_id", id=ids.iloc[i])
        blocked[i] = True
    numbers: dict[str, pd.Series] = {}
    for canonical in ("rural_population", "identified_year", "exit_year", "poor_households", *POOR_COLUMNS):
        if canonical not in mapping:
            continue
        raw = _column(table, mapping, canonical)
        values, _, problems = parse_number_column(raw)
        for i, problem in problems:
            key = _number_key(problem)
            report.add("error", int(rows[i]), mapping[canonical], key, **problem.params)
            blocked[i] = True
        for i in np.flatnonzero(values < 0):
            report.add("error", int(rows[i]), mapping[canonical], "negative", value=raw.iloc[i])
            blocked[i] = True
        if canonical == "rural_population" or canonical in POOR_COLUMNS:
            for i in np.flatnonzero(np.isnan(values) & np.array([not p for p in _has_problem(len(raw), problems)])):
                report.add("warning", int(rows[i]), mapping[canonical], "empty_counted_zero")
        numbers[canonical] = pd.Series(values, index=table.index)
    if "rural_population" in numbers:
        rural = numbers["rural_population"].to_numpy(dtype=float)
        for canonical in POOR_COLUMNS:
            if canonical in numbers:
                for i in np.flatnonzero(numbers[canonical].to_numpy(dtype=float) > rural):
                    report.add("error", int(rows[i]), mapping[canonical], "poor_exceeds_rural",
                               poor=_column(table, mapping, canonical).iloc[i],
                               rural=_column(table, mapping, "rural_population").iloc[i])
                    blocked[i] = True
    if "poor_population" in mapping and not any(c in mapping for c in POOR_COLUMNS):
        values, _, problems = parse_number_column(_column(table, mapping, "poor_population"))
        for i, problem in problems:
            key = _number_key(problem)
            report.add("error", int(rows[i]), mapping["poor_population"], key, **problem.params)
            blocked[i] = True
        numbers["poor_2014"] = pd.Series(values, index=table.index)
        report.add("warning", None, mapping["poor_population"], "one_poor_column")
    poverty = table[mapping["poverty_village"]].to_numpy() if "poverty_village" in mapping else False
    return RowValues(names, ids, _column(table, mapping, "township"), _column(table, mapping, "code"), numbers,
                     poverty)


def _number_key(problem: Message) -> str:
    """Return the message key for a number that could not be read (the importer's own for a plain non-number)."""
    return "not_number" if problem.key == "number_not_number" else problem.key


def _has_problem(n: int, problems) -> list[bool]:
    out = [False] * n
    for i, _ in problems:
        out[i] = True
    return out


def check_places(report: ImportReport, values: RowValues, placement: Placement, datum: str,
                 region_boundary: gpd.GeoDataFrame | None, rows: np.ndarray, blocked: np.ndarray,
                 mapping: dict) -> None:
    """Check what needs the places: outside the region, another datum fitting better, a name repeated in one
    township (at different places, or twice at one)."""
    check_region(report, placement, datum, region_boundary, rows, blocked)
    check_repeated_names(report, values.names, values.townships, placement, rows, blocked, mapping.get("name"))


def match_codes(report: ImportReport, values: RowValues, mapping: dict, region_adcode: str | None,
                rows: np.ndarray, blocked: np.ndarray, apply_suggested_codes: bool = False) -> pd.Series:
    """Check codes (12 digits, this county) and match rows to the NBS 2023 list; return the codes to keep."""
    check_codes(report, values.codes, mapping.get("code"), region_adcode, rows, blocked)
    codes = match_villages(report, values.codes, values.names, values.townships, mapping, region_adcode, rows,
                           blocked)
    if apply_suggested_codes and report.suggested_codes:
        by_row = {int(r): i for i, r in enumerate(rows)}
        for row, code in report.suggested_codes.items():
            codes.iloc[by_row[row]] = code
    return codes


def assign_zones(report: ImportReport, table: pd.DataFrame, mapping: dict, rows: np.ndarray,
                 region_zones: gpd.GeoDataFrame | None) -> list[str]:
    """Read the zone column (所属沟域 …: several names joined by 、 ; ，) and say which names the region's zones
    have and which become zones with members but no outline yet. Return each row's names joined by 、."""
    if "zones_assigned" not in mapping:
        return [""] * len(table)
    per_row = [split_zone_names(v) for v in _column(table, mapping, "zones_assigned")]
    known = set()
    if region_zones is not None and len(region_zones):
        for column in ("zone_id", "name_zh", "name_en"):
            known |= {"".join(str(v).split()).lower() for v in region_zones[column] if isinstance(v, str)}
    counts: dict[str, int] = {}
    for names in per_row:
        for name in names:
            counts[name] = counts.get(name, 0) + 1
    matched = {n: c for n, c in counts.items() if "".join(n.split()).lower() in known}
    new = {n: c for n, c in counts.items() if n not in matched}
    column = mapping["zones_assigned"]
    if matched:
        report.add("note", None, column, "zones_assigned_matched", count=len(matched),
                   zones="、".join(f"{n} ({c})" for n, c in matched.items()))
    for name, count in new.items():
        report.add("warning", None, column, "zone_assigned_new", zone=name, count=count)
    report.zones_new = list(new)
    return ["、".join(names) for names in per_row]


def build_frame(report: ImportReport, values: RowValues, codes: pd.Series, assigned: list[str],
                placement: Placement, n_rows: int, rows: np.ndarray, file_name: str,
                region_zones: gpd.GeoDataFrame | None = None, planning: pd.Series | None = None,
                poverty_rule: str | None = None) -> None:
    """Assemble the validated villages (WGS84 points, None where unplaced) and put them in the report.

    poverty_rule (a file without a 贫困村 column): see import_villages."""
    numbers = values.numbers
    empty = pd.Series([np.nan] * n_rows)
    frame = pd.DataFrame({
        "village_id": values.ids.to_numpy(), "name": values.names.to_numpy(),
        "township": values.townships.to_numpy(), "code": codes.to_numpy(),
        "rural_population": numbers.get("rural_population", empty).to_numpy(),
        "poverty_village": values.poverty_village,
        "identified_year": numbers.get("identified_year", empty).to_numpy(),
        "exit_year": numbers.get("exit_year", empty).to_numpy(),
        "poor_households": numbers.get("poor_households", empty).to_numpy(),
        "zones_assigned": assigned,
        "provenance": "user",
    })
    if planning is not None:
        from geo.villages import PLANNING_CLASS_COLUMN

        frame[PLANNING_CLASS_COLUMN] = planning.to_numpy()
    _fill_missing_years(frame, numbers, n_rows, report)
    if frame["rural_population"].isna().all():
        frame["rural_population"] = frame[POOR_COLUMNS].max(axis=1)
        report.add("warning", None, "rural_population", "no_rural_population")
    else:
        frame["rural_population"] = frame["rural_population"].fillna(0)
    if poverty_rule is not None:
        _poverty_from_rule(frame, poverty_rule, report)
    frame["identified_year"] = frame["identified_year"].where(
        ~(frame["poverty_village"].map(lambda v: str(v).strip() in {"1", "是", "true", "True", "贫困村"})
          & frame["identified_year"].isna()), YEARS[0])
    located = placement.located
    geometry = np.where(located, shapely.points(np.nan_to_num(placement.lon), np.nan_to_num(placement.lat)), None)
    villages = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geometry, crs=4326), crs=4326)
    try:
        report.villages = validate_villages(villages, name=file_name)
    except SchemaError as exc:
        for problem in exc.problems:
            report.add("error", None if problem.row is None else int(rows[problem.row - 1]), problem.column,
                       problem.key, **problem.params)
        return
    report.rows_ok = len(report.villages)
    report.source_rows = [int(r) for r in rows]
    report.unplaced = int((~located).sum())
    if region_zones is not None and len(region_zones) and "zones_assigned" in report.mapping:
        from geo.coverage.membership import membership_disagreements

        zones = region_zones
        for item in membership_disagreements(zones, report.villages)[:MAX_ROW_WARNINGS]:
            village, zone = report.villages.iloc[item["village"]], zones.iloc[item["zone"]]
            key = "assigned_outside" if item["kind"] == "assigned_outside" else "inside_assigned_elsewhere"
            report.add("warning", int(rows[item["village"]]), report.mapping["zones_assigned"], key, name=village["name"], zone=zone["name_zh"], assigned=village["zones_assigned"] or "—")


POVERTY_RULE_NONE = "none"  # a file without a 贫困村 column: no village is a poverty village (reported)
POVERTY_RULE_POOR_PEOPLE = "poor_people"  # …: a village with poor people in any year is a poverty village
POVERTY_RULES = (POVERTY_RULE_NONE, POVERTY_RULE_POOR_PEOPLE)


def _poverty_from_rule(frame: pd.DataFrame, rule: str, report: ImportReport) -> None:
    """Set poverty status where the file has no 贫困村 column, by the rule the user chose, and say what was assumed
    (never silently: a file with poor people and no status would otherwise show 0 of 0 poverty villages)."""
    if rule not in POVERTY_RULES:
        raise ValueError(f"poverty rule {rule!r} is not one of {', '.join(POVERTY_RULES)}")
    poor = frame[POOR_COLUMNS].fillna(0).to_numpy(dtype=float) > 0
    with_poor = poor.any(axis=1)
    if not with_poor.any():
        return
    if rule == POVERTY_RULE_NONE:
        frame["poverty_village"] = False
        report.add("warning", None, "poverty_village", "poverty_status_missing", count=int(with_poor.sum()),
                   total=len(frame))
        return
    frame["poverty_village"] = with_poor
    first = np.array(YEARS)[poor.argmax(axis=1)]
    frame["identified_year"] = frame["identified_year"].where(frame["identified_year"].notna() | ~with_poor,
                                                              pd.Series(first, index=frame.index).astype(float))
    report.add("warning", None, "poverty_village", "poverty_status_assumed", count=int(with_poor.sum()),
               total=len(frame))


def _fill_missing_years(frame: pd.DataFrame, numbers: dict, n_rows: int, report: ImportReport) -> None:
    """Give every year a poor-population column: a missing year takes the previous year's figure, years before the
    first given one are 0 — and the report says which years were filled and how (never silently)."""
    last, carried, zeroed = None, [], []
    given = [c for c in POOR_COLUMNS if c in numbers]
    for year, column_name in zip(YEARS, POOR_COLUMNS):
        values = numbers.get(column_name)
        if values is None:
            if last is None:
                zeroed.append(year)
                values = pd.Series([0] * n_rows)
            else:
                carried.append(year)
                values = last
        frame[column_name] = pd.Series(values).fillna(0).to_numpy()
        last = pd.Series(values)
    if given and (carried or zeroed) and not any(i.key == "one_poor_column" for i in report.issues):
        report.add("warning", None, None, "wide_years_filled", carried="、".join(map(str, carried)) or "—",
                   zeroed="、".join(map(str, zeroed)) or "—")


def _long_to_wide(table: pd.DataFrame, rows: np.ndarray, mapping: dict, report: ImportReport):
    """Turn one row per village and year into one row per village with poor_YYYY columns (in place of mapping)."""
    poor = mapping.get("poor_population")
    if poor is None:
        report.add("error", None, mapping["year"], "long_no_poor")
        return table, rows
    key_field = next(f for f in ("village_id", "code", "name") if f in mapping)
    keys = table[mapping[key_field]].astype(str).str.strip()
    if key_field == "name" and "township" in mapping:
        keys = table[mapping["township"]].astype(str).str.strip() + "/" + keys
    years, empty, bad = _numbers(table[mapping["year"]])
    for i in np.flatnonzero(bad | empty | ~years.isin(YEARS).to_numpy()):
        report.add("error", int(rows[i]), mapping["year"], "bad_year", value=table[mapping["year"]].iloc[i],
                   first=YEARS[0], last=YEARS[-1])
    repeated = pd.DataFrame({"k": keys, "y": years}).duplicated(keep="first").to_numpy()
    for i in np.flatnonzero(repeated):
        report.add("error", int(rows[i]), mapping["year"], "repeated_year", village=keys.iloc[i],
                   year=int(years.iloc[i]) if np.isfinite(years.iloc[i]) else "?")
    if report.errors:
        return table, rows
    first = ~keys.duplicated(keep="first").to_numpy()
    wide = table[first].reset_index(drop=True)
    wide_rows = rows[first]
    for name in (n for n in ("lon", "lat") if n in mapping):  # a register has none
        moved = table.groupby(keys.to_numpy(), sort=False)[mapping[name]].nunique()
        for key in moved.index[moved > 1][:20]:
            i = int(np.flatnonzero(first & (keys == key).to_numpy())[0])
            report.add("warning", int(rows[i]), mapping[name], "moved_between_years", village=key, field=name)
    for year in YEARS:
        in_year = (years == year).to_numpy()
        if in_year.any():
            values = pd.Series(table[poor].to_numpy()[in_year], index=keys.to_numpy()[in_year])
            wide[f"poor_{year}"] = values.reindex(keys.to_numpy()[first]).fillna("").to_numpy()
            mapping[f"poor_{year}"] = f"poor_{year}"
    present = [f"poor_{y}" for y in YEARS if f"poor_{y}" in wide.columns]
    grid = wide[present].replace("", np.nan)
    carried = int((grid.isna() & grid.ffill(axis=1).notna()).to_numpy().sum())
    before = int(grid.ffill(axis=1).isna().to_numpy().sum())
    wide[present] = grid.ffill(axis=1).fillna("0")
    if carried or before:
        report.add("warning", None, poor, "long_filled", carried=carried, before=before)
    mapping.pop("poor_population")
    mapping.pop("year")
    report.add("warning", None, mapping.get(key_field, key_field), "long_form", rows=len(table), villages=len(wide),
               years=len(set(years)))
    return wide, wide_rows


# ---------------------------------------------------------------------------------------------- whole files
def read_village_upload(data: bytes, file_name: str) -> tuple[pd.DataFrame, np.ndarray, str, list[Message]]:
    """Return (table as text, each row's number in the file, "row"/"feature", notes) of any village file
    (read_village_table as a tuple, for callers that predate it)."""
    table = read_village_table(data, file_name)
    return table.frame, table.rows, table.row_label, [note for _, note in table.notes]


def _vector_table(data: bytes, file_name: str) -> tuple[pd.DataFrame, np.ndarray, str, list[Message]]:
    """Return the attributes of a vector file plus lon/lat of its points (reprojected to degrees when the file has
    a projected CRS), each feature's number, "feature" and the notes of the read."""
    vector = read_vector(data, file_name)
    frame, notes = vector.frame, list(vector.notes)
    if frame.crs is None:
        notes.append(Message("note_no_crs_degrees"))
    elif not frame.crs.is_geographic:
        notes.append(Message("note_reprojected", {"crs": frame.crs.name}))
        frame = frame.to_crs(4326)
    table = pd.DataFrame({c: frame[c].map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v))
                                          else _cell_text(v)) for c in frame.columns if c != "geometry"},
                         dtype=object)
    kinds = frame.geometry.geom_type.fillna("none").to_numpy()
    points = kinds == "Point"
    lon = np.where(points, shapely.get_x(frame.geometry.values), np.nan)
    lat = np.where(points, shapely.get_y(frame.geometry.values), np.nan)
    for name, values in (("lon", lon), ("lat", lat)):
        target = name if name not in table.columns else f"{name} (geometry)"
        table[target] = [("" if not np.isfinite(v) else repr(float(v))) for v in values]
    wrong = np.flatnonzero(~points)
    if len(wrong):
        kinds_found = ", ".join(sorted(set(kinds[wrong])))
        notes.append(Message("not_points", {"count": len(wrong), "kinds": kinds_found}))
        table.loc[table.index[wrong], [c for c in table.columns if c.startswith(("lon", "lat"))]] = \
            f"not a point ({kinds_found})"
    return table, np.arange(1, len(table) + 1), "feature", notes


NOTE_KEYS = ("header_found", "row_skipped_title", "row_skipped_unit", "row_skipped_blank", "row_skipped_total",
             "row_skipped_note", "row_skipped_footer", "row_skipped_header_repeat", "column_dropped_index",
             "column_filled_merged", "column_filled_blank")  # what reading a sheet did: listed, nothing to fix


def import_village_file(data: bytes, file_name: str, *, mapping: dict[str, str] | None = None,
                        upload: VillageTable | tuple | None = None, sheet: str | int | None = None,
                        **options) -> ImportReport:
    """Read and validate any village file; every failure, even an unexpected one, comes back as a report error.

    upload: what read_village_table returned for this file, when the caller has read it already. sheet: the
    worksheet (name or 0-based position) of a workbook. options: those of import_villages.
    """
    try:
        with keep_nothing(file_name):  # scratch files wiped, logs scrubbed, a refusal keeps no reference to cells
            try:
                if isinstance(upload, tuple):
                    upload = VillageTable(upload[0], upload[1], upload[2], [(None, n) for n in upload[3]])
                table = upload if upload is not None else read_village_table(data, file_name, sheet=sheet)
            except Exception as exc:  # nothing the user uploads may end in a stack trace
                return failed_import(file_name, exc, reading=True)
            refuse_personal_data(table.frame, file_name)  # village aggregates only: before anything else
            return _import_table(table, file_name, mapping, options)
    except PersonalDataRefused as refusal:
        return refused_report(file_name, refusal.messages)


def _import_table(table: VillageTable, file_name: str, mapping: dict[str, str] | None, options: dict) -> ImportReport:
    notes = list(table.notes)
    if table.crs == "degrees":
        options = {**options, "crs": "degrees"}  # the file's own CRS put its points in lon/lat
    if any(note.key == "note_reprojected" for _, note in notes) and options.get("datum") in ("gcj02", "bd09"):
        notes.append((None, Message("datum_ignored", {"datum": options["datum"]})))
        options = {**options, "datum": "wgs84"}  # the file's own CRS says where its points are
    try:
        report = import_villages(table.frame, file_name=file_name, mapping=mapping, rows=table.rows,
                                 row_label=table.row_label, **options)
    except Exception as exc:
        report = failed_import(file_name, exc, reading=False, row_label=table.row_label, mapping=mapping)
    report.sheet, report.sheet_names = table.sheet, list(table.sheet_names)
    for row, note in notes:
        report.add_message("note" if note.key in NOTE_KEYS else "warning", note, row=row)
    return report


# ---------------------------------------------------------------------------------------------- placing
def village_keys(villages: pd.DataFrame) -> tuple[list[str], list[str], list[str]]:
    """Return each village's keys for matching: code, township/name, and name alone (bare spellings)."""
    codes = [str(c).strip() for c in villages["code"]] if "code" in villages.columns else [""] * len(villages)
    towns = villages["township"] if "township" in villages.columns else [""] * len(villages)
    names = [bare_name(n) for n in villages["name"]]
    return codes, [f"{township_key(t)}/{n}" for t, n in zip(towns, names)], names


def locate_villages(existing: gpd.GeoDataFrame, report: ImportReport) -> gpd.GeoDataFrame:
    """Place villages already saved from the villages of a file with coordinates (report.villages), matched by code,
    else township + name, else a name found once; return the existing villages that got a point (to save).

    Every row of the file that matches no village, or more than one, and every village placed again somewhere
    else, is added to the report; villages the file does not name keep what they had.
    """
    incoming = report.villages
    if incoming is None or existing is None or not len(existing):
        report.add("error", None, None, "locate_nothing_to_place")
        return existing.iloc[0:0] if existing is not None else existing
    codes, town_names, names = village_keys(existing)
    index: dict[tuple[str, str], list[int]] = {}
    for pos, (code, town_name, name) in enumerate(zip(codes, town_names, names)):
        if code:
            index.setdefault(("code", code), []).append(pos)
        index.setdefault(("town", town_name), []).append(pos)
        index.setdefault(("name", name), []).append(pos)
    in_codes, in_towns, in_names = village_keys(incoming)
    was_placed = placed(existing)
    geometry = existing.geometry.values.copy()
    changed: set[int] = set()
    for i in range(len(incoming)):
        point = incoming.geometry.iloc[i]
        if point is None:
            continue
        row = report.source_rows[i] if i < len(report.source_rows) else i + 1
        hits: list[int] = []
        for key in (("code", in_codes[i]), ("town", in_towns[i]), ("name", in_names[i])):
            if key[1] and key[1] != "/" and key in index:
                hits = index[key]
                break
        label = f"{incoming['township'].iloc[i]} {incoming['name'].iloc[i]}".strip()
        if not hits:
            report.add("warning", row, "name", "locate_unmatched", village=label)
        elif len(hits) > 1:
            report.add("warning", row, "name", "locate_ambiguous", village=label, count=len(hits))
        else:
            pos = hits[0]
            if was_placed[pos]:
                report.add("warning", row, "name", "locate_moved", village=label)
            geometry[pos] = point
            changed.add(pos)
    out = existing.copy()
    out = out.set_geometry(gpd.GeoSeries(geometry, index=existing.index, crs=4326))
    located = out.iloc[sorted(changed)]
    report.add("note", None, None, "locate_summary", placed=len(located),
               still=int((~placed(out)).sum()), total=len(out))
    return located
