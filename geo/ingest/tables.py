"""Reading spreadsheets as government offices make them: find the header, skip title, total and note rows, read
numbers written as text.

The input is raw cells — a CSV's records, or an XLSX sheet with its merged ranges — and the result is a TableRead: a
frame of text under the final column names, each data row's number as the user sees it in Excel (1-based), and every
row skipped, column dropped or cell filled, each with a message key of data/i18n/issues.toml. Nothing the user had
is lost silently: whatever is not data is listed with its row number and the reason.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from geo.errors import FileProblem
from geo.i18n import Message

ENCODINGS = ("utf-8-sig", "gb18030")  # tried in order; GB18030 is a superset of GBK and GB2312
MAX_ROWS = 2_000_000  # a village table longer than this is not a village table
HEADER_SEARCH_ROWS = 15  # the header is looked for in this many rows from the top of a sheet
BODY_PROBE_ROWS = 8  # rows below a candidate header that are looked at to judge it
DELIMITERS = (",", "\t", ";", "|")  # CSV separators, chosen by count in the first lines

# Words that make a cell look like a column header (compared after NFKC, lower-cased, without spaces). Words of one
# character count only when the whole cell is that word ("村", "x"); longer ones also inside a cell ("贫困人口数").
HEADER_WORDS: tuple[str, ...] = (
    "名称", "村名", "村", "行政村", "自然村", "村庄", "社区", "居委会", "村委会", "乡", "镇", "乡镇", "街道", "县", "区县",
    "代码", "编码", "区划", "编号", "序号", "经度", "纬度", "坐标", "横坐标", "纵坐标", "东坐标", "北坐标", "x", "y",
    "人口", "户数", "户", "人数", "贫困", "脱贫", "年份", "年度", "是否", "退出", "出列", "识别", "面积", "海拔", "沟域",
    "产业带", "分区", "产业", "备注", "监测", "类型", "类别", "收入", "所属",
    "name", "village", "town", "township", "county", "code", "lon", "lng", "lat", "longitude", "latitude", "easting",
    "northing", "population", "households", "poor", "year", "id", "area", "zone", "belt", "remark", "pointx", "pointy",
)
INDEX_HEADERS = ("序号", "编号", "序", "no", "no.", "#")  # a running row number, dropped when its values are integers
GROUP_HEADERS = (  # columns whose blank cells carry the value above in a CSV (an XLSX uses merged cells instead)
    "乡镇", "乡(镇)", "乡镇(街道)", "乡镇街道", "乡镇名称", "所属乡镇", "镇", "乡", "街道", "县", "区县", "县区", "县(市、区)",
    "township", "town", "county",
)
TOTAL_WORDS = ("全县合计", "合计", "小计", "总计", "共计", "总数", "total", "subtotal", "sum")
FOOTER_WORDS = ("填报人", "填表人", "审核人", "制表人", "负责人", "单位负责人", "统计负责人", "联系电话", "联系人", "填报日期",
                "制表日期", "报送日期", "填表日期")
UNIT_ROW = re.compile(  # a row above the header saying who filled the table in, in what unit, as of when
    r"(填报单位|填表单位|制表单位|报送单位|统计单位|计量单位|单位|数据截至|截至|截止|统计时间|填报时间|制表时间|填报日期)[:(]")

_YEAR_LABEL = re.compile(r"(?:19|20)\d\d(?:年(?:末|底|度)?)?")
_SPACE = re.compile(r"\s+")
_PUNCTUATION = re.compile(r"[_\-()（）\[\]【】:：/.]+")


# ---------------------------------------------------------------------------------------------------- results
@dataclass(frozen=True)
class RawSheet:
    """One sheet as read: its cells row by row (None where empty) and its merged ranges.

    merged holds (first_row, first_col, last_row, last_col), 1-based and inclusive, as openpyxl gives them.
    """

    name: str
    cells: list[list[object]]
    merged: tuple[tuple[int, int, int, int], ...] = ()


class SkippedRow(NamedTuple):
    """A row that is not data: its number (1-based, as in Excel), the message key saying why, and its text."""

    row: int
    reason: str
    text: str


class FilledColumn(NamedTuple):
    """A column whose empty cells took the value above: how many cells, and why (a message key)."""

    column: str
    cells: int
    reason: str


@dataclass
class TableRead:
    """A sheet read as a table: text cells under the final column names, and everything that was not data."""

    frame: pd.DataFrame
    rows: np.ndarray  # each frame row's number in the file, 1-based as a spreadsheet shows it
    header_rows: tuple[int, ...]
    skipped: list[SkippedRow] = field(default_factory=list)
    dropped_columns: list[str] = field(default_factory=list)
    filled_columns: list[FilledColumn] = field(default_factory=list)
    sheet: str | None = None
    sheet_names: list[str] = field(default_factory=list)
    notes: list[Message] = field(default_factory=list)

    def messages(self) -> list[tuple[int | None, Message]]:
        """Return every note of the read as (row or None, message): the header, skipped rows in order, columns."""
        rows = "-".join(str(r) for r in (self.header_rows[0], self.header_rows[-1])[:len(self.header_rows)])
        out: list[tuple[int | None, Message]] = [(self.header_rows[0], Message("header_found", {"rows": rows}))]
        out += [(s.row, Message(s.reason, {"row": s.row, "text": s.text})) for s in sorted(self.skipped)]
        out += [(None, Message("column_dropped_index", {"column": c})) for c in self.dropped_columns]
        out += [(None, Message(f.reason, {"column": f.column, "cells": f.cells})) for f in self.filled_columns]
        return out + [(None, note) for note in self.notes]


class ParsedNumber(NamedTuple):
    """A number read from text: its value (None when empty or not a number), whether it was a percentage, its unit,
    and the problem when it is not a number."""

    value: float | None
    percent: bool = False
    unit: str = ""
    problem: Message | None = None


# ---------------------------------------------------------------------------------------------------- numbers
EMPTY_WORDS = frozenset({"", "-", "--", "---", "—", "——", "–", "/", "\\", "无", "空", "暂无", "null", "none", "nan",
                         "n/a", "na", "#n/a", "…", "...", "……"})
NUMBER_UNITS = frozenset({  # units a cell may carry after its number; the number is returned as written
    "人", "户", "个", "名", "口", "元", "村", "年", "岁", "亩", "公顷", "公里", "千米", "km", "米", "m", "平方公里",
    "平方千米", "km²", "km2", "吨", "公斤", "kg", "斤", "头", "只", "元/人", "%", "‰", "次", "项", "家", "所", "座",
})
MULTIPLIERS = {"万": 1e4, "亿": 1e8}  # number words: 3.2万 is exactly 32 000 of the unit that follows (or none)
_NUMBER = re.compile(
    r"(?P<currency>[¥$]|rmb|人民币)?(?P<sign>[+-])?"
    r"(?P<digits>\d{1,3}(?:[,'\u00a0\u2009\u202f ]\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)"
    r"(?:e(?P<exponent>[+-]?\d+))?\s*(?P<multiplier>[万亿])?\s*(?P<unit>\D*)", re.IGNORECASE)
_LOOSE_GROUPS = re.compile(r"[+-]?\d+(?:,\d+)+(?:\.\d+)?")


def normalise_text(text: object) -> str:
    """Return a cell's text with full-width letters, digits and signs made ASCII (NFKC), primes and minus signs
    unified, and surrounding spaces removed."""
    value = unicodedata.normalize("NFKC", "" if text is None else str(text))
    return value.translate(_SIGNS).strip()


_SIGNS = str.maketrans({"\u2212": "-", "\u2012": "-", "\ufe63": "-", "\u00a0": " ", "\u3000": " "})


def parse_number(text: object) -> ParsedNumber:
    """Read a number written as text ("1,234", "1，234", "１２３４", "1,234人", "18.6%", "¥3,200元", "3.2万").

    Blanks and placeholders (—, -, /, 无) give value None without a problem. A percentage keeps its figure
    ("18.6%" -> 18.6, percent=True). 万 and 亿 are number words and multiply exactly ("3.2万" and "3.2万人" ->
    32000): that is arithmetic on what the cell says, never a guess from the column header (a cell "3.2" under a
    header "(万元)" stays 3.2). Anything else gives value None and a problem saying what was received.
    """
    if isinstance(text, bool):
        return ParsedNumber(None, problem=Message("number_not_number", {"value": str(text)}))
    if isinstance(text, (int, float, np.integer, np.floating)):
        value = float(text)
        return ParsedNumber(None if math.isnan(value) else value)
    raw = "" if text is None else str(text)
    clean = normalise_text(raw)
    if clean.lower() in EMPTY_WORDS:
        return ParsedNumber(None)
    match = _NUMBER.fullmatch(clean)
    if match is None:
        if _LOOSE_GROUPS.fullmatch(clean.replace(" ", "")):
            return ParsedNumber(None, problem=Message("number_grouping", {"value": raw}))
        return ParsedNumber(None, problem=Message("number_not_number", {"value": raw}))
    unit = match["unit"].strip()
    if unit and unit.lower() not in NUMBER_UNITS and unit not in NUMBER_UNITS:
        return ParsedNumber(None, problem=Message("number_unknown_unit", {"value": raw, "unit": unit}))
    value = float(re.sub(r"[,'\s]", "", match["digits"]))
    if match["exponent"]:
        value *= 10.0 ** int(match["exponent"])
    if match["multiplier"]:
        value *= MULTIPLIERS[match["multiplier"]]
    if match["sign"] == "-":
        value = -value
    return ParsedNumber(value, percent=unit == "%", unit=unit)


def parse_number_column(values) -> tuple[np.ndarray, np.ndarray, list[tuple[int, Message]]]:
    """Return (values as float, NaN where empty or invalid; True where a percentage; (position, problem) pairs)."""
    parsed = [parse_number(v) for v in values]
    numbers = np.array([np.nan if p.value is None else p.value for p in parsed], dtype=float)
    percent = np.array([p.percent for p in parsed], dtype=bool)
    return numbers, percent, [(i, p.problem) for i, p in enumerate(parsed) if p.problem is not None]


# ---------------------------------------------------------------------------------------------------- raw cells
def cell_text(value: object, number_format: str | None = None) -> str:
    """Return the text of one cell as the importer reads it ("" for empty).

    A whole float keeps its ".0" (a 12-digit code Excel turned into a number is then reported, not silently
    accepted); a number formatted as a percentage in Excel is written as one ("18.6%").
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (int, float)) and number_format and "%" in number_format:
        return f"{round(float(value) * 100, 10):g}%"
    if isinstance(value, float):
        return repr(value)
    return str(value).strip()


def decode_text(data: bytes, file_name: str) -> str:
    """Return a text file's content, trying UTF-8 (with or without BOM) then GB18030 (a superset of GBK/GB2312)."""
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileProblem("not_text", file=file_name)


def csv_sheet(data: bytes, file_name: str) -> RawSheet:
    """Return a CSV file's records as one RawSheet (UTF-8, UTF-8 with BOM or GBK/GB18030, separator detected)."""
    if not data:
        raise FileProblem("file_empty", file=file_name)
    text = decode_text(data, file_name)
    head = text[:8192].splitlines()[:HEADER_SEARCH_ROWS + BODY_PROBE_ROWS]
    delimiter = max(DELIMITERS, key=lambda d: sum(line.count(d) for line in head))
    cells: list[list[object]] = []
    for record in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
        cells.append([v if v.strip() else None for v in record])
        if len(cells) > MAX_ROWS + HEADER_SEARCH_ROWS:
            raise FileProblem("too_many_rows", file=file_name, limit=MAX_ROWS)
    return RawSheet(name=Path(file_name).stem, cells=cells)


def workbook_sheets(data: bytes, file_name: str) -> list[RawSheet]:
    """Return every worksheet of an XLSX file as a RawSheet: cached values of formulas, merged ranges kept."""
    from openpyxl import load_workbook

    if not data:
        raise FileProblem("file_empty", file=file_name)
    try:
        book = load_workbook(io.BytesIO(data), data_only=True)  # not read-only: merged ranges are needed
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:  # damaged, or not an XLSX despite its name
        raise FileProblem("unreadable", error=f"{type(exc).__name__}: {exc}") from None
    sheets = []
    for sheet in book.worksheets:
        cells = [[cell_text(c.value, c.number_format) or None for c in row] for row in sheet.iter_rows()]
        if len(cells) > MAX_ROWS + HEADER_SEARCH_ROWS:
            raise FileProblem("too_many_rows", file=file_name, limit=MAX_ROWS)
        merged = tuple((r.min_row, r.min_col, r.max_row, r.max_col) for r in sheet.merged_cells.ranges)
        sheets.append(RawSheet(name=sheet.title, cells=cells, merged=merged))
    return sheets


def sheet_names(data: bytes, file_name: str) -> list[str]:
    """Return the names of an XLSX file's worksheets in order (a CSV has one, named after the file)."""
    if Path(file_name).suffix.lower() in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        return list(load_workbook(io.BytesIO(data), read_only=True).sheetnames)
    return [Path(file_name).stem]


# ---------------------------------------------------------------------------------------------------- whole files
def read_table_file(data: bytes, file_name: str, *, sheet: str | int | None = None) -> TableRead:
    """Read a CSV or XLSX file as a table, finding its header and skipping what is not data.

    sheet: a worksheet's name or 0-based position; by default the first sheet with a recognisable header (a note
    says so when several sheets have one). Raises FileProblem saying what the file is and what was expected.
    """
    suffix = Path(file_name).suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return read_workbook(workbook_sheets(data, file_name), file_name, sheet=sheet)
    if suffix in (".csv", ".txt", ""):
        table = read_sheet(csv_sheet(data, file_name), file_name, fill_blank_groups=True)
        return table
    raise FileProblem("not_a_table", file=file_name, suffix=suffix or "(no extension)")


def read_workbook(sheets: list[RawSheet], file_name: str, *, sheet: str | int | None = None) -> TableRead:
    """Read the chosen sheet of a workbook (name, 0-based position, or None for the first with a header)."""
    names = [s.name for s in sheets]
    if not sheets:
        raise FileProblem("sheet_empty", file=file_name)
    if sheet is not None:
        chosen = _pick_sheet(sheets, sheet, file_name)
        table = read_sheet(chosen, file_name)
        table.sheet_names = names
        return table
    readable = [s for s in sheets if find_header(s.cells) is not None]
    if not readable:
        raise FileProblem("no_header_found", file=file_name, rows=HEADER_SEARCH_ROWS)
    table = read_sheet(readable[0], file_name)
    table.sheet_names = names
    if len(readable) > 1:
        table.notes.append(Message("sheet_chosen", {"sheet": readable[0].name, "count": len(readable),
                                                    "sheets": "、".join(s.name for s in readable)}))
    return table


def _pick_sheet(sheets: list[RawSheet], sheet: str | int, file_name: str) -> RawSheet:
    names = [s.name for s in sheets]
    if isinstance(sheet, (int, np.integer)) and not isinstance(sheet, bool):
        if 0 <= int(sheet) < len(sheets):
            return sheets[int(sheet)]
    elif str(sheet) in names:
        return sheets[names.index(str(sheet))]
    elif str(sheet).strip().isdigit() and 0 <= int(str(sheet).strip()) < len(sheets):
        return sheets[int(str(sheet).strip())]  # "--sheet 1" from a command line
    raise FileProblem("sheet_not_found", file=file_name, sheet=str(sheet), sheets="、".join(names))


# ---------------------------------------------------------------------------------------------------- one sheet
def read_sheet(raw: RawSheet, file_name: str, *, fill_blank_groups: bool = False) -> TableRead:
    """Read one sheet: find the header (one or two rows), drop index columns, skip non-data rows, fill groups.

    fill_blank_groups carries a township (乡镇 …) down into the blank cells below it, as a CSV has no merged cells;
    an XLSX sheet is filled from its merged ranges only.
    """
    cells = _merge_filled(raw)
    header = find_header(raw.cells)
    if header is None:
        raise FileProblem("no_header_found", file=file_name, rows=HEADER_SEARCH_ROWS)
    header_count = 2 if _is_second_header_row(raw, cells, header) else 1
    names = _column_names(raw, cells, header, header_count)
    body_start = header + header_count
    skipped = [SkippedRow(r + 1, _above_header_reason(raw.cells[r]), _row_text(raw.cells[r])) for r in range(header)]
    last = max((r for r in range(len(raw.cells)) if _non_empty(raw.cells[r])), default=-1)
    header_keys = [_squash(n) for n in names]
    data_rows: list[int] = []
    total_rows: set[int] = set()
    for r in range(body_start, last + 1):
        row = raw.cells[r]
        reason = _body_reason(row, header_keys)
        if reason is None:
            data_rows.append(r)
        else:
            skipped.append(SkippedRow(r + 1, reason, _row_text(row)))
            if reason in ("row_skipped_total", "row_skipped_blank"):
                total_rows.add(r)
    width = len(names)
    grid = [[cells[r][j] if j < len(cells[r]) else None for j in range(width)] for r in data_rows]
    filled: list[FilledColumn] = []
    merged_counts = _merged_fill_counts(raw, data_rows, body_start, width)
    for j, count in merged_counts.items():
        filled.append(FilledColumn(names[j], count, "column_filled_merged"))
    if fill_blank_groups and not raw.merged:
        filled += _fill_group_blanks(grid, names, data_rows, total_rows)
    frame = pd.DataFrame([[("" if v is None else str(v)) for v in row] for row in grid], columns=range(width),
                         dtype=object)
    keep, dropped = [], []
    for j, name in enumerate(names):
        column = frame[j] if len(frame) else pd.Series([], dtype=object)
        if name.startswith("column ") and (column == "").all():
            continue  # an empty column with no header: nothing to keep or report
        if _is_index_column(name, column):
            dropped.append(name)
            continue
        keep.append(j)
    frame = frame[keep]
    frame.columns = [names[j] for j in keep]
    filled = [f for f in filled if f.column in frame.columns]
    header_rows = tuple(range(header + 1, header + header_count + 1))
    return TableRead(frame=frame.reset_index(drop=True), rows=np.array([r + 1 for r in data_rows], dtype=int),
                     header_rows=header_rows, skipped=sorted(skipped), dropped_columns=dropped,
                     filled_columns=filled, sheet=raw.name, sheet_names=[raw.name])


def find_header(cells: list[list[object]]) -> int | None:
    """Return the 0-based position of the header row within the first HEADER_SEARCH_ROWS rows, or None.

    Each row is scored by how many of its cells look like header words, less the numbers it holds, plus how far
    the rows below it look like data (as many filled cells, not totals or notes); title, unit and blank rows do
    not qualify. Without any header word, the first row of two or more texts above rows of data is the header.
    """
    best, best_score, fallback = None, 0.0, None
    for r in range(min(HEADER_SEARCH_ROWS, len(cells))):
        row = cells[r]
        filled = [_squash(v) for v in row if _squash(v)]
        if len(filled) < 2 or _above_header_reason(row) == "row_skipped_unit":
            continue
        words = sum(_header_like(v) for v in filled)
        numbers = sum(parse_number(v).value is not None and not _YEAR_LABEL.fullmatch(v) for v in filled)
        below = [cells[i] for i in range(r + 1, min(len(cells), r + 1 + BODY_PROBE_ROWS)) if _non_empty(cells[i])]
        data_like = [b for b in below if _body_reason(b, []) is None
                     and sum(1 for v in b if _squash(v)) >= max(2, math.ceil(len(filled) / 2))]
        body = len(data_like) / len(below) if below else 0.0
        if words < min(2, len(filled)):
            if fallback is None and numbers == 0 and body >= 0.8 and _body_reason(row, []) is None:
                fallback = r
            continue
        score = 2.0 * words - 2.0 * numbers + 3.0 * body + 0.5 * words / len(filled)
        if score > best_score:
            best, best_score = r, score
    return best if best is not None else fallback


def _header_like(key: str) -> bool:
    if _YEAR_LABEL.fullmatch(key):
        return True
    key = _PUNCTUATION.sub("", key)
    if len(key) > 24 or parse_number(key).value is not None:
        return False
    return any(key == w or (len(w) > 1 and w in key) for w in HEADER_WORDS)


def _squash(value: object) -> str:
    return _SPACE.sub("", normalise_text(value)).lower()


def _non_empty(row: list[object]) -> bool:
    return any(_squash(v) for v in row)


def _row_text(row: list[object]) -> str:
    return " | ".join(normalise_text(v) for v in row if _squash(v))[:200]


def _above_header_reason(row: list[object]) -> str:
    filled = [_squash(v) for v in row if _squash(v)]
    if not filled:
        return "row_skipped_blank"
    if any(UNIT_ROW.match(f) for f in filled):
        return "row_skipped_unit"
    return "row_skipped_title"


def _body_reason(row: list[object], header_keys: list[str]) -> str | None:
    """Return why a row below the header is not data (a message key), or None for a data row."""
    filled = [_squash(v) for v in row if _squash(v)]
    if not filled:
        return "row_skipped_blank"
    first = filled[0]
    if any(_is_total(cell) for cell in filled[:3]):
        return "row_skipped_total"
    if first.startswith(FOOTER_WORDS):
        return "row_skipped_footer"
    if _is_note(first):
        return "row_skipped_note"
    named = [k for k in header_keys if k and not k.startswith("column")]
    if len(filled) >= 2 and filled == named[:len(filled)]:
        return "row_skipped_header_repeat"  # the header printed again on every page
    return None


NOTE_WORDS = ("填表说明", "说明", "备注", "附注", "注", "notes", "note")  # a note row starts "注：", "说明 1." …
_NOTE_FOLLOWERS = ":：.、,，;；(（0123456789①②③④⑤"


def _is_total(cell: str) -> bool:
    """Tell a total ("合计", "合计（15个村）", "芦花镇小计") from a village named like one (合计村)."""
    if cell in TOTAL_WORDS or cell.endswith(("合计", "小计", "总计")):
        return True
    word = next((w for w in TOTAL_WORDS[:4] if cell.startswith(w)), None)
    return word is not None and cell[len(word)] in _NOTE_FOLLOWERS


def _is_note(cell: str) -> bool:
    """Tell a note ("注：…", "说明：…", "注1.") from a village whose name starts the same way (注木村, 说明村)."""
    for word in NOTE_WORDS:
        if cell.startswith(word):
            return len(cell) == len(word) or cell[len(word)] in _NOTE_FOLLOWERS
    return False


def _merge_filled(raw: RawSheet) -> list[list[object]]:
    """Return the cells with every merged range's value copied into all its cells."""
    cells = [list(row) for row in raw.cells]
    for r0, c0, r1, c1 in raw.merged:
        if r0 - 1 >= len(cells):
            continue
        anchor = cells[r0 - 1][c0 - 1] if c0 - 1 < len(cells[r0 - 1]) else None
        for r in range(r0 - 1, min(r1, len(cells))):
            row = cells[r]
            row.extend([None] * (c1 - len(row)))
            for c in range(c0 - 1, c1):
                row[c] = anchor
    return cells


def _merged_fill_counts(raw: RawSheet, data_rows: list[int], body_start: int, width: int) -> dict[int, int]:
    """Return, per column, how many data cells took their value from a merged range above them."""
    wanted = set(data_rows)
    counts: dict[int, int] = {}
    for r0, c0, r1, c1 in raw.merged:
        if r1 == r0 or r0 - 1 < body_start:
            continue  # only ranges down a column, inside the body
        for c in range(c0 - 1, min(c1, width)):
            n = sum(1 for r in range(r0, r1) if r in wanted)  # rows below the anchor (0-based r0 .. r1-1)
            if n:
                counts[c] = counts.get(c, 0) + n
    return counts


def _fill_group_blanks(grid: list[list[object]], names: list[str], data_rows: list[int],
                       breaks: set[int]) -> list[FilledColumn]:
    """Carry a grouping column's value down into blank cells of data rows; a total or blank row ends a group."""
    filled = []
    for j, name in enumerate(names):
        if _squash(name) not in {_squash(g) for g in GROUP_HEADERS}:
            continue
        carried, count, previous = None, 0, None
        for i, r in enumerate(data_rows):
            if previous is not None and any(previous < b < r for b in breaks):
                carried = None
            previous = r
            value = grid[i][j]
            others = sum(1 for k, v in enumerate(grid[i]) if k != j and _squash(v))
            if _squash(value):
                carried = value
            elif carried is not None and others >= 2:
                grid[i][j] = carried
                count += 1
        if count:
            filled.append(FilledColumn(name, count, "column_filled_blank"))
    return filled


def _is_second_header_row(raw: RawSheet, cells: list[list[object]], header: int) -> bool:
    """Tell whether the row under the header completes it (贫困人口 over 2014年 / 2018年)."""
    if header + 1 >= len(cells):
        return False
    top, below = raw.cells[header], raw.cells[header + 1]
    filled = [(j, _squash(v)) for j, v in enumerate(below) if _squash(v)]
    if not filled or not all(_header_like(v) for _, v in filled):
        return False
    in_header = [m for m in raw.merged if m[0] == header + 1]
    if any(m[2] == header + 2 for m in in_header):
        return True  # a header cell merged down over both rows
    if any(m[2] == header + 1 and m[3] > m[1] and any(m[1] - 1 <= j < m[3] for j, _ in filled) for m in in_header):
        return True  # a group cell merged across the columns named in the row below
    return any(not _squash(top[j] if j < len(top) else None) for j, _ in filled)  # a CSV group written once


def _column_names(raw: RawSheet, cells: list[list[object]], header: int, count: int) -> list[str]:
    """Return one name per column: a group cell over a second row gives "贫困人口 2014年"."""
    width = max(len(r) for r in cells[header:header + max(count, 1) + 1] or [[]])
    width = max(width, max((len(r) for r in cells), default=0))
    top = [normalise_text(cells[header][j]) if j < len(cells[header]) else "" for j in range(width)]
    if count == 2:
        raw_top = [normalise_text(raw.cells[header][j]) if j < len(raw.cells[header]) else "" for j in range(width)]
        bottom_raw = [normalise_text(raw.cells[header + 1][j]) if j < len(raw.cells[header + 1]) else ""
                      for j in range(width)]
        group = ""
        for j in range(width):
            if raw_top[j]:
                group = raw_top[j]
            elif not top[j] and bottom_raw[j] and group:
                top[j] = group  # a CSV's group header written once, above the first of its columns
            if raw_top[j] == "" and top[j] == "" and not bottom_raw[j]:
                group = ""
        names = [f"{t} {b}" if t and b and t != b else (t or b) for t, b in zip(top, bottom_raw)]
    else:
        names = top
    out: list[str] = []
    for j, name in enumerate(names):
        name = _SPACE.sub(" ", name).strip() or f"column {j + 1}"
        base, n = name, 2
        while name in out:
            name, n = f"{base} ({n})", n + 1
        out.append(name)
    return out


def _is_index_column(name: str, column: pd.Series) -> bool:
    if _squash(name) not in INDEX_HEADERS:
        return False
    values = [v for v in column.astype(str).str.strip() if v]
    numbers = [parse_number(v).value for v in values]
    if not values or any(n is None or not float(n).is_integer() for n in numbers):
        return False
    if _squash(name) == "序号":
        return True
    return numbers == list(range(int(numbers[0]), int(numbers[0]) + len(numbers)))  # 编号 1, 2, 3 … only
