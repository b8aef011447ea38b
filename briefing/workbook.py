"""The briefing workbook: the metrics report (Chinese headers, codes as text, 示意 in every sheet when illustrative)
plus the village list with coverage flags."""
from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from briefing.gis import export_layers
from geo.coverage.report import metrics_report
from geo.i18n import pick, t
from geo.region_data import RegionData

WORKBOOK_COLUMNS = ['area_10k_mu', 'area_km2', 'assumption', 'code', 'computed', 'county', 'covered', 'datum', 'distance_km', 'exit_year', 'figure', 'garbled', 'half_width_km', 'high_cold', 'identified_year', 'industries', 'kind', 'label', 'label_en', 'label_zh', 'lat', 'lon', 'match', 'name', 'name_en', 'name_zh', 'nearest_zone', 'nearest_zone_id', 'poor_households', 'poor_per_km2', 'poor_population', 'poor_population_covered', 'poor_population_share', 'poor_population_total', 'poverty_village', 'poverty_village_share', 'poverty_villages', 'poverty_villages_covered', 'poverty_villages_total', 'provenance', 'published', 'published_text', 'qualifier', 'resident_team', 'rural_population', 'source', 'source_file', 'status', 'township', 'unit', 'village_id', 'village_share', 'villages', 'villages_covered', 'villages_per_100km2', 'villages_total', 'when', 'year', 'zone_id']  # every column with a header in data/i18n

TEXT_COLUMNS = {"code", "zone_id", "village_id", "nearest_zone_id", "county"}  # kept as text (12-digit codes!)
NUMBER_FORMATS = {  # Excel number formats: shares as percentages, areas and distances to fixed decimals
    "village_share": "0.0%", "poverty_village_share": "0.0%", "poor_population_share": "0.0%",
    "area_km2": "#,##0.0", "area_10k_mu": "#,##0.00", "poor_per_km2": "#,##0.0", "villages_per_100km2": "#,##0.0",
    "distance_km": "#,##0.00", "half_width_km": "0.0", "computed": "#,##0.###", "published": "#,##0.###",
    "poor_population": "#,##0", "poor_population_total": "#,##0", "poor_population_covered": "#,##0",
    "rural_population": "#,##0",
}
VALUE_KEYS = {"status": "status_", "kind": "zone_kind_", "provenance": "provenance_", "qualifier": "qualifier_",
              "resident_team": "team_"}  # coded values shown in the workbook's language
BOOLEAN_COLUMNS = {"covered", "poverty_village", "high_cold", "garbled", "match", "illustrative"}
PUBLISHED_COLUMNS = ["figure", "label", "published_text", "published", "qualifier", "unit", "when", "computed",
                     "match", "source", "source_file", "assumption"]


def _value(column: str, value, lang: str):
    """Return a cell's value in the workbook's language: coded values and yes/no worded, lists joined."""
    if value is None:
        return None
    if column in BOOLEAN_COLUMNS and isinstance(value, (bool, np.bool_)):
        return t("wb_value_yes" if value else "wb_value_no", lang)
    if column in VALUE_KEYS and isinstance(value, str) and value:
        return t(f"{VALUE_KEYS[column]}{value.replace(' ', '_')}", lang)
    if isinstance(value, list):
        return pick(lang, "、", ", ").join(str(v) for v in value)
    if column in TEXT_COLUMNS:
        return str(value)
    return value
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
WARN_FILL = PatternFill("solid", fgColor="FCE4D6")


def _header(column: str, lang: str) -> str:
    return t(f"wb_col_{column}", lang) if column in WORKBOOK_COLUMNS or column == "illustrative" else column


def _sheet(book: Workbook, title: str, rows: list[dict], *, illustrative: bool, caption: str, lang: str) -> None:
    sheet = book.create_sheet(title)
    sheet.append([caption])
    sheet["A1"].font = Font(bold=True, size=12)
    start = 2
    if illustrative:
        sheet.append([t("wb_illustrative_note", lang)])
        sheet["A2"].fill = WARN_FILL
        sheet["A2"].font = Font(bold=True, color="C00000")
        start = 3
    columns = list(rows[0]) if rows else []
    if illustrative and columns and "provenance" not in columns:
        columns.append("illustrative")
    sheet.append([_header(c, lang) for c in columns])
    for cell in sheet[start]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
    for row in rows:
        values = []
        for column in columns:
            values.append(_value(column, True if column == "illustrative" else row.get(column), lang))
        sheet.append(values)
        for column, cell in zip(columns, sheet[sheet.max_row]):
            if column in TEXT_COLUMNS:
                cell.number_format = "@"
            elif column in NUMBER_FORMATS:
                cell.number_format = NUMBER_FORMATS[column]
    for i, column in enumerate(columns, start=1):
        sheet.column_dimensions[sheet.cell(row=start, column=i).column_letter].width = max(
            10, min(40, len(_header(column, lang)) * 2 + 2))
    sheet.freeze_panes = sheet.cell(row=start + 1, column=1)


def write_metrics_workbook(report: dict, path, *, villages: list[dict] | None = None, lang: str = "zh") -> None:
    """Write zones, union, gaps, published-vs-computed (and, if given, villages) sheets to an .xlsx file or stream,
    with headers, sheet names and captions in the language."""
    book = Workbook()
    book.remove(book.active)
    title = t("wb_title", lang, region=report["region_name"], year=report["year"])
    flag = bool(report["illustrative"])
    published = [{k: p.get(k) for k in PUBLISHED_COLUMNS} for p in report["published"]]
    sheets = [("zones", report["zones"]), ("union", [report["union"]]), ("gaps", report["gaps"]),
              ("published", published)] + ([("villages", villages)] if villages is not None else [])
    for name, rows in sheets:
        _sheet(book, t(f"wb_sheet_{name}", lang), rows, illustrative=flag,
               caption=t(f"wb_caption_{name}", lang, title=title), lang=lang)
    meta = book.create_sheet(t("wb_sheet_about", lang))
    meta.append([t("wb_about_region", lang), report["region_name"]])
    meta.append([t("wb_about_adcode", lang), report["adcode"]])
    meta.append([t("wb_about_year", lang), report["year"]])
    meta.append([t("wb_about_illustrative", lang), t("wb_yes" if flag else "wb_no", lang)])
    meta.append(["JSON", json.dumps({k: report[k] for k in ("region", "year", "illustrative")})])
    book.save(path)


VILLAGE_SHEET_COLUMNS = ["village_id", "name", "township", "code", "county", "lon", "lat", "rural_population",
                         "poverty_village", "identified_year", "exit_year", "status", "covered", "provenance"]


def village_rows(data: RegionData, year: int) -> list[dict]:
    """Return the villages as rows for the workbook, with the year's status, poor population and coverage."""
    layers = export_layers(data, year)
    if "villages" not in layers:
        return []
    frame = layers["villages"]
    table = pd.DataFrame(frame.drop(columns="geometry"))
    table["lon"] = frame.geometry.x.round(6)
    table["lat"] = frame.geometry.y.round(6)
    table[f"poor_{year}"] = frame[f"poor_{year}"]
    columns = VILLAGE_SHEET_COLUMNS + [f"poor_{year}"]
    table = table[columns].astype(object).where(table[columns].notna(), None)
    return [{k: (v.item() if isinstance(v, np.generic) else v) for k, v in row.items()}
            for row in table.to_dict("records")]


def render_workbook(data: RegionData, year: int, *, lang: str = "zh") -> bytes:
    """Return the .xlsx bytes: zones, union, gaps, published vs computed, villages (Chinese headers, codes as text)."""
    buffer = io.BytesIO()
    write_metrics_workbook(metrics_report(data, year, lang=lang), buffer, villages=village_rows(data, year),
                           lang=lang)
    return buffer.getvalue()
