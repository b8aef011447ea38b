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
from geo.region_data import RegionData

HEADERS_ZH = {
    "zone_id": "分区编号", "name": "名称", "name_zh": "中文名称", "name_en": "英文名称", "kind": "类型",
    "half_width_km": "半宽（公里）", "industries": "主导产业", "provenance": "数据性质", "villages": "村数",
    "poverty_villages": "贫困村数", "poor_population": "贫困人口（人）", "village_share": "村数占比",
    "poverty_village_share": "贫困村占比", "poor_population_share": "贫困人口占比", "area_km2": "面积（平方公里）",
    "area_10k_mu": "面积（万亩）", "poor_per_km2": "贫困人口密度（人/平方公里）",
    "villages_per_100km2": "村密度（个/百平方公里）", "village_id": "村编号", "township": "乡镇",
    "code": "统计用区划代码", "distance_km": "距最近分区（公里）", "nearest_zone_id": "最近分区",
    "villages_covered": "覆盖村数", "villages_total": "村总数", "poverty_villages_covered": "覆盖贫困村数",
    "poverty_villages_total": "贫困村总数", "poor_population_covered": "覆盖贫困人口（人）",
    "poor_population_total": "贫困人口总数（人）", "figure": "指标编号", "label_zh": "指标", "label_en": "Figure",
    "published": "公开数值", "qualifier": "限定", "garbled": "原文乱码", "computed": "本图计算值", "unit": "单位",
    "year": "年份", "when": "年份/时期", "match": "是否一致", "source": "来源文件", "assumption": "计算假设",
    "lon": "经度", "lat": "纬度", "county": "区县代码", "rural_population": "农村户籍人口",
    "poverty_village": "贫困村", "identified_year": "识别年份", "exit_year": "退出年份", "status": "当年状态",
    "covered": "在分区内", "poor_households": "贫困户数", "high_cold": "高寒山区村", "resident_team": "驻村工作队",
    "datum": "坐标系",
}
TEXT_COLUMNS = {"code", "zone_id", "village_id", "nearest_zone_id", "county"}  # kept as text (12-digit codes!)
ILLUSTRATIVE_NOTE = "示意数据（illustrative）：分区与村庄为示意数据，仅供演示，非真实位置或贫困状况"
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
WARN_FILL = PatternFill("solid", fgColor="FCE4D6")


def _sheet(book: Workbook, title: str, rows: list[dict], *, illustrative: bool, caption: str) -> None:
    sheet = book.create_sheet(title)
    sheet.append([caption])
    sheet["A1"].font = Font(bold=True, size=12)
    start = 2
    if illustrative:
        sheet.append([ILLUSTRATIVE_NOTE])
        sheet["A2"].fill = WARN_FILL
        sheet["A2"].font = Font(bold=True, color="C00000")
        start = 3
    columns = list(rows[0]) if rows else []
    if illustrative and columns and "provenance" not in columns:
        columns.append("illustrative")
    sheet.append([HEADERS_ZH.get(c, "示意数据" if c == "illustrative" else c) for c in columns])
    for cell in sheet[start]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
    for row in rows:
        values = []
        for column in columns:
            value = True if column == "illustrative" else row.get(column)
            if isinstance(value, list):
                value = "、".join(str(v) for v in value)
            if column in TEXT_COLUMNS and value is not None:
                value = str(value)
            values.append(value)
        sheet.append(values)
        for column, cell in zip(columns, sheet[sheet.max_row]):
            if column in TEXT_COLUMNS:
                cell.number_format = "@"
    for i, column in enumerate(columns, start=1):
        sheet.column_dimensions[sheet.cell(row=start, column=i).column_letter].width = max(
            10, min(40, len(HEADERS_ZH.get(column, column)) * 2 + 2))
    sheet.freeze_panes = sheet.cell(row=start + 1, column=1)


def write_metrics_workbook(report: dict, path, *, villages: list[dict] | None = None) -> None:
    """Write zones, union, gaps, published-vs-computed (and, if given, villages) sheets to an .xlsx file or stream."""
    book = Workbook()
    book.remove(book.active)
    title = f"{report['region_name']} {report['year']} 年覆盖情况"
    flag = bool(report["illustrative"])
    _sheet(book, "分区指标", report["zones"], illustrative=flag, caption=f"{title} — 分区指标")
    _sheet(book, "合计", [report["union"]], illustrative=flag, caption=f"{title} — 合计（同一村只计一次）")
    _sheet(book, "缺口名单", report["gaps"], illustrative=flag, caption=f"{title} — 分区外的贫困村")
    _sheet(book, "公开数据对照", report["published"], illustrative=flag, caption=f"{title} — 公开数据与计算值对照")
    if villages is not None:
        _sheet(book, "村庄名单", villages, illustrative=flag, caption=f"{title} — 村庄名单（含覆盖标记）")
    meta = book.create_sheet("说明")
    meta.append(["地区", report["region_name"]])
    meta.append(["行政区划代码", report["adcode"]])
    meta.append(["年份", report["year"]])
    meta.append(["示意数据", "是" if flag else "否"])
    meta.append(["报告 JSON", json.dumps({k: report[k] for k in ("region", "year", "illustrative")})])
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
    write_metrics_workbook(metrics_report(data, year, lang=lang), buffer, villages=village_rows(data, year))
    return buffer.getvalue()
