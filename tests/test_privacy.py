"""Village aggregates only: files that identify people are refused with nothing kept; small counts are hidden in
public exports."""
import io
import json
import logging
import tempfile
import zipfile

import pandas as pd
import pytest

from geo.ingest.privacy import (
    PersonalDataRefused,
    check_personal_data,
    contains_id_number,
    is_id_number,
    keep_nothing,
    redact,
    screen_village_file,
    small_number_threshold,
    suppress_small_numbers,
)
from geo.workspace import Workspace, WorkspaceError

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_number(first17: str) -> str:
    """Return a made-up resident ID number with a valid check character (not a real person's)."""
    return first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, _WEIGHTS)) % 11]


IDS = [id_number("51322819800101123"), id_number("51322819751231002"), id_number("51322820010229456")]
GOOD = "村名,经度,纬度,代码,贫困人口2014,户籍人口,是否贫困村,识别年份\n"
ROW = "示意村{n:03d},103.2{n},32.1{n},5132281000{n:02d},10,100,是,2014\n"


def good_csv(extra_header="", extra=lambda n: "") -> bytes:
    header = GOOD.rstrip("\n") + (f",{extra_header}" if extra_header else "") + "\n"
    rows = "".join(ROW.format(n=n).rstrip("\n") + (f",{extra(n)}" if extra_header else "") + "\n" for n in range(1, 4))
    return (header + rows).encode("utf-8")


# ---------------------------------------------------------------------------------------------- ID numbers
def test_id_numbers_are_recognised_by_their_check_character():
    assert all(is_id_number(i) for i in IDS)
    ending_x = next(i for n in range(1000) if (i := id_number(f"51322819800101{n:03d}")).endswith("X"))
    assert is_id_number(ending_x) and is_id_number(ending_x.lower())
    wrong_check = IDS[0][:17] + ("0" if IDS[0][17] != "0" else "1")
    assert not is_id_number(wrong_check)
    assert not is_id_number("513228100001")  # a 12-digit village code
    assert not is_id_number("513228100001000001")  # 18 digits, no valid birth date
    assert contains_id_number(f"户主 {IDS[1]} 已核实") and not contains_id_number(f"9{IDS[1]}")


@pytest.mark.parametrize("header, key", [
    ("身份证号", "personal_id_column"), ("身份证号码", "personal_id_column"), ("证件号码", "personal_id_column"),
    ("户主身份证号", "personal_id_column"), ("户主姓名", "personal_name_column"), ("姓名", "personal_name_column"),
    ("联系电话", "personal_phone_column"), ("手机号", "personal_phone_column"), ("手机号码", "personal_phone_column"),
])
def test_columns_that_identify_people_are_named(header, key):
    table = pd.DataFrame({"村名": ["示意村001"], header: ["x"], "监测对象户数": ["2"]})
    messages = check_personal_data(table, "register.xlsx")
    assert [m.key for m in messages] == [key]
    assert header in messages[0].text("zh") and "村级汇总" in messages[0].fix("zh")
    assert "village totals" in messages[0].fix("en")


def test_an_id_number_in_any_column_is_found_with_its_rows_but_never_shown():
    table = pd.DataFrame({"村名": ["示意村001", "示意村002", "示意村003"],
                          "备注": ["", f"户主{IDS[0]}", IDS[1]], "代码": ["513228100001"] * 3})
    messages = check_personal_data(table, "a.csv")
    assert [m.key for m in messages] == ["personal_id_number"]
    text = messages[0].text("zh") + messages[0].text("en") + json.dumps(messages[0].params, ensure_ascii=False)
    assert "备注" in text and "3, 4" in text and not any(i in text for i in IDS)


def test_village_tables_are_not_mistaken_for_registers():
    table = pd.DataFrame({"村名": ["示意村001"], "代码": ["513228100001"], "村民小组": ["3"],
                          "长编号": ["513228100001000001"], "联系人数": ["4"], "监测对象人数": ["12"]})
    assert check_personal_data(table, "a.csv") == []


def test_a_header_below_a_title_row_is_found_in_a_table_too():
    table = pd.DataFrame([["村名", "户主姓名", "监测对象人数"], ["示意村001", "某某", "3"]],
                         columns=["黑水县监测对象名单", "column 2", "column 3"])
    assert [m.key for m in check_personal_data(table, "名单.csv")] == ["personal_name_column"]


def test_raw_cells_with_a_title_row_are_checked():
    cells = [["黑水县监测对象名单", None, None], ["村名", "户主", "身份证件号码"], ["示意村001", "某某", IDS[0]],
             [f"填报人：{IDS[2]}", None, None]]
    keys = sorted(m.key for m in check_personal_data(cells, "名单.xlsx"))
    assert keys == ["personal_id_column", "personal_id_number", "personal_name_column"]


# ---------------------------------------------------------------------------------------------- keep nothing
def xlsx_bytes(rows) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def zipped_geojson(ids) -> bytes:
    features = [{"type": "Feature", "properties": {"村名": f"示意村00{i}", "备注": f"户主{number}"},
                 "geometry": {"type": "Point", "coordinates": [103.2, 32.1]}} for i, number in enumerate(ids)]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("villages.geojson", json.dumps({"type": "FeatureCollection", "features": features},
                                                        ensure_ascii=False))
    return buffer.getvalue()


def files_with_ids():
    body = good_csv("备注", lambda n: f"户主{IDS[n - 1]}")
    header_rows = [["村名", "经度", "纬度", "身份证号码"], ["示意村001", 103.2, 32.1, IDS[0]],
                   ["示意村002", 103.3, 32.2, IDS[1]]]
    return [("register.csv", body), ("register_gbk.csv", body.decode("utf-8").encode("gb18030")),
            ("register.xlsx", xlsx_bytes(header_rows)), ("register.zip", zipped_geojson(IDS))]


def searchable(ids):
    out = []
    for number in ids:
        out += [number.encode("utf-8"), number.encode("utf-16-le"), number.encode("gb18030")]
    return out


@pytest.mark.parametrize("name, data", files_with_ids(), ids=lambda v: v if isinstance(v, str) else "")
def test_a_file_with_id_numbers_is_refused_and_leaves_no_trace(name, data, tmp_path, monkeypatch):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))  # every temporary file of the import lands here
    log_file = tmp_path / "app.log"
    handler = logging.FileHandler(log_file, encoding="utf-8")
    logging.getLogger().addHandler(handler)
    try:
        report = screen_village_file(data, name, datum="wgs84")
        logging.getLogger("geo").warning("import of %s: %s", name, report.as_dict("zh"))
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()
    assert report.errors and {e.key for e in report.errors} <= {"personal_id_column", "personal_id_number"}
    assert report.villages is None and report.rows_ok == 0
    shown = json.dumps(report.as_dict("zh"), ensure_ascii=False) + json.dumps(report.as_dict("en"))
    assert not any(number in shown for number in IDS)

    workspace = Workspace(tmp_path / "ws" / "workspace.gpkg")
    with pytest.raises(WorkspaceError, match="nothing was saved"):
        workspace.save_import(report, "villages", "heishui")

    assert list(scratch.iterdir()) == []  # the scratch folders are gone
    leftovers = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert log_file in leftovers
    for path in leftovers:
        content = path.read_bytes()
        assert not any(needle in content for needle in searchable(IDS)), path


def test_a_clean_village_file_imports_as_before():
    report = screen_village_file(good_csv(), "villages.csv")
    assert not report.errors and report.rows_ok == 3 and len(report.villages) == 3


def test_keep_nothing_scrubs_logs_wipes_its_folder_and_drops_the_cells(tmp_path):
    log_file = tmp_path / "app.log"
    handler = logging.FileHandler(log_file, encoding="utf-8")
    logging.getLogger().addHandler(handler)
    try:
        with pytest.raises(PersonalDataRefused) as caught, keep_nothing("x.csv") as folder:
            (folder / "copy.csv").write_text(IDS[0])
            logging.getLogger("geo.ingest").warning("row 3 holds %s, phone 13800138000", IDS[0])
            raise PersonalDataRefused(check_personal_data(pd.DataFrame({"身份证号": [IDS[0]]}), "x.csv"))
        logging.getLogger("geo.ingest").warning("after: %s", IDS[1])  # outside: no longer filtered
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()
    assert not folder.exists()
    logged = log_file.read_text(encoding="utf-8")
    assert IDS[0] not in logged and "13800138000" not in logged and "[ID removed]" in logged
    assert caught.value.__context__ is None and caught.value.__cause__ is None
    assert caught.value.messages[0].key == "personal_id_column"
    assert redact(f"a {IDS[2]} b") == "a [ID removed] b"


# ---------------------------------------------------------------------------------------------- small numbers
def test_small_counts_are_hidden_in_public_exports(monkeypatch):
    counts = pd.Series([0, 1, 2, 3, None], index=list("abcde"))
    assert suppress_small_numbers(counts, threshold=2).tolist()[:4] == [0, "<3", "<3", 3]
    assert pd.isna(suppress_small_numbers(counts, threshold=2)["e"])
    assert list(suppress_small_numbers(counts, threshold=2).index) == list("abcde")
    monkeypatch.setenv("VALLEY_ATLAS_SMALL_NUMBER_MAX", "4")
    assert small_number_threshold() == 4
    assert suppress_small_numbers([3, 4, 5]).tolist() == ["<5", "<5", 5]
    monkeypatch.setenv("VALLEY_ATLAS_SMALL_NUMBER_MAX", "0")
    assert suppress_small_numbers([1, 2]).tolist() == [1, 2]
    monkeypatch.setenv("VALLEY_ATLAS_SMALL_NUMBER_MAX", "few")
    with pytest.raises(ValueError, match="VALLEY_ATLAS_SMALL_NUMBER_MAX='few' is not a whole number"):
        small_number_threshold()
    monkeypatch.delenv("VALLEY_ATLAS_SMALL_NUMBER_MAX")
    assert small_number_threshold() == 2
