"""Importing village indicators: the monitoring figures (and any other numeric column) of a table, as long rows.

Two ways in, one report type (geo.ingest.report.ImportReport, whose `indicators` and `indicator_definitions` carry
the result):
- with the villages: import_village_file calls indicator_rows for every column the 2014–2020 machinery does not
  use (monitoring headers, wide 监测户数2021 … columns, a 统计时点 column of a long table);
- alone: import_indicator_file reads a file of figures keyed by village id, code or name, matches its rows to the
  villages a region already has (seed or saved) and leaves the villages as they are.
Numeric columns no registry indicator claims become custom indicators when the caller states their unit
({column: unit}); the others are listed in the report and left out. A file that identifies people is refused and
nothing of it is kept (geo.ingest.privacy), as for any village file.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from geo.i18n import Message
from geo.indicators import (
    IndicatorRegistry,
    custom_indicator,
    definitions_frame,
    empty_long,
    indicator_columns,
    load_indicators,
    normalise_header,
    table_to_long,
)
from geo.ingest.report import ImportReport, failed_import

KEY_FIELDS = ("village_id", "code", "name")  # how a row names its village, in order of trust


def parse_units(pairs) -> dict[str, str]:
    """Return {column: unit} of COLUMN=UNIT texts (the command line's --unit); raise ValueError naming a bad one."""
    units = {}
    for pair in pairs or ():
        column, sep, unit = str(pair).partition("=")
        if not sep or not column.strip() or not unit.strip():
            raise ValueError(f"--unit {pair!r}: expected COLUMN=UNIT, e.g. --unit 合作社数=个")
        units[column.strip()] = unit.strip()
    return units


def custom_indicators(units: dict[str, str] | None, columns) -> dict:
    """Return {column: custom indicator} for the columns a unit was stated for (compared as headers are)."""
    by_normal = {normalise_header(c): c for c in columns}
    out = {}
    for column, unit in (units or {}).items():
        found = by_normal.get(normalise_header(column))
        if found is not None:
            kind = "households" if unit.strip() in ("户",) else "people" if unit.strip() in ("人",) else \
                "villages" if unit.strip() in ("个", "村") else "money" if "元" in unit else "share" \
                if unit.strip() in ("%", "％") else "money"
            out[found] = custom_indicator(_without_period(found), unit_zh=unit, kind=kind)
    return out


def _without_period(header: str) -> str:
    """Return a header without a year or month before or after it (合作社数2024 -> 合作社数): the indicator's name,
    the year being the column's."""
    from geo.indicators import _PERIOD_AROUND

    text = str(header).strip()
    for pattern in _PERIOD_AROUND:
        found = pattern.fullmatch(text)
        if found and found.group("rest").strip("（）() _-"):
            return found.group("rest").strip("（）() _-")
    return text


def indicator_rows(report: ImportReport, table: pd.DataFrame, village_ids, *, region: str, rows: np.ndarray,
                   exclude=(), units: dict[str, str] | None = None, provenance: str = "user",
                   registry: IndicatorRegistry | None = None) -> None:
    """Put the long indicator rows of a table (one village id per row, "" for a row left out) into the report.

    exclude: columns that are not indicator values (ids, names, coordinates, 2014–2020 columns the village import
    uses). Rows whose period cannot be read and numeric columns without a unit are reported as warnings.
    """
    registry = registry or load_indicators()
    ids = pd.Series(np.asarray(village_ids, dtype=object), index=table.index).fillna("").astype(str)
    keep = (ids != "").to_numpy()
    work = table[keep].assign(__village_id=ids[keep].to_numpy())
    custom = custom_indicators(units, [c for c in table.columns if c not in exclude])
    try:
        result = table_to_long(work, region=region, id_column="__village_id", registry=registry, custom=custom,
                               exclude=tuple(exclude), provenance=provenance, source=report.file)
    except Exception as exc:  # a SchemaError lists problems by row of the long table: report them as they are
        for problem in getattr(exc, "problems", []) or [None]:
            if problem is None:
                report.add("error", None, None, "indicator_unreadable", error=f"{type(exc).__name__}: {exc}")
            else:
                report.add_message("error", Message(problem.key, problem.params))
        return
    file_rows = rows[keep]
    for position in result.bad_period_rows[:20]:
        period = next(c for c in table.columns if c not in exclude and c in work.columns
                      and normalise_header(c) in _period_headers())
        report.add("warning", int(file_rows[position]), period, "indicator_bad_period",
                   value=str(work[period].iloc[position]))
    for column in result.needs_unit:
        report.add("warning", None, column, "indicator_needs_unit", header=column)
    found = indicator_columns(work, registry=result.registry, exclude=("__village_id", *exclude))
    if found.period is None:  # a column without a year in a table without a period column: no year to file it under
        for column, match in found.matched.items():
            if match.year is None:
                report.add("warning", None, column, "indicator_no_year", header=column)
    report.indicators = result.table
    report.indicator_definitions = definitions_frame(result.registry, region)
    report.needs_unit = list(result.needs_unit)
    if len(result.table):
        years = sorted(set(result.table["year"]))
        report.add("note", None, None, "indicator_summary", values=len(result.table),
                   indicators=result.table["indicator"].nunique(), villages=result.table["village_id"].nunique(),
                   years=f"{years[0]}–{years[-1]}" if len(years) > 1 else str(years[0]))


def _period_headers() -> set[str]:
    from geo.indicators import PERIOD_HEADERS

    return {normalise_header(h) for h in PERIOD_HEADERS}


def match_rows(table: pd.DataFrame, mapping: dict, villages: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """Return each row's village_id among villages (by id, else code, else township + name, else a name found
    once; "" when none or several) and, per row, why it matched nothing ("", "unmatched" or "ambiguous")."""
    from geo.ingest.reference import bare_name, township_key
    from geo.ingest.villages import village_keys

    codes, town_names, names = village_keys(villages)
    village_ids = villages["village_id"].astype(str).tolist()
    index: dict[tuple[str, str], list[int]] = {}
    for pos, (vid, code, town_name, name) in enumerate(zip(village_ids, codes, town_names, names)):
        index.setdefault(("id", vid), []).append(pos)
        if code:
            index.setdefault(("code", code), []).append(pos)
        index.setdefault(("town", town_name), []).append(pos)
        index.setdefault(("name", name), []).append(pos)

    def cell(field, i):
        return str(table[mapping[field]].iloc[i]).strip() if field in mapping else ""

    out, why = np.full(len(table), "", dtype=object), []
    for i in range(len(table)):
        name = bare_name(cell("name", i)) if "name" in mapping else ""
        keys = [("id", cell("village_id", i)), ("code", cell("code", i)),
                ("town", f"{township_key(cell('township', i))}/{name}" if "township" in mapping and name else ""),
                ("name", name)]
        hits: list[int] = []
        for key in keys:
            if key[1] and key in index:
                hits = index[key]
                break
        if len(hits) == 1:
            out[i] = village_ids[hits[0]]
            why.append("")
        else:
            why.append("ambiguous" if hits else "unmatched")
    return out, why


def import_indicator_file(data: bytes, file_name: str, *, region: str, villages: pd.DataFrame,
                          units: dict[str, str] | None = None, provenance: str = "user",
                          sheet: str | int | None = None, upload=None) -> ImportReport:
    """Read a file of village figures keyed by village id, code or name, match it to a region's villages and return
    one report whose `indicators` are the long rows to save (the villages stay as they are).

    upload: what geo.ingest.villages.read_village_table returned for this file, when the caller has read it.
    """
    from geo.ingest.privacy import PersonalDataRefused, keep_nothing, refuse_personal_data, refused_report
    from geo.ingest.villages import guess_mapping, read_village_table

    try:
        with keep_nothing(file_name):
            try:
                table = upload if upload is not None else read_village_table(data, file_name, sheet=sheet)
            except Exception as exc:
                return failed_import(file_name, exc, reading=True)
            refuse_personal_data(table.frame, file_name)
            frame = table.frame.reset_index(drop=True)
            mapping = {k: v for k, v in guess_mapping(frame.columns).items()
                       if k in (*KEY_FIELDS, "township", "lon", "lat")}
            report = ImportReport(file=file_name, mapping=mapping, row_label=table.row_label)
            report.sheet, report.sheet_names = table.sheet, list(table.sheet_names)
            if not any(k in mapping for k in KEY_FIELDS):
                report.add("error", None, None, "indicator_no_key")
                return report
            if villages is None or not len(villages):
                report.add("error", None, None, "indicator_no_villages", region=region)
                return report
            ids, why = match_rows(frame, mapping, villages)
            rows = np.asarray(table.rows)
            key_column = mapping[next(k for k in KEY_FIELDS if k in mapping)]
            for i in [i for i, w in enumerate(why) if w][:50]:
                village = str(frame[key_column].iloc[i])
                if why[i] == "ambiguous":
                    report.add("warning", int(rows[i]), key_column, "indicator_ambiguous", village=village)
                else:
                    report.add("warning", int(rows[i]), key_column, "indicator_unmatched", village=village)
            if sum(1 for w in why if w) > 50:
                report.add("warning", None, key_column, "indicator_unmatched_more",
                           count=sum(1 for w in why if w) - 50)
            indicator_rows(report, frame, ids, region=region, rows=rows, exclude=tuple(mapping.values()),
                           units=units, provenance=provenance)
            if not report.errors and (report.indicators is None or not len(report.indicators)):
                report.add("error", None, None, "indicator_no_values")
            report.rows_ok = int(sum(1 for v in ids if v))
            return report
    except PersonalDataRefused as refusal:
        return refused_report(file_name, refusal.messages)


__all__ = ["KEY_FIELDS", "custom_indicators", "empty_long", "import_indicator_file", "indicator_rows",
           "match_rows", "parse_units"]
