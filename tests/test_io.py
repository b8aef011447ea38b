"""Importing villages: messy real-world tables give one report with every problem, in row numbers, with a fix."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.boundaries import load_boundary
from geo.crs import wgs84_to_bd09, wgs84_to_gcj02
from geo.ingest.villages import guess_mapping, import_villages, read_table

ROOT = Path(__file__).resolve().parent.parent
HEISHUI = load_boundary("513228")
GOOD = "村名,经度,纬度,户籍人口,贫困村,2014,2018\n示意村A,102.99,32.07,800,是,120,10\n示意村B,103.10,32.10,600,否,30,0\n"


def report_for(text_or_bytes, name="villages.csv", **options):
    data = text_or_bytes.encode("utf-8") if isinstance(text_or_bytes, str) else text_or_bytes
    return import_villages(read_table(data, name), file_name=name, region_boundary=HEISHUI, **options)


def messages(report, severity="error"):
    return " | ".join(i.message for i in getattr(report, f"{severity}s"))


def test_a_good_file_imports_with_chinese_headers():
    report = report_for(GOOD)
    assert not report.errors, messages(report)
    v = report.villages
    assert list(v["name"]) == ["示意村A", "示意村B"] and set(v["provenance"]) == {"user"}
    assert v["poor_2016"].tolist() == [120, 30] and v["poor_2018"].tolist() == [10, 0]  # carried forward
    assert v.crs.to_epsg() == 4326 and report.rows_ok == 2


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_encodings_are_detected_not_asked(encoding):
    report = report_for(GOOD.encode(encoding))
    assert not report.errors and report.villages["name"].iloc[0] == "示意村A"


def test_mapping_from_common_headers():
    mapping = guess_mapping(["村庄名称", "lng", "Latitude", "统计用区划代码", "乡镇", "农村人口", "是否贫困村", "退出年份",
                             "2015", "贫困人口2016"])
    assert mapping == {"name": "村庄名称", "lon": "lng", "lat": "Latitude", "code": "统计用区划代码", "township": "乡镇",
                       "rural_population": "农村人口", "poverty_village": "是否贫困村", "exit_year": "退出年份",
                       "poor_2015": "2015", "poor_2016": "贫困人口2016"}


CORPUS = [  # (case, file content, expected error/warning fragment, severity)
    ("empty file", b"", "is empty", "error"),
    ("header only", "村名,经度,纬度\n", "no rows", "error"),
    ("missing coordinates", "村名,人口\nA,5\n", "no column for lon", "error"),
    ("text in a coordinate column", "村名,经度,纬度\nA,见附图,32.1\n", "row 2", "error"),  # 东经102.9 is read now
    ("longitude out of range", "村名,经度,纬度\nA,330.5,32.1\n", "outside ±180", "error"),
    ("swapped coordinates", "村名,经度,纬度\nA,32.07,102.99\nB,32.10,103.10\n", "look swapped", "error"),
    ("duplicate ids", "编号,村名,经度,纬度\n1,A,102.99,32.07\n1,B,103.1,32.1\n", "duplicate village id '1'", "error"),
    ("code became a float", "村名,经度,纬度,统计用区划代码\nA,102.99,32.07,5.13228E+11\n", "turned into a number",
     "error"),
    ("short code", "村名,经度,纬度,统计用区划代码\nA,102.99,32.07,5132281\n", "not 12 digits", "error"),
    ("code of another county", "村名,经度,纬度,统计用区划代码\nA,102.99,32.07,511725100001\n",
     "belongs to county 511725", "warning"),
    ("point outside the region", "村名,经度,纬度\nA,104.5,30.5\n", "outside the region", "warning"),
    ("negative poor population", "村名,经度,纬度,2014\nA,102.99,32.07,-5\n", "negative", "error"),
    ("not a table", b"%PDF-1.4 binary", "not a village table", "error"),
]


@pytest.mark.parametrize("case, content, expected, severity", CORPUS, ids=[c[0] for c in CORPUS])
def test_bad_inputs_give_the_specific_problem(case, content, expected, severity):
    name = "villages.pdf" if case == "not a table" else "villages.csv"
    try:
        report = report_for(content, name=name, region_adcode="513228")
    except ValueError as exc:
        assert expected in str(exc) and severity == "error"
        return
    found = messages(report, severity) + " | " + " | ".join(
        f"row {i.row}" for i in getattr(report, f"{severity}s") if i.row)
    assert expected in found, f"{case}: {found}"
    if severity == "error":
        assert report.villages is None, "an import with errors must not produce villages"
    assert all(i.fix or i.severity == "warning" or i.column for i in report.issues)


def test_every_problem_of_a_file_is_reported_at_once():
    text = "村名,经度,纬度,统计用区划代码\nA,330,32.07,513228100001\nB,102.99,abc,513228100002\nC,102.99,32.07,12\n"
    report = report_for(text)
    rows = sorted(i.row for i in report.errors)
    assert rows == [2, 3, 4], messages(report)


@pytest.mark.parametrize("datum, shift", [("gcj02", wgs84_to_gcj02), ("bd09", wgs84_to_bd09)])
def test_points_from_a_chinese_map_declared_as_wgs84_are_recognised(datum, shift):
    import shapely

    # villages just inside the county edge (~50 m): a 300-600 m datum shift moves many of them out
    edge = shapely.get_exterior_ring(max(HEISHUI.geometry.iloc[0].buffer(-0.0005).geoms, key=lambda g: g.area)
                                     if hasattr(HEISHUI.geometry.iloc[0].buffer(-0.0005), "geoms")
                                     else HEISHUI.geometry.iloc[0].buffer(-0.0005))
    points = shapely.line_interpolate_point(edge, np.linspace(0, 1, 150, endpoint=False), normalized=True)
    lon, lat = shapely.get_x(points), shapely.get_y(points)
    s_lon, s_lat = shift(lon, lat)
    table = "村名,经度,纬度\n" + "".join(f"V{i},{a:.6f},{b:.6f}\n" for i, (a, b) in enumerate(zip(s_lon, s_lat)))
    as_wgs = report_for(table, datum="wgs84")
    label = "GCJ-02" if datum == "gcj02" else "BD-09"
    datum_warnings = [w for w in as_wgs.warnings if w.column == "datum"]
    assert datum_warnings and label in datum_warnings[0].message and label in datum_warnings[0].fix, \
        messages(as_wgs, "warning")
    assert "%" in datum_warnings[0].message  # the measured fractions
    right = report_for(table, datum=datum)
    assert not any(w.column == "datum" for w in right.warnings)
    back = right.villages.geometry
    # the file holds 6 decimals (≈ 5 cm): the round trip through the datum closes to that
    assert np.abs(back.x.to_numpy() - lon).max() < 1e-6 and np.abs(back.y.to_numpy() - lat).max() < 1e-6


def test_xlsx_with_formulas_and_text_codes(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["村名", "经度", "纬度", "统计用区划代码", "户籍人口"])
    sheet.append(["示意村A", 102.99, 32.07, "513228100001", 800])
    sheet.append(["示意村B", 103.1, 32.1, "513228100002", "=400*2"])
    path = tmp_path / "v.xlsx"
    book.save(path)
    report = import_villages(read_table(path.read_bytes(), path.name), file_name=path.name, region_boundary=HEISHUI)
    # formulas are read as their saved values; one never computed by Excel has none: reported, never guessed
    assert not report.errors
    assert [(w.row, w.column) for w in report.warnings if "empty" in w.message] == [(3, "户籍人口")]
    assert report.villages["code"].tolist() == ["513228100001", "513228100002"]


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.floats(102.85, 103.15), st.floats(32.0, 32.2), st.integers(0, 500)), min_size=1,
                max_size=15))
def test_valid_rows_round_trip(rows):
    text = "村名,经度,纬度,户籍人口,2014\n" + "".join(
        f"V{i},{lon:.6f},{lat:.6f},{poor + 10},{poor}\n" for i, (lon, lat, poor) in enumerate(rows))
    report = import_villages(read_table(text.encode(), "v.csv"), file_name="v.csv")
    assert not report.errors
    v = report.villages
    assert v["poor_2014"].tolist() == [r[2] for r in rows]
    assert np.allclose(v.geometry.x, [round(r[0], 6) for r in rows]) and np.allclose(v.geometry.y,
                                                                                       [round(r[1], 6) for r in rows])


def test_cli_prints_the_report_and_fails_on_errors(tmp_path):
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_text(GOOD, encoding="gbk")
    bad.write_text("村名,经度,纬度\nA,330,32\n", encoding="utf-8")
    for path, code in ((good, 0), (bad, 1)):
        out = subprocess.run([sys.executable, "-m", "geo", "import", "villages", str(path), "--region", "heishui",
                              "--dry-run"], cwd=ROOT, capture_output=True, text=True, encoding="utf-8", timeout=120)
        assert out.returncode == code, out.stderr
        report = json.loads(out.stdout)
        assert set(report) >= {"errors", "warnings", "rows_ok"}
    assert report["errors"][0]["row"] == 2
    out = subprocess.run([sys.executable, "-m", "geo", "import", "villages", str(good), "--region", "heishui"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and "--dry-run" in out.stderr


@settings(max_examples=20, deadline=None)
@given(st.lists(st.tuples(st.floats(102.85, 103.15), st.floats(32.0, 32.2), st.integers(0, 500), st.integers(0, 500),
                          st.sampled_from(["", "是", "否"])), min_size=1, max_size=12))
def test_import_export_import_round_trips(rows):
    """A table of valid rows, imported, exported as GeoJSON and imported again, gives the same villages."""
    from geo.ingest.villages import import_village_file

    text = "编号,村名,经度,纬度,户籍人口,贫困村,2014,2017\n" + "".join(
        f"v{i},村{i},{lon:.6f},{lat:.6f},{a + b + 1},{flag},{a},{b}\n" for i, (lon, lat, a, b, flag) in enumerate(rows))
    first = import_village_file(text.encode("gbk"), "v.csv")
    assert not first.errors, messages(first)
    exported = first.villages.drop(columns=["provenance"]).to_json(drop_id=True, ensure_ascii=False).encode()
    again = import_village_file(exported, "v.geojson")
    assert not again.errors, messages(again)
    a, b = first.villages, again.villages
    for column in ["village_id", "name", "rural_population", "identified_year", *[f"poor_{y}" for y in range(2014, 2021)]]:
        assert a[column].astype(str).tolist() == b[column].astype(str).tolist(), column
    assert np.allclose(a.geometry.x, b.geometry.x, atol=1e-9) and np.allclose(a.geometry.y, b.geometry.y, atol=1e-9)


def test_a_long_form_table_is_turned_wide():
    text = ("村名,经度,纬度,户籍人口,年份,贫困人口\n"
            "甲,102.99,32.07,500,2014,100\n甲,102.99,32.07,500,2016,40\n乙,103.1,32.1,300,2015,30\n")
    report = import_villages(read_table(text.encode(), "long.csv"), file_name="long.csv")
    assert not report.errors, messages(report)
    v = report.villages.set_index("name")
    assert v.loc["甲", ["poor_2014", "poor_2015", "poor_2016", "poor_2020"]].tolist() == [100, 100, 40, 40]
    assert v.loc["乙", ["poor_2014", "poor_2015", "poor_2016"]].tolist() == [0, 30, 30]  # carried forward
    assert any("long form: 3 rows turned into 2 villages" in w.message for w in report.warnings)


def test_villages_from_a_projected_geopackage_are_reprojected_and_keep_their_datum(tmp_path):
    import geopandas as gpd
    import shapely

    from geo.ingest.villages import import_village_file

    points = gpd.GeoDataFrame({"村名": ["甲", "乙"], "户籍人口": [500, 300], "2014": [50, 30]},
                              geometry=shapely.points([102.99, 103.10], [32.07, 32.10]), crs=4326)
    path = tmp_path / "villages.gpkg"
    points.to_crs(4543).to_file(path, driver="GPKG")  # CGCS2000 / 3-degree Gauss-Kruger CM 102E
    report = import_village_file(path.read_bytes(), path.name, region_boundary=HEISHUI, datum="gcj02")
    assert not report.errors, messages(report)
    assert report.row_label == "feature" and report.villages["name"].tolist() == ["甲", "乙"]
    assert np.allclose(report.villages.geometry.x, [102.99, 103.10], atol=1e-7)  # no GCJ-02 shift applied
    assert any(w.key == "datum_ignored" for w in report.warnings)
    assert any(w.key == "note_reprojected" for w in report.warnings)


def test_missing_year_columns_are_filled_and_the_report_says_how():
    text = "村名,经度,纬度,户籍人口,贫困村,2015,2018\n示意村A,102.99,32.07,800,是,120,10\n"
    report = import_villages(read_table(text.encode(), "v.csv"), file_name="v.csv", region_boundary=HEISHUI)
    assert not report.errors, messages(report)
    filled = [i for i in report.warnings if i.key == "wide_years_filled"]
    assert len(filled) == 1 and filled[0].params == {"carried": "2016、2017、2019、2020", "zeroed": "2014"}
    row = report.villages.iloc[0]
    assert (row["poor_2014"], row["poor_2016"], row["poor_2017"], row["poor_2019"]) == (0, 120, 120, 10)
    assert "2016" in filled[0].text("zh") and "沿用" in filled[0].text("zh")


def test_all_years_given_fills_nothing():
    report = import_villages(read_table(GOOD.encode(), "v.csv"), file_name="v.csv", region_boundary=HEISHUI)
    assert [i.key for i in report.warnings].count("wide_years_filled") == 1  # GOOD gives 2014 and 2018 only
    full = "村名,经度,纬度,户籍人口,贫困村," + ",".join(map(str, range(2014, 2021))) + \
        "\n示意村A,102.99,32.07,800,是," + ",".join(["10"] * 7) + "\n"
    report = import_villages(read_table(full.encode(), "v.csv"), file_name="v.csv", region_boundary=HEISHUI)
    assert "wide_years_filled" not in [i.key for i in report.warnings]


def test_an_empty_mapping_maps_nothing_instead_of_the_guess():
    table = read_table(GOOD.encode(), "v.csv")
    report = import_villages(table, file_name="v.csv", mapping={})
    assert report.errors and report.mapping == {}
    assert import_villages(table, file_name="v.csv").mapping["name"] == "村名"  # no mapping given: guessed


NO_STATUS = "村名,经度,纬度,户籍人口,2014,2016\n示意村A,102.99,32.07,800,120,0\n示意村B,103.10,32.10,600,0,30\n示意村C,102.80,31.95,500,0,0\n"


def test_poor_people_without_a_status_column_is_never_silent():
    """Issue 14 item 12: poor people but no 贫困村 column — say so, and let the user choose the rule."""
    table = read_table(NO_STATUS.encode(), "v.csv")
    plain = import_villages(table, file_name="v.csv", region_boundary=HEISHUI)
    warning = next(i for i in plain.warnings if i.key == "poverty_status_missing")
    assert warning.params == {"count": 2, "total": 3} and "贫困村" in warning.text("zh")
    assert not plain.villages["poverty_village"].any()
    chosen = import_villages(table, file_name="v.csv", region_boundary=HEISHUI, poverty_rule="poor_people")
    assert [i.key for i in chosen.warnings].count("poverty_status_assumed") == 1
    villages = chosen.villages.set_index("name")
    assert villages["poverty_village"].to_dict() == {"示意村A": True, "示意村B": True, "示意村C": False}
    assert villages.loc["示意村A", "identified_year"] == 2014 and villages.loc["示意村B", "identified_year"] == 2016
    with_status = "村名,经度,纬度,户籍人口,贫困村,2014\n示意村A,102.99,32.07,800,否,120\n"
    report = import_villages(read_table(with_status.encode(), "v.csv"), file_name="v.csv", poverty_rule="poor_people")
    assert not report.villages["poverty_village"].any(), "a file's own 贫困村 column always wins"
    assert not {"poverty_status_missing", "poverty_status_assumed"} & {i.key for i in report.warnings}


def test_the_command_line_takes_the_poverty_rule(tmp_path):
    import json
    import os
    import subprocess
    import sys

    path = tmp_path / "no_status.csv"
    path.write_text(NO_STATUS, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for flag, key in (([], "poverty_status_missing"), (["--poverty-from-poor"], "poverty_status_assumed")):
        out = subprocess.run([sys.executable, "-m", "geo", "import", "villages", str(path), "--region", "heishui",
                              "--dry-run", *flag], cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
        assert out.returncode == 0, out.stderr
        assert key in {w["key"] for w in json.loads(out.stdout)["warnings"]}
