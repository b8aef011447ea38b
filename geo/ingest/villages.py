"""Importing a planner's own villages: read messy tables, map their columns, validate everything, report once.

Nothing here writes anywhere: an import is a report (errors block, warnings do not) plus, when there are no
errors, the villages as a validated WGS84 GeoDataFrame with provenance "user".
"""
from __future__ import annotations

import io
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.crs import DATUMS, convert_coords
from geo.errors import FileProblem, SchemaError
from geo.i18n import Message
from geo.ingest.files import VECTOR_SUFFIXES, check_size, read_vector
from geo.ingest.reference import adcode_prefix, bare_name, village_list
from geo.ingest.report import ImportReport, Issue, failed_import  # noqa: F401  (part of this module's API)
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
    "year": ("year", "年份", "年度", "年"),  # long form: one row per village and year
}


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
        for encoding in ENCODINGS:
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise FileProblem("not_text", file=file_name)
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


def import_villages(table: pd.DataFrame, *, file_name: str, region_boundary: gpd.GeoDataFrame | None = None,
                    datum: str = "wgs84", mapping: dict[str, str] | None = None,
                    region_adcode: str | None = None, rows: np.ndarray | None = None,
                    row_label: str = "row", apply_suggested_codes: bool = False) -> ImportReport:
    """Validate a table of villages; return one report with every problem and, without errors, the villages.

    region_boundary (WGS84) lets the report flag villages outside the region and say when the points only fit the
    region under another datum; region_adcode flags codes of another county and enables the NBS 2023 checks.
    rows gives each table row's number in the file (default: spreadsheet rows, the header being row 1).
    A long-form table (one row per village and year, with a 年份/year column) is turned wide first.
    """
    mapping = guess_mapping(table.columns) if mapping is None else dict(mapping)  # {} means: map nothing
    report = ImportReport(file=file_name, mapping=mapping, row_label=row_label)
    rows = np.arange(2, len(table) + 2) if rows is None else np.asarray(rows)
    if datum not in DATUMS:
        report.add("error", None, None, "unknown_datum", datum=datum, choices=", ".join(DATUMS))
        return report
    for required in ("name", "lon", "lat"):
        if required not in mapping:
            report.add("error", None, required, "no_column", field=required,
                       aliases=", ".join(HEADER_ALIASES[required]))
    if table.empty:
        report.add("error", None, None, "no_rows")
    if report.errors:
        return report
    if "year" in mapping:
        table, rows = _long_to_wide(table, rows, mapping, report)
        if report.errors:
            return report

    def column(name):
        return table[mapping[name]] if name in mapping else pd.Series([""] * len(table), index=table.index)

    lon, lon_empty, lon_bad = _numbers(column("lon"))
    lat, lat_empty, lat_bad = _numbers(column("lat"))
    for label, values, empty, bad, limit in (("lon", lon, lon_empty, lon_bad, 180), ("lat", lat, lat_empty, lat_bad, 90)):
        for i in np.flatnonzero(empty | bad):
            report.add("error", int(rows[i]), mapping[label], "coordinate_not_number", field=label,
                       value=column(label).iloc[i])
        for i in np.flatnonzero(np.abs(values.to_numpy()) > limit):
            report.add("error", int(rows[i]), mapping[label], "coordinate_out_of_range", field=label,
                       value=float(values.iloc[i]), limit=limit)
    x = lon.to_numpy(dtype=float)
    y = lat.to_numpy(dtype=float)
    both = np.isfinite(x) & np.isfinite(y)
    # swapped columns: China's latitudes are 18-54, longitudes 73-135
    swapped = both & (x >= 15) & (x <= 55) & (y >= 70) & (y <= 136)
    if swapped.mean() > 0.5:
        report.add("error", None, f"{mapping['lon']} / {mapping['lat']}", "swapped", count=int(swapped.sum()),
                   total=len(x))
    codes = column("code").astype(str).str.strip()
    _check_codes(report, codes, mapping.get("code"), region_adcode, rows)
    names = column("name").astype(str).str.strip()
    for i in np.flatnonzero((names == "").to_numpy()):
        report.add("error", int(rows[i]), mapping["name"], "no_name")
    if region_adcode:
        _check_against_nbs(report, codes, names, column("township").astype(str).str.strip(), mapping, region_adcode,
                           rows)
        if apply_suggested_codes and report.suggested_codes:
            by_row = {int(r): i for i, r in enumerate(rows)}
            codes = codes.copy()
            for row, code in report.suggested_codes.items():
                codes.iloc[by_row[row]] = code
    ids = column("village_id").astype(str).str.strip() if "village_id" in mapping else \
        pd.Series([f"{row_label}-{r}" for r in rows], index=table.index)
    for i in np.flatnonzero(ids.duplicated(keep="first").to_numpy()):
        report.add("error", int(rows[i]), mapping.get("village_id"), "duplicate_village_id", id=ids.iloc[i])
    numbers = {}
    for canonical in ("rural_population", "identified_year", "exit_year", *POOR_COLUMNS):
        if canonical in mapping:
            values, empty, bad = _numbers(column(canonical))
            for i in np.flatnonzero(bad):
                report.add("error", int(rows[i]), mapping[canonical], "not_number", value=column(canonical).iloc[i])
            for i in np.flatnonzero(values.to_numpy() < 0):
                report.add("error", int(rows[i]), mapping[canonical], "negative", value=column(canonical).iloc[i])
            if canonical == "rural_population" or canonical in POOR_COLUMNS:
                for i in np.flatnonzero(empty):
                    report.add("warning", int(rows[i]), mapping[canonical], "empty_counted_zero")
            numbers[canonical] = values
    if "rural_population" in numbers:
        rural = numbers["rural_population"].to_numpy(dtype=float)
        for canonical in POOR_COLUMNS:
            if canonical in numbers:
                over = numbers[canonical].to_numpy(dtype=float) > rural
                for i in np.flatnonzero(over):
                    report.add("error", int(rows[i]), mapping[canonical], "poor_exceeds_rural",
                               poor=column(canonical).iloc[i], rural=column("rural_population").iloc[i])
    if "poor_population" in mapping and not any(c in mapping for c in POOR_COLUMNS):
        numbers["poor_2014"] = _numbers(column("poor_population"))[0]
        report.add("warning", None, mapping["poor_population"], "one_poor_column")
    if report.errors:
        return report
    if region_boundary is not None and both.any():
        _check_region(report, x, y, datum, region_boundary, rows)
    wgs_lon, wgs_lat = convert_coords(x, y, datum, "wgs84")
    frame = pd.DataFrame({
        "village_id": ids.to_numpy(), "name": names.to_numpy(),
        "township": column("township").astype(str).to_numpy(), "code": codes.to_numpy(),
        "rural_population": numbers.get("rural_population", pd.Series([np.nan] * len(table))).to_numpy(),
        "poverty_village": column("poverty_village").to_numpy() if "poverty_village" in mapping else False,
        "identified_year": numbers.get("identified_year", pd.Series([np.nan] * len(table))).to_numpy(),
        "exit_year": numbers.get("exit_year", pd.Series([np.nan] * len(table))).to_numpy(),
        "provenance": "user",
    })
    _fill_missing_years(frame, numbers, len(table), report)
    if frame["rural_population"].isna().all():
        frame["rural_population"] = frame[POOR_COLUMNS].max(axis=1)
        report.add("warning", None, "rural_population", "no_rural_population")
    frame["identified_year"] = frame["identified_year"].where(
        ~(frame["poverty_village"].map(lambda v: str(v).strip() in {"1", "是", "true", "True", "贫困村"})
          & frame["identified_year"].isna()), YEARS[0])
    villages = gpd.GeoDataFrame(frame, geometry=shapely.points(wgs_lon, wgs_lat), crs=4326)
    try:
        report.villages = validate_villages(villages, name=file_name)
        report.rows_ok = len(report.villages)
    except SchemaError as exc:
        for problem in exc.problems:
            report.add("error", None if problem.row is None else int(rows[problem.row - 1]), problem.column,
                       problem.key, **problem.params)
    return report


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
    for name in ("lon", "lat"):
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


def _check_codes(report: ImportReport, codes: pd.Series, column: str | None, region_adcode: str | None,
                 rows: np.ndarray) -> None:
    if column is None:
        return
    prefix = adcode_prefix(region_adcode) if region_adcode else ""
    for i, raw in enumerate(codes):
        if raw == "":
            continue
        row = int(rows[i])
        if re.fullmatch(r"\d{12}\.0+|\d(\.\d+)?[eE]\+?1[01]", raw):
            report.add("error", row, column, "code_float", code=raw)
        elif not re.fullmatch(r"\d{12}", raw):
            report.add("error", row, column, "code_not_12", code=raw)
        elif prefix and not raw.startswith(prefix):
            report.add("warning", row, column, "code_other_county", code=raw, county=raw[:6], region=region_adcode)


def _check_against_nbs(report: ImportReport, codes: pd.Series, names: pd.Series, townships: pd.Series,
                       mapping: dict, region_adcode: str, rows: np.ndarray) -> None:
    """Compare codes and names with the NBS 2023 list; suggest a code for a name without one when it is unique."""
    nbs = village_list()
    prefix = adcode_prefix(region_adcode)
    if not any(c.startswith(prefix) for c in nbs.counties):
        return  # no reference list for this region: nothing to say
    code_column = mapping.get("code", "code")
    for i, (code, name) in enumerate(zip(codes, names)):
        row = int(rows[i])
        if re.fullmatch(r"\d{12}", code) and nbs.covers(code):
            listed = nbs.name_of(code)
            if listed is None:
                hits = nbs.find_by_name(name, prefix, townships.iloc[i])
                if len(hits) == 1:
                    report.add("warning", row, code_column, "code_unknown_named", code=code, name=name,
                               suggested=hits[0])
                else:
                    report.add("warning", row, code_column, "code_unknown", code=code)
            elif name and bare_name(listed) != bare_name(name):
                report.add("warning", row, code_column, "code_name_mismatch", code=code, listed=listed, name=name)
        elif code == "" and name:
            hits = nbs.find_by_name(name, prefix, townships.iloc[i])
            if len(hits) == 1:
                report.suggested_codes[row] = hits[0]
                report.add("warning", row, code_column, "code_suggested", name=name, suggested=hits[0])
            elif len(hits) > 1:
                report.add("warning", row, code_column, "code_ambiguous_name", name=name, count=len(hits))


def _check_region(report: ImportReport, x, y, datum: str, boundary: gpd.GeoDataFrame, rows: np.ndarray) -> None:
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
        report.add("warning", None, "datum", "datum_mismatch", declared=names[declared], best=names[best],
                   declared_share=fractions[declared], best_share=fractions[best])
    lon, lat = convert_coords(x, y, datum, "wgs84")
    inside = shapely.contains_xy(shape, np.nan_to_num(lon), np.nan_to_num(lat))
    for i in np.flatnonzero(ok & ~inside)[:200]:
        report.add("warning", int(rows[i]), "lon/lat", "outside_region", lon=float(x[i]), lat=float(y[i]))


# ---------------------------------------------------------------------------------------------- whole files
def read_village_upload(data: bytes, file_name: str) -> tuple[pd.DataFrame, np.ndarray, str, list[Message]]:
    """Return (table as text, each row's number in the file, "row"/"feature", notes) of any village file.

    Tables (CSV/XLSX) as read_table; vector files (GeoJSON, KML, GeoPackage, zipped Shapefile) give their
    attributes plus lon/lat of their points (reprojected to degrees when the file has a projected CRS).
    Raises ValueError (FileProblem) with what was wrong and what to do.
    """
    check_size(data, file_name)
    suffix = Path(file_name).suffix.lower()
    if suffix not in VECTOR_SUFFIXES:
        table = read_table(data, file_name)
        return table, np.arange(2, len(table) + 2), "row", []
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


def import_village_file(data: bytes, file_name: str, *, mapping: dict[str, str] | None = None,
                        upload: tuple | None = None, **options) -> ImportReport:
    """Read and validate any village file; every failure, even an unexpected one, comes back as a report error.

    upload: what read_village_upload returned for this file, when the caller has read it already.
    """
    try:
        table, rows, row_label, notes = upload if upload is not None else read_village_upload(data, file_name)
    except Exception as exc:  # nothing the user uploads may end in a stack trace
        return failed_import(file_name, exc, reading=True)
    if any(note.key == "note_reprojected" for note in notes) and options.get("datum") in ("gcj02", "bd09"):
        notes = [*notes, Message("datum_ignored", {"datum": options["datum"]})]
        options = {**options, "datum": "wgs84"}  # the file's own CRS says where its points are
    try:
        report = import_villages(table, file_name=file_name, mapping=mapping, rows=rows, row_label=row_label,
                                 **options)
    except Exception as exc:
        report = failed_import(file_name, exc, reading=False, row_label=row_label, mapping=mapping)
    for note in notes:
        report.add_message("warning", note)
    return report
