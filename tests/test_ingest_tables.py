"""Reading government spreadsheets: header anywhere in the first rows, two-row headers, 序号, totals and notes,
merged and grouped cells, numbers written as text, several sheets."""
import io
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook

from geo.errors import FileProblem
from geo.i18n import Message
from geo.ingest.tables import (
    RawSheet,
    find_header,
    parse_number,
    parse_number_column,
    read_sheet,
    read_table_file,
    sheet_names,
)


def xlsx(*sheets) -> bytes:
    """Return an XLSX with sheets given as (title, rows, merged ranges, {cell: number format})."""
    book = Workbook()
    book.remove(book.active)
    for title, rows, merges, *formats in sheets:
        ws = book.create_sheet(title)
        for row in rows:
            ws.append(row)
        for cells in merges:
            ws.merge_cells(cells)
        for cell, number_format in (formats[0] if formats else {}).items():
            ws[cell].number_format = number_format
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


GOVERNMENT = [
    ["黑水县贫困村基本情况表（示意数据）"],
    ["填报单位：示意", None, None, None, None, "单位：户、人"],
    ["序号", "乡镇", "村名", "经度", "纬度", "贫困人口", None, "备注"],
    [None, None, None, None, None, "2014年", "2018年", None],
    [1, "芦花镇", "示意村001", "102.9", "32.1", "1,234", "12人", None],
    [2, None, "示意村002", "102.8", "32.2", "１２３", "0", None],
    [3, "卡龙镇", "示意村003", "102.7", "32.3", "56", "—", None],
    ["合  计", None, None, None, None, "1,413", "12"],
    [],
    ["注：1. 数据为示意。"],
    ["填报人：示意", None, "审核人：示意", None, "联系电话：0000"],
]
GOVERNMENT_MERGES = ["A1:H1", "A3:A4", "B3:B4", "C3:C4", "D3:D4", "E3:E4", "H3:H4", "F3:G3", "B5:B6", "A8:E8"]


def test_a_government_sheet_reads_whole():
    table = read_table_file(xlsx(("村庄", GOVERNMENT, GOVERNMENT_MERGES)), "gov.xlsx")
    assert table.header_rows == (3, 4)
    assert list(table.frame.columns) == ["乡镇", "村名", "经度", "纬度", "贫困人口 2014年", "贫困人口 2018年", "备注"]
    assert table.rows.tolist() == [5, 6, 7]
    assert table.frame["乡镇"].tolist() == ["芦花镇", "芦花镇", "卡龙镇"]  # merged B5:B6 carried down
    assert [(s.row, s.reason) for s in table.skipped] == [
        (1, "row_skipped_title"), (2, "row_skipped_unit"), (8, "row_skipped_total"), (9, "row_skipped_blank"),
        (10, "row_skipped_note"), (11, "row_skipped_footer")]
    assert table.dropped_columns == ["序号"]
    assert [(f.column, f.cells, f.reason) for f in table.filled_columns] == [("乡镇", 1, "column_filled_merged")]
    values, _, problems = parse_number_column(table.frame["贫困人口 2014年"])
    assert values.tolist() == [1234, 123, 56] and not problems


def test_every_skipped_row_is_listed_with_its_reason_in_both_languages():
    table = read_table_file(xlsx(("村庄", GOVERNMENT, GOVERNMENT_MERGES)), "gov.xlsx")
    notes = table.messages()
    assert notes[0][1].key == "header_found" and notes[0][1].text("en") == "the header is on row 3-4"
    notes = notes[1:]
    assert [row for row, _ in notes[:6]] == [1, 2, 8, 9, 10, 11]
    total = dict(notes)[8]
    assert "row 8" in total.text("en") and "合计" in total.text("zh") and "1,413" in total.text("en")
    assert any(m.key == "column_dropped_index" and "序号" in m.text("zh") for _, m in notes)


def test_header_on_row_one_is_still_found():
    table = read_table_file("村名,经度,纬度\n示意村A,102.99,32.07\n".encode(), "plain.csv")
    assert table.header_rows == (1,) and table.rows.tolist() == [2] and not table.skipped


def test_header_row_is_chosen_by_its_words_and_the_rows_below():
    cells = [["2019年度黑水县统计表"], [None], ["数据截至：2019年12月31日", "单位：人"], ["村名", "户籍人口", "贫困人口"],
             ["示意村A", "800", "12"], ["示意村B", "600", "3"]]
    assert find_header(cells) == 3


def test_a_title_row_with_a_year_beside_it_is_not_the_header():
    cells = [["黑水县贫困村基本情况统计表", None, "2019年"], ["村名", "经度", "纬度"], ["示意村A", "102.9", "32.1"],
             ["示意村B", "102.8", "32.2"]]
    assert find_header(cells) == 1


def test_a_header_without_known_words_is_taken_above_rows_of_data():
    table = read_table_file("标识,甲,乙\nA,1,2\nB,3,4\n".encode(), "t.csv")
    assert table.header_rows == (1,) and list(table.frame.columns) == ["标识", "甲", "乙"]


def test_a_data_row_is_not_taken_for_a_header():
    cells = [["示意村A", "芦花镇", "102.9", "32.1"], ["示意村B", "芦花镇", "102.8", "32.2"]]
    assert find_header(cells) is None
    with pytest.raises(FileProblem, match="no header row"):
        read_sheet(RawSheet("s", cells), "nohead.csv")


def test_totals_and_notes_are_skipped_anywhere_not_only_at_the_bottom():
    text = ("乡镇,村名,贫困人口\n芦花镇,示意村A,10\n芦花镇,示意村B,5\n芦花镇小计,,15\n卡龙镇,示意村C,7\n"
            "备注：C 村 2019 年合并,,\n卡龙镇,示意村D,1\n卡龙镇,合计村,0\n总计（4个村）,,23\n说明：示意\n制表人：示意\n")
    table = read_table_file(text.encode(), "t.csv")
    assert table.frame["村名"].tolist() == ["示意村A", "示意村B", "示意村C", "示意村D", "合计村"]
    assert [(s.row, s.reason) for s in table.skipped] == [
        (4, "row_skipped_total"), (6, "row_skipped_note"), (9, "row_skipped_total"), (10, "row_skipped_note"),
        (11, "row_skipped_footer")]


def test_a_village_whose_name_starts_like_a_note_word_is_kept():
    table = read_table_file("村名,贫困人口\n注木村,10\n说明村,5\n备注村,1\n".encode(), "t.csv")
    assert table.frame["村名"].tolist() == ["注木村", "说明村", "备注村"] and not table.skipped


def test_csv_group_column_is_carried_down_only_into_data_rows_and_restarts_after_a_subtotal():
    text = "乡镇,村名,经度,纬度\n芦花镇,A,102.9,32.1\n,B,102.8,32.2\n小计,,,\n,C,102.7,32.3\n"
    table = read_table_file(text.encode(), "t.csv")
    assert table.frame["乡镇"].tolist() == ["芦花镇", "芦花镇", ""]  # C follows a subtotal: not carried
    assert [(f.column, f.cells, f.reason) for f in table.filled_columns] == [("乡镇", 1, "column_filled_blank")]


def test_blank_cells_of_other_columns_are_never_filled():
    table = read_table_file("村名,所属沟域,经度\nA,果蔬中蜂民俗沟,102.9\nB,,102.8\n".encode(), "t.csv")
    assert table.frame["所属沟域"].tolist() == ["果蔬中蜂民俗沟", ""] and not table.filled_columns


def test_xlsx_blank_cells_are_not_filled_without_a_merged_range():
    rows = [["乡镇", "村名", "经度"], ["芦花镇", "A", 102.9], [None, "B", 102.8]]
    table = read_table_file(xlsx(("s", rows, [])), "t.xlsx")
    assert table.frame["乡镇"].tolist() == ["芦花镇", ""] and not table.filled_columns


def test_csv_two_row_header_with_the_group_written_once():
    text = "村名,贫困人口,,经度\n,2014年,2018年,\nA,10,2,102.9\n"
    table = read_table_file(text.encode(), "t.csv")
    assert list(table.frame.columns) == ["村名", "贫困人口 2014年", "贫困人口 2018年", "经度"]
    assert table.header_rows == (1, 2) and table.rows.tolist() == [3]


def test_a_real_id_column_named_bianhao_is_kept_but_a_running_number_is_dropped():
    kept = read_table_file("编号,村名\nHS-01,A\nHS-02,B\n".encode(), "t.csv")
    dropped = read_table_file("编号,村名\n1,A\n2,B\n".encode(), "t.csv")
    assert "编号" in kept.frame.columns and not kept.dropped_columns
    assert dropped.dropped_columns == ["编号"] and list(dropped.frame.columns) == ["村名"]


def test_a_header_repeated_on_a_printed_page_is_skipped():
    table = read_table_file("村名,经度,纬度\nA,102.9,32.1\n村名,经度,纬度\nB,102.8,32.2\n".encode(), "t.csv")
    assert table.frame["村名"].tolist() == ["A", "B"]
    assert [(s.row, s.reason) for s in table.skipped] == [(3, "row_skipped_header_repeat")]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_encodings_and_separators(encoding):
    for sep in (",", "\t", ";"):
        text = f"标题行\n村名{sep}经度{sep}纬度\n示意村A{sep}102.99{sep}32.07\n"
        table = read_table_file(text.encode(encoding), "t.csv")
        assert table.frame.iloc[0].tolist() == ["示意村A", "102.99", "32.07"] and table.header_rows == (2,)


def test_several_sheets_default_to_the_first_with_a_header_and_say_so():
    table_rows = [["村名", "经度", "纬度"], ["A", 102.9, 32.1]]
    data = xlsx(("说明", [["填表说明"], ["1. 示意"]], []), ("2014年", table_rows, []), ("2018年", table_rows * 1, []))
    assert sheet_names(data, "t.xlsx") == ["说明", "2014年", "2018年"]
    table = read_table_file(data, "t.xlsx")
    assert table.sheet == "2014年" and table.sheet_names == ["说明", "2014年", "2018年"]
    assert [n.key for n in table.notes] == ["sheet_chosen"] and "2018年" in table.notes[0].text("zh")
    assert read_table_file(data, "t.xlsx", sheet="2018年").sheet == "2018年"
    assert read_table_file(data, "t.xlsx", sheet=2).sheet == "2018年"
    assert read_table_file(data, "t.xlsx", sheet="1").sheet == "2014年"
    with pytest.raises(FileProblem, match=r"no sheet '2020年' \(it has 说明、2014年、2018年\)"):
        read_table_file(data, "t.xlsx", sheet="2020年")


def test_codes_typed_as_text_stay_text_and_percent_cells_read_as_percent():
    rows = [["村名", "村代码", "贫困发生率"], ["A", "513228100200", 0.186], ["B", 513228100201.0, 0.018]]
    table = read_table_file(xlsx(("s", rows, [], {"C2": "0.0%", "C3": "0.0%"})), "t.xlsx")
    assert table.frame["村代码"].tolist() == ["513228100200", "513228100201"]
    assert table.frame["贫困发生率"].tolist() == ["18.6%", "1.8%"]
    assert parse_number(table.frame["贫困发生率"][0]) == (18.6, True, "%", None)


@pytest.mark.parametrize("text, value, percent", [
    ("1,234", 1234, False), ("1，234", 1234, False), ("１２３４", 1234, False), ("1,234人", 1234, False),
    ("56户", 56, False), ("18.6%", 18.6, True), ("１８．６％", 18.6, True), ("¥3,200元", 3200, False),
    ("3.2万", 32000, False), ("3.2万人", 32000, False), ("1.5亿元", 1.5e8, False), ("-12", -12, False),
    ("34 575 310.8", 34575310.8, False), ("1,234,567.25", 1234567.25, False), (" 7 ", 7, False), (42, 42, False),
])
def test_numbers_as_text(text, value, percent):
    parsed = parse_number(text)
    assert parsed.problem is None and parsed.value == pytest.approx(value) and parsed.percent == percent


@pytest.mark.parametrize("text", ["", "—", "-", "--", "无", "/", "  ", None, "N/A", float("nan")])
def test_blanks_are_none_without_a_problem(text):
    assert parse_number(text) == (None, False, "", None)


@pytest.mark.parametrize("text, key", [
    ("abc", "number_not_number"), ("1,23", "number_grouping"), ("12,3456", "number_grouping"),
    ("12 ab", "number_unknown_unit"), ("100-200", "number_not_number"), (True, "number_not_number"),
])
def test_non_numbers_say_what_was_received(text, key):
    parsed = parse_number(text)
    assert parsed.value is None and parsed.problem.key == key
    assert str(text) in parsed.problem.text("en") and parsed.problem.fix("zh")


@given(st.integers(min_value=0, max_value=10**12))
def test_thousands_separators_round_trip(n):
    for text in (f"{n:,}", f"{n:,}".replace(",", "，"), f"{n:,}人", str(n).translate(str.maketrans(
            "0123456789", "０１２３４５６７８９"))):
        assert parse_number(text).value == n


@given(st.floats(min_value=0, max_value=100, allow_nan=False).map(lambda v: round(v, 2)))
def test_percentages_round_trip(v):
    parsed = parse_number(f"{v}%")
    assert parsed.percent and math.isclose(parsed.value, v)


def test_every_key_the_tables_use_is_in_the_catalogue():
    for key in ("row_skipped_title", "row_skipped_unit", "row_skipped_blank", "row_skipped_total", "row_skipped_note",
                "row_skipped_footer", "row_skipped_header_repeat", "column_dropped_index", "column_filled_merged",
                "column_filled_blank", "sheet_chosen", "sheet_not_found", "no_header_found", "header_found"):
        Message(key, {})  # raises KeyError when missing


def test_the_ingest_package_imports_without_streamlit():
    import subprocess
    import sys
    from pathlib import Path

    code = ("import geo.ingest.tables, geo.ingest.coordinates, sys; "
            "assert 'streamlit' not in sys.modules, 'streamlit was imported'")
    out = subprocess.run([sys.executable, "-c", code], check=False, cwd=Path(__file__).resolve().parent.parent,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
