"""Write the real-world import corpus under tests/data/real_world/ (deterministic; run from the repo root).

The files are shaped like what a county office keeps: government XLSX layouts (title and 填报单位 rows, the header on
row 3, 序号, numbers as text, 合计/小计/注/填报人 rows, merged 乡镇, a two-row year header, several sheets),
coordinates in every degrees-minutes-seconds notation, projected metres (CGCS2000 Gauss-Krüger 3° and 6° with and
without the zone prefix, UTM, Web Mercator, X as the northing) and 建档立卡-style registers without coordinates.

Everything is illustrative (示意数据): positions are random points inside 黑水县's real boundary (513228, WGS84), or
inside a box in 黑龙江 / 新疆 for the zones far from it; villages with figures have invented names (示意村NNN) and, in
the register, invented codes under 513228 that the NBS 2023 list does not have. One register carries real NBS 2023
names and codes and no figures at all, so that matching by code and by township + name can be tested; its 沙石多
villages are written under 沙石多乡, the rename case of issue 13 (both the NBS 2023 and the MCA 2025 lists say 沙石多镇;
what changed between those lists in 黑水县 is five township codes, e.g. 沙石多镇 513228105 -> 513228103).

tests/data/real_world/EXPECTED.toml says, per file, what a reader must find: the sheet, header rows, the data rows and
skipped rows (1-based, as Excel shows them), dropped and filled columns, numbers, and for coordinates the reading
(EPSG) and the true WGS84 positions. The expectations come from how the files were written here, never from reading
them back. tests/test_ingest_corpus.py checks each file.
"""
from __future__ import annotations

import io
import math
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyproj
import shapely

ROOT = Path(__file__).resolve().parent.parent

OUT = ROOT / "tests" / "data" / "real_world"
SEED = 513228  # random positions are drawn from this seed
FIXED_TIME = (2024, 1, 1, 0, 0, 0)  # zip entry times of the XLSX files, so that rebuilding gives the same bytes
HEISHUI_TOWNSHIPS = ("芦花镇", "卡龙镇", "色尔古镇", "西尔镇", "木苏镇", "沙石多镇", "知木林镇", "扎窝镇", "瓦钵梁子乡",
                     "石碉楼乡", "龙坝乡", "洛多乡", "维古乡", "晴朗乡", "慈坝乡")  # NBS 2023 names (real)
ZONES = ("果蔬中蜂民俗沟", "核桃香猪花海沟", "生态农牧温泉沟", "冰山观光休闲沟", "神山探险体验沟", "药材藏鸡彩林沟")  # published
HEILONGJIANG_BOX = (126.0, 45.2, 127.4, 46.3)  # lon/lat box near 哈尔滨: 3° zone 42 (CM 126°E)
XINJIANG_BOX = (75.4, 39.2, 76.6, 40.0)  # lon/lat box near 喀什: 6° zone 13 (CM 75°E)


# ---------------------------------------------------------------------------------------------------- helpers
@dataclass
class Sheet:
    """Rows written one by one, each remembered with its kind, so the expectations follow from the layout."""

    name: str
    rows: list[list] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    merges: list[str] = field(default_factory=list)
    formats: dict[str, str] = field(default_factory=dict)  # cell -> number format

    def add(self, kind: str, cells: list) -> int:
        self.rows.append(list(cells))
        self.kinds.append(kind)
        return len(self.rows)  # the row's number as Excel shows it

    def merge(self, cells: str) -> None:
        self.merges.append(cells)

    def rows_of(self, *kinds: str) -> list[int]:
        return [i + 1 for i, k in enumerate(self.kinds) if k in kinds]


SKIP_KINDS = {"title": "row_skipped_title", "unit": "row_skipped_unit", "blank": "row_skipped_blank",
              "total": "row_skipped_total", "note": "row_skipped_note", "footer": "row_skipped_footer"}


def points_in(boundary, count: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Return count random WGS84 points inside a polygon (rejection sampling in its bounding box)."""
    shape = shapely.union_all(boundary.geometry.values)
    west, south, east, north = shape.bounds
    lon, lat = [], []
    while len(lon) < count:
        x, y = rng.uniform(west, east), rng.uniform(south, north)
        if shape.contains(shapely.Point(x, y)):
            lon.append(x)
            lat.append(y)
    return np.array(lon), np.array(lat)


def points_in_box(box, count: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    return rng.uniform(box[0], box[2], count), rng.uniform(box[1], box[3], count)


def project(lon, lat, epsg: int) -> tuple[np.ndarray, np.ndarray]:
    """Return (easting, northing) in metres; CGCS2000 codes are projected from CGCS2000 lon/lat taken as WGS84."""
    source = 4326 if epsg == 3857 or 32600 < epsg < 32661 else 4490
    east, north = pyproj.Transformer.from_crs(source, epsg, always_xy=True).transform(lon, lat)
    return np.asarray(east), np.asarray(north)


def dms_parts(value: float, second_decimals: int = 2) -> tuple[int, int, float]:
    """Split |value| degrees into degrees, minutes and seconds rounded to second_decimals, carrying 60s upward."""
    scale = 10 ** second_decimals
    total = round(abs(value) * 3600 * scale)
    degrees, rest = divmod(total, 3600 * scale)
    minutes, seconds = divmod(rest, 60 * scale)
    return int(degrees), int(minutes), seconds / scale


def village_names(first: int, count: int) -> list[str]:
    return [f"示意村{first + i:03d}" for i in range(count)]


def xlsx_bytes(sheets: list[Sheet]) -> bytes:
    """Return an XLSX workbook of the sheets, with merged ranges and number formats, byte-for-byte reproducible."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for sheet in sheets:
        ws = book.create_sheet(sheet.name)
        for row in sheet.rows:
            ws.append(row)
        for cells in sheet.merges:
            ws.merge_cells(cells)
        for cell, number_format in sheet.formats.items():
            ws[cell].number_format = number_format
    import datetime as dt

    book.properties.created = book.properties.modified = dt.datetime(2024, 1, 1)
    buffer = io.BytesIO()
    book.save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps the time of saving
                content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2024-01-01T00:00:00Z", content)
            archive.writestr(fixed, content)
    return out.getvalue()


def csv_text(sheet: Sheet) -> str:
    """Return the sheet as CSV text, quoted where needed (a DMS value holds '"'), trailing empty cells left out."""
    import csv

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for row in sheet.rows:
        cells = ["" if v is None else str(v) for v in row]
        while cells and cells[-1] == "":
            cells.pop()
        writer.writerow(cells)
    return buffer.getvalue()


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return "nan" if math.isnan(value) else repr(float(value))
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(type(value))


def toml_key(key: str) -> str:
    return key if key.replace("_", "").isalnum() and key.isascii() else toml_value(key)


# ---------------------------------------------------------------------------------------------------- the corpus
class Corpus:
    """The files and their expectations, written at the end."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.expected: dict[str, dict] = {}
        self.rng = np.random.default_rng(SEED)
        from geo.boundaries import load_boundary

        self.boundary = load_boundary("513228")
        self.next_village = 1

    def names(self, count: int) -> list[str]:
        names = village_names(self.next_village, count)
        self.next_village += count
        return names

    def heishui(self, count: int) -> tuple[np.ndarray, np.ndarray]:
        return points_in(self.boundary, count, self.rng)

    def add(self, file_name: str, data: bytes | str, sheet: Sheet, **expected) -> None:
        """Store a file and what a reader must find in it (rows from the sheet's layout)."""
        self.files[file_name] = data.encode(expected.pop("encoding", "utf-8")) if isinstance(data, str) else data
        header = sheet.rows_of("header")
        skipped = [(r, SKIP_KINDS[k]) for r, k in ((i + 1, k) for i, k in enumerate(sheet.kinds)) if k in SKIP_KINDS]
        self.expected[file_name] = {
            "sheet": sheet.name, "header_rows": header, "data_rows": sheet.rows_of("data"),
            "rows_accepted": len(sheet.rows_of("data")), "skipped_rows": [r for r, _ in skipped],
            "skipped_reasons": [k for _, k in skipped], **expected}


def table_rows(sheet: Sheet, header: list[str], rows: list[list]) -> None:
    sheet.add("header", header)
    for row in rows:
        sheet.add("data", row)


def build_layouts(corpus: Corpus) -> None:
    """Government XLSX/CSV layouts with decimal degrees."""
    # 1. title, 填报单位, header on row 3, 序号, numbers as text, 合计, 注 and 填报人 rows at the bottom
    count = 6
    lon, lat = corpus.heishui(count)
    names = corpus.names(count)
    rural = corpus.rng.integers(300, 4000, count)
    poor = (rural * corpus.rng.uniform(0.05, 0.3, count)).astype(int)
    sheet = Sheet("Sheet1")
    sheet.add("title", ["黑水县行政村基本情况统计表（示意数据）"] + [None] * 7)
    sheet.merge("A1:H1")
    sheet.add("unit", ["填报单位：黑水县农业农村局（示意）", None, None, None, None, "单位：人", None, "2019年1月"])
    sheet.add("header", ["序号", "乡镇", "村名", "经度", "纬度", "户籍人口", "贫困人口", "是否贫困村"])
    for i in range(count):
        sheet.add("data", [i + 1, HEISHUI_TOWNSHIPS[i % 3], names[i], round(lon[i], 6), round(lat[i], 6),
                           f"{rural[i]:,}", f"{poor[i]:,}", "是" if poor[i] > 100 else "否"])
    sheet.add("total", ["合计", None, None, None, None, f"{rural.sum():,}", f"{poor.sum():,}", None])
    sheet.merge(f"A{len(sheet.rows)}:E{len(sheet.rows)}")
    sheet.add("note", ["注：1. 本表为示意数据；2. 贫困人口为建档立卡口径。"])
    sheet.add("footer", ["填报人：示意", None, "审核人：示意", None, "联系电话：0000-0000000"])
    corpus.add("gov_title_unit_header_row3.xlsx", xlsx_bytes([sheet]), sheet, category="sheet layout",
               what="merged title, 填报单位 row, header on row 3, 序号, text numbers with thousands separators, 合计, "
                    "注 and 填报人 rows", dropped_columns=["序号"], filled={}, coordinates="degrees",
               lon_column="经度", lat_column="纬度", epsg=4326, swapped=False, truth_lon=list(lon),
               truth_lat=list(lat), numbers={"户籍人口": [float(v) for v in rural], "贫困人口": [float(v) for v in poor]})

    # 2. two-row header: 坐标 over 经度/纬度, 贫困人口 over 2014年/2018年, 序号 merged down both rows
    count = 5
    lon, lat = corpus.heishui(count)
    names = corpus.names(count)
    p2014 = corpus.rng.integers(50, 600, count)
    p2018 = (p2014 * corpus.rng.uniform(0, 0.2, count)).astype(int)
    sheet = Sheet("贫困人口")
    sheet.add("title", ["黑水县贫困人口变化表（示意数据）"])
    sheet.merge("A1:H1")
    sheet.add("unit", ["填报单位：示意", None, None, None, None, None, "单位：人"])
    sheet.add("header", ["序号", "乡镇", "村名", "坐标", None, "贫困人口", None, "备注"])
    sheet.add("header", [None, None, None, "经度", "纬度", "2014年", "2018年", None])
    for column in "ABCH":
        sheet.merge(f"{column}3:{column}4")
    sheet.merge("D3:E3")
    sheet.merge("F3:G3")
    for i in range(count):
        sheet.add("data", [i + 1, HEISHUI_TOWNSHIPS[3], names[i], f"{lon[i]:.6f}", f"{lat[i]:.6f}", int(p2014[i]),
                           f"{p2018[i]}人", None])
    sheet.add("total", ["合计", None, None, None, None, int(p2014.sum()), int(p2018.sum()), None])
    sheet.merge(f"A{len(sheet.rows)}:E{len(sheet.rows)}")
    corpus.add("gov_two_row_year_header.xlsx", xlsx_bytes([sheet]), sheet, category="sheet layout",
               what="two-row header: 坐标 over 经度/纬度 and 贫困人口 over 2014年/2018年, 序号 merged down",
               dropped_columns=["序号"], filled={}, coordinates="degrees", lon_column="坐标 经度",
               lat_column="坐标 纬度", epsg=4326, swapped=False, truth_lon=list(lon), truth_lat=list(lat),
               columns=["乡镇", "村名", "坐标 经度", "坐标 纬度", "贫困人口 2014年", "贫困人口 2018年", "备注"],
               numbers={"贫困人口 2014年": [float(v) for v in p2014], "贫困人口 2018年": [float(v) for v in p2018]})

    # 3. 乡镇 merged over its villages, a 小计 row per township, 全县合计, incidence formatted as a percentage
    groups = [(HEISHUI_TOWNSHIPS[0], 3), (HEISHUI_TOWNSHIPS[5], 2), (HEISHUI_TOWNSHIPS[8], 3)]
    count = sum(n for _, n in groups)
    lon, lat = corpus.heishui(count)
    names = corpus.names(count)
    incidence = np.round(corpus.rng.uniform(0.01, 0.3, count), 3)
    sheet = Sheet("分乡镇")
    sheet.add("title", ["黑水县分乡镇行政村情况（示意数据）"])
    sheet.merge("A1:F1")
    sheet.add("blank", [])
    sheet.add("header", ["乡镇", "村名", "经度", "纬度", "贫困发生率", "所属沟域"])
    k = 0
    merged_cells = 0
    for town, n in groups:
        first = len(sheet.rows) + 1
        for j in range(n):
            row = sheet.add("data", [town if j == 0 else None, names[k], round(lon[k], 6), round(lat[k], 6),
                                     float(incidence[k]), ZONES[k % len(ZONES)]])
            sheet.formats[f"E{row}"] = "0.0%"
            k += 1
        sheet.merge(f"A{first}:A{first + n - 1}")
        merged_cells += n - 1
        sheet.add("total", [f"{town}小计", None, None, None, None, None])
    sheet.add("total", ["全县合计", None, None, None, None, None])
    corpus.add("gov_merged_township_subtotals.xlsx", xlsx_bytes([sheet]), sheet, category="sheet layout",
               what="乡镇 merged over its villages, 小计 per township, 全县合计, a blank row above the header, "
                    "percent-formatted cells", dropped_columns=[], filled={"乡镇": merged_cells},
               coordinates="degrees", lon_column="经度", lat_column="纬度", epsg=4326, swapped=False,
               truth_lon=list(lon), truth_lat=list(lat),
               townships=[town for town, n in groups for _ in range(n)],
               numbers={"贫困发生率": [round(float(v) * 100, 6) for v in incidence]})

    # 4. two sheets: notes first, then the table (the default is the first sheet with a header)
    count = 4
    lon, lat = corpus.heishui(count)
    names = corpus.names(count)
    notes = Sheet("填表说明")
    notes.add("title", ["填表说明"])
    notes.add("title", ["1. 本表为示意数据。"])
    notes.add("title", ["2. 经纬度为 WGS84 十进制度。"])
    sheet = Sheet("村庄名单")
    table_rows(sheet, ["村名", "乡镇", "经度", "纬度"],
               [[names[i], HEISHUI_TOWNSHIPS[6], round(lon[i], 6), round(lat[i], 6)] for i in range(count)])
    corpus.add("gov_notes_sheet_then_table.xlsx", xlsx_bytes([notes, sheet]), sheet, category="several sheets",
               what="a 填表说明 sheet without a table, then the village sheet", sheet_names=["填表说明", "村庄名单"],
               sheet_chosen_note=False, dropped_columns=[], filled={}, coordinates="degrees", lon_column="经度",
               lat_column="纬度", epsg=4326, swapped=False, truth_lon=list(lon), truth_lat=list(lat))

    # 5. one sheet per year, both tables: the first is read by default, with a note; the other on request
    count = 4
    lon, lat = corpus.heishui(count)
    names = corpus.names(count)
    sheets = []
    for year, share in (("2014年", 0.25), ("2018年", 0.02)):
        sheet = Sheet(year)
        sheet.add("title", [f"{year}贫困村情况（示意数据）"])
        table_rows(sheet, ["村名", "经度", "纬度", "贫困人口"],
                   [[names[i], round(lon[i], 6), round(lat[i], 6), int(1000 * share) + i] for i in range(count)])
        if year == "2018年":
            sheet.add("data", [corpus.names(1)[0], round(lon[0] + 0.001, 6), round(lat[0], 6), 3])
        sheets.append(sheet)
    corpus.add("gov_one_sheet_per_year.xlsx", xlsx_bytes(sheets), sheets[0], category="several sheets",
               what="sheets 2014年 and 2018年, both tables: the first is read and a note says a choice was made",
               sheet_names=["2014年", "2018年"], sheet_chosen_note=True, other_sheet="2018年",
               other_sheet_rows=len(sheets[1].rows_of("data")), dropped_columns=[], filled={},
               coordinates="degrees", lon_column="经度", lat_column="纬度", epsg=4326, swapped=False,
               truth_lon=list(lon), truth_lat=list(lat))

    # 6. GBK CSV: title, blank, header on row 3, numbers as text in every office spelling, 合计 and 注 rows
    count = 6
    lon, lat = corpus.heishui(count)
    names = corpus.names(count)
    spelled = ["1,234", "1，234", "１２３４", "1,234人", "—", "2,001户"]
    values = [1234.0, 1234.0, 1234.0, 1234.0, math.nan, 2001.0]
    rates = ["18.6%", "１．８％", "5%", "", "无", "12.25%"]
    rate_values = [18.6, 1.8, 5.0, math.nan, math.nan, 12.25]
    sheet = Sheet("gov_text_numbers_gbk")
    sheet.add("title", ["黑水县村级数据（示意数据）"])
    sheet.add("blank", [])
    sheet.add("header", ["村名", "经度", "纬度", "户籍人口", "贫困发生率"])
    for i in range(count):
        sheet.add("data", [names[i], f"{lon[i]:.6f}", f"{lat[i]:.6f}", spelled[i], rates[i]])
    sheet.add("total", ["合  计", "", "", "7,937", ""])
    sheet.add("note", ["注：人口为户籍人口，贫困发生率为贫困人口占农业人口比例。"])
    corpus.add("gov_text_numbers_gbk.csv", csv_text(sheet), sheet, encoding="gb18030", category="sheet layout",
               what="GBK CSV: title, blank row, header on row 3, numbers as text (1,234 / 1，234 / full-width / "
                    "units / % / —), 合计 and 注", dropped_columns=[], filled={}, coordinates="degrees",
               lon_column="经度", lat_column="纬度", epsg=4326, swapped=False, truth_lon=list(lon),
               truth_lat=list(lat), numbers={"户籍人口": values, "贫困发生率": rate_values},
               percent={"贫困发生率": [bool(r.strip()) and r != "无" for r in rates]})

    # 7. CSV with 乡镇 written once per group (blank below), a 小计 row ending a group
    count = 6
    lon, lat = corpus.heishui(count)
    names = corpus.names(count)
    sheet = Sheet("csv_grouped_township")
    sheet.add("header", ["序号", "乡镇", "村名", "经度", "纬度", "贫困户数"])
    towns = [HEISHUI_TOWNSHIPS[1]] * 3 + [HEISHUI_TOWNSHIPS[2]] * 3
    for i in range(count):
        sheet.add("data", [i + 1, towns[i] if i in (0, 3) else "", names[i], f"{lon[i]:.6f}", f"{lat[i]:.6f}",
                           10 + i])
        if i == 2:
            sheet.add("total", ["", "小计", "", "", "", 33])
    corpus.add("csv_grouped_township.csv", csv_text(sheet), sheet, category="sheet layout",
               what="CSV: 乡镇 written once above its villages (blank below), 序号, a 小计 row",
               dropped_columns=["序号"], filled={"乡镇": 4}, townships=towns, coordinates="degrees",
               lon_column="经度", lat_column="纬度", epsg=4326, swapped=False, truth_lon=list(lon),
               truth_lat=list(lat))


def dms(value: float, style: str, axis: str) -> str:
    """Write one angle in a notation planners meet (seconds to 0.01″, decimal minutes to 0.00001′)."""
    d, m, s = dms_parts(value)
    hemisphere = ("E" if value >= 0 else "W") if axis == "lon" else ("N" if value >= 0 else "S")
    word = {"E": "东经", "W": "西经", "N": "北纬", "S": "南纬"}[hemisphere]
    sign = "-" if value < 0 else ""
    if style == "ascii":
        return f"{sign}{d}°{m}'{s:.2f}\""
    if style == "primes_letter":
        return f"{d}°{m:02d}′{s:05.2f}″{hemisphere}"
    if style == "chinese":
        return f"{sign}{d}度{m}分{s:.2f}秒"
    if style == "chinese_words":
        return f"{word}{d}°{m}'{s:.2f}\""
    if style == "letter_first":
        return f"{hemisphere}{d}°{m}'{s:.2f}\""
    if style == "spaces":
        return f"{sign}{d} {m} {s:.2f}"
    if style == "colons":
        return f"{sign}{d}:{m:02d}:{s:05.2f}"
    if style == "decimal_minutes":
        minutes = round(abs(value) * 60, 5)
        whole, rest = divmod(minutes, 60)
        return f"{sign}{int(whole)}°{rest:.5f}'"
    if style == "fullwidth":
        text = f"{d}°{m}′{s:.2f}″"
        return sign + text.translate(str.maketrans("0123456789.", "０１２３４５６７８９．"))
    raise ValueError(style)


DMS_FILES = (  # (file, style, what)
    ("dms_ascii_marks.csv", "ascii", "102°58'41.23\" with ASCII quote marks"),
    ("dms_primes_hemisphere_letter.csv", "primes_letter", "102°58′41.23″E with prime marks and E/N after"),
    ("dms_chinese_units.csv", "chinese", "102度58分41.23秒"),
    ("dms_chinese_hemisphere_words.csv", "chinese_words", "东经102°58'41.23\" / 北纬32°4'1.5\""),
    ("dms_letter_first.csv", "letter_first", "E102°58'41.23\" / N32°4'1.50\""),
    ("dms_spaces.csv", "spaces", "102 58 41.23 (space-separated)"),
    ("dms_colons.csv", "colons", "102:58:41.23"),
    ("dms_decimal_minutes.csv", "decimal_minutes", "102°58.68712' (degrees and decimal minutes)"),
    ("dms_fullwidth.csv", "fullwidth", "full-width digits and marks: １０２°５８′４１．２３″"),
)


def build_dms(corpus: Corpus) -> None:
    """One CSV per degrees-minutes-seconds notation, and one with the columns' hemispheres swapped."""
    for file_name, style, what in DMS_FILES:
        count = 5
        lon, lat = corpus.heishui(count)
        names = corpus.names(count)
        sheet = Sheet(Path(file_name).stem)
        table_rows(sheet, ["村名", "经度", "纬度"],
                   [[n, dms(x, style, "lon"), dms(y, style, "lat")] for n, x, y in zip(names, lon, lat)])
        corpus.add(file_name, csv_text(sheet), sheet, category="degrees-minutes-seconds", what=what,
                   dropped_columns=[], filled={}, coordinates="degrees", lon_column="经度", lat_column="纬度",
                   epsg=4326, swapped=False, truth_lon=list(lon), truth_lat=list(lat))
    count = 4
    lon, lat = corpus.heishui(count)
    names = corpus.names(count)
    sheet = Sheet("dms_swapped_by_hemisphere")
    table_rows(sheet, ["村名", "经度", "纬度"],
               [[n, dms(y, "letter_first", "lat"), dms(x, "letter_first", "lon")] for n, x, y in zip(names, lon, lat)])
    corpus.add("dms_swapped_by_hemisphere.csv", csv_text(sheet), sheet, category="degrees-minutes-seconds",
               what="经度 holds N… values and 纬度 E… values: the hemisphere letters show the columns are swapped",
               dropped_columns=[], filled={}, coordinates="degrees", lon_column="经度", lat_column="纬度",
               epsg=4326, swapped=True, truth_lon=list(lon), truth_lat=list(lat))


def metres_text(value: float, style: str, decimals: int) -> str:
    """Write metres as offices do: plain, grouped by spaces (34 575 310.812) or by commas (3,545,120.5)."""
    if style == "spaced":
        whole, fraction = f"{value:.{decimals}f}".split(".")
        groups = []
        while whole:
            groups.insert(0, whole[-3:])
            whole = whole[:-3]
        return " ".join(groups) + "." + fraction
    if style == "commas":
        return f"{value:,.{decimals}f}"
    return f"{value:.{decimals}f}"


def build_projected(corpus: Corpus) -> None:
    """Projected metres in every form met in county offices."""
    specs = (  # file, epsg, headers (first, second), first column holds "north"/"east", text style, region, what
        ("gk3_prefix_x_northing.csv", 4522, ("X坐标", "Y坐标"), "north", "plain", "513228",
         "CGCS2000 3° GK zone 34 with prefix (34 575 310.8 → CM 102°E); X坐标 is the northing, as surveyors write"),
        ("gk3_prefix_spaced_easting_first.csv", 4522, ("东坐标", "北坐标"), "east", "spaced", "513228",
         "3° GK zone 34 with prefix, easting first, digits grouped by spaces (34 575 310.812)"),
        ("gk3_no_prefix_cm102.csv", 4543, ("X", "Y"), "north", "plain", "513228",
         "3° GK without prefix: the CM is proposed from the region (102°E, EPSG:4543)"),
        ("gk6_prefix_zone18.csv", 4496, ("纵坐标", "横坐标"), "north", "plain", "513228",
         "CGCS2000 6° GK zone 18 with prefix (CM 105°E); 纵坐标 is the northing"),
        ("gk6_no_prefix_cm105.csv", 4507, ("X坐标(6度带)", "Y坐标(6度带)"), "north", "plain", "513228",
         "6° GK without prefix (CM 105°E), the header says 6度带"),
        ("utm_48n.csv", 32648, ("Easting", "Northing"), "east", "plain", "513228",
         "WGS84 UTM zone 48N from a GPS export (Easting/Northing)"),
        ("web_mercator.csv", 3857, ("POINT_X", "POINT_Y"), "east", "plain", "513228",
         "Web Mercator metres exported from a web map (POINT_X/POINT_Y)"),
        ("heilongjiang_gk3_prefix.xlsx", 4530, ("X坐标", "Y坐标"), "north", "plain", None,
         "3° GK zone 42 with prefix (CM 126°E) in 黑龙江, read without a region; title row above the header"),
        ("xinjiang_gk6_prefix.csv", 4491, ("X", "Y"), "north", "commas", None,
         "6° GK zone 13 with prefix (CM 75°E) in 新疆, thousands separators, read without a region"),
    )
    for file_name, epsg, headers, first, style, region, what in specs:
        count = 5
        if file_name.startswith("heilongjiang"):
            lon, lat = points_in_box(HEILONGJIANG_BOX, count, corpus.rng)
        elif file_name.startswith("xinjiang"):
            lon, lat = points_in_box(XINJIANG_BOX, count, corpus.rng)
        else:
            lon, lat = corpus.heishui(count)
        east, north = project(lon, lat, epsg)
        decimals = 2 if epsg == 3857 else 3
        pairs = [(metres_text(n, style, decimals), metres_text(e, style, decimals)) if first == "north" else
                 (metres_text(e, style, decimals), metres_text(n, style, decimals)) for e, n in zip(east, north)]
        names = corpus.names(count)
        sheet = Sheet(Path(file_name).stem if file_name.endswith(".csv") else "Sheet1")
        if file_name.endswith(".xlsx"):
            sheet.add("title", ["村庄位置（示意数据，CGCS2000 3度带）"])
            sheet.merge("A1:D1")
            table_rows(sheet, ["序号", "村名", *headers], [[i + 1, n, float(a), float(b)]
                                                       for i, (n, (a, b)) in enumerate(zip(names, pairs))])
            data = xlsx_bytes([sheet])
            dropped = ["序号"]
        else:
            table_rows(sheet, ["村名", *headers], [[n, a, b] for n, (a, b) in zip(names, pairs)])
            data = csv_text(sheet)
            dropped = []
        expected = {"category": "projected", "what": what, "dropped_columns": dropped, "filled": {},
                    "coordinates": "projected", "x_column": headers[0], "y_column": headers[1], "epsg": epsg,
                    "easting_column": headers[0] if first == "east" else headers[1], "truth_lon": list(lon),
                    "truth_lat": list(lat)}
        if region:
            expected["region"] = region
        corpus.add(file_name, data, sheet, **expected)


def build_registers(corpus: Corpus) -> None:
    """建档立卡-style registers without coordinates."""
    from geo.ingest.reference import village_list

    nbs = village_list()
    # 8. an illustrative register: invented names and invented codes under 513228 (not in the NBS list)
    count = 8
    names = corpus.names(count)
    towns = ["芦花镇", "芦花镇", "沙石多乡", "沙石多乡", "西尔镇", "西尔镇", "维古乡", "维古乡"]
    codes = [f"513228990{i + 1:03d}" for i in range(count)]
    assert not any(c in nbs.codes for c in codes), "an invented code exists in the NBS list"
    households = corpus.rng.integers(5, 120, count)
    people = households * corpus.rng.integers(2, 5, count)
    poor_village = ["是" if h > 40 else "否" for h in households]
    exit_year = [str(int(y)) if p == "是" else "" for p, y in zip(poor_village, corpus.rng.integers(2016, 2020, count))]
    zones = [f"{ZONES[i % 3]}、{ZONES[3]}" if i == 0 else ZONES[i % 6] for i in range(count)]
    sheet = Sheet("建档立卡")
    sheet.add("title", ["黑水县建档立卡贫困村登记表（示意数据，村名与代码均为虚构）"])
    sheet.merge("A1:I1")
    sheet.add("unit", ["填报单位：示意", None, None, None, None, None, None, "单位：户、人"])
    sheet.add("header", ["序号", "乡镇", "村名", "村代码", "贫困户数", "贫困人口", "是否贫困村", "退出年份", "所属沟域"])
    for i in range(count):
        sheet.add("data", [i + 1, towns[i], names[i], codes[i], int(households[i]), f"{int(people[i]):,}",
                           poor_village[i], exit_year[i] or None, zones[i]])
    sheet.add("total", ["合计", None, None, None, int(households.sum()), f"{int(people.sum()):,}", None, None, None])
    sheet.add("note", ["说明：村名、代码和数字均为示意，不对应任何真实村庄。"])
    corpus.add("register_illustrative.xlsx", xlsx_bytes([sheet]), sheet, category="register",
               what="建档立卡-style register, no coordinates: 乡镇, 村名, 12-digit 村代码 (as text), 贫困户数, 贫困人口, "
                    "是否贫困村, 退出年份, 所属沟域 (several joined by 、); invented names and codes; the township written "
                    "沙石多乡 where both NBS 2023 and MCA 2025 say 沙石多镇", dropped_columns=["序号"], filled={}, coordinates="none",
               code_column="村代码", codes=codes, townships=towns,
               numbers={"贫困户数": [float(v) for v in households], "贫困人口": [float(v) for v in people]})

    # 9. real NBS 2023 names and codes, no figures: for matching by code and by township + name
    heishui = sorted((c, n, t) for c, (n, t) in nbs.codes.items() if c.startswith("513228"))
    picks = [row for row in heishui if row[2] == "沙石多镇"][:3] + [row for row in heishui if row[2] == "芦花镇"][3:6] \
        + [row for row in heishui if row[2] == "维古乡"][:2]
    sheet = Sheet("register_real_names_codes")
    sheet.add("header", ["乡镇", "村名", "村代码"])
    written_towns, written_codes, expected_codes = [], [], []
    for i, (code, name, town) in enumerate(picks):
        short = name.replace("村民委员会", "村").replace("居民委员会", "")
        written_town = "沙石多乡" if town == "沙石多镇" else town
        with_code = i % 3 != 2  # every third row has no code: matched by township + name
        sheet.add("data", [written_town, short, code if with_code else ""])
        written_towns.append(written_town)
        written_codes.append(code if with_code else "")
        expected_codes.append(code)
    corpus.add("register_real_names_codes.csv", csv_text(sheet), sheet, category="register",
               what="real NBS 2023 village names and codes of 黑水县 with NO figures (nothing is said about any real "
                    "village); every third row has no code (match by township + name); 沙石多镇 written 沙石多乡, "
                    "as the issue's rename case", dropped_columns=[], filled={}, coordinates="none", code_column="村代码",
               codes=written_codes, nbs_codes=expected_codes, townships=written_towns, real_names=True)


def main() -> None:
    corpus = Corpus()
    build_layouts(corpus)
    build_dms(corpus)
    build_projected(corpus)
    build_registers(corpus)
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.iterdir():
        if old.name not in corpus.files and old.name not in ("EXPECTED.toml", "README.md"):
            old.unlink()
    for name, data in corpus.files.items():
        (OUT / name).write_bytes(data)
    lines = ["# What tests/test_ingest_corpus.py expects of each file of the real-world corpus.",
             "# Written by scripts/build_real_world.py from how each file was built; do not edit by hand.",
             "# Rows are 1-based as Excel shows them. Every file is illustrative (示意数据): positions are random points",
             "# in 黑水县's boundary (or a box in 黑龙江 / 新疆); names with figures are invented (示意村NNN).", ""]
    for name in sorted(corpus.expected):
        lines.append(f"[files.{toml_value(name)}]")
        entry = {"illustrative": True, **corpus.expected[name]}
        for key in ("truth_lon", "truth_lat"):
            if key in entry:
                entry[key] = [round(float(v), 10) for v in entry[key]]
        for key, value in entry.items():
            lines.append(f"{toml_key(key)} = {toml_value(value)}")
        lines.append("")
    (OUT / "EXPECTED.toml").write_text("\n".join(lines), encoding="utf-8")
    readme = ["# Real-world import corpus (illustrative)", "",
              "Built by `scripts/build_real_world.py` (deterministic); what each file must give is in `EXPECTED.toml`",
              "and `tests/test_ingest_corpus.py` checks it. Positions are random points in 黑水县 (or a box in 黑龙江 /",
              "新疆); villages with figures have invented names (示意村NNN) and codes; the one file with real NBS 2023",
              "names and codes carries no figures.", "", "| category | file | what |", "|---|---|---|"]
    for name, entry in sorted(corpus.expected.items(), key=lambda item: (item[1]["category"], item[0])):
        readme.append(f"| {entry['category']} | {name} | {entry['what']} |")
    (OUT / "README.md").write_text("\n".join(readme) + "\n", encoding="utf-8")
    print(f"wrote {len(corpus.files)} files to {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    pd.set_option("display.width", 200)
    main()
