"""Each step of the village and zone importers on its own: small hand-made tables, one report, the rows blocked."""
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.boundaries import load_boundary
from geo.ingest.coordinates import from_wgs84
from geo.ingest.places import (
    Placement,
    check_region,
    check_repeated_names,
    family_of,
    parse_coordinates,
)
from geo.ingest.report import ImportReport
from geo.ingest.villages import (
    assign_zones,
    build_frame,
    check_options,
    check_rows,
    guess_mapping,
    import_villages,
    match_codes,
)
from geo.ingest.zones import check_layer, zone_geometry, zone_half_width, zone_record

HEISHUI = load_boundary("513228")
REGION = shapely.union_all(HEISHUI.geometry.values)


def table(text: str) -> pd.DataFrame:
    rows = [line.split(",") for line in text.strip().splitlines()]
    return pd.DataFrame(rows[1:], columns=rows[0], dtype=object)


def fresh(frame):
    return ImportReport(file="t.csv", mapping={}), np.arange(2, len(frame) + 2), np.zeros(len(frame), bool)


# ---------------------------------------------------------------------------------------------------- options
def test_check_options_accepts_a_register_with_a_code_or_township_and_refuses_a_bare_name_list():
    report, _, _ = fresh(table("村名,乡镇\nA,芦花镇\n"))
    assert check_options(report, table("村名,乡镇\nA,芦花镇\n"), {"name": "村名", "township": "乡镇"}, "wgs84")
    bare = table("村名,人口\nA,5\n")
    report, _, _ = fresh(bare)
    assert not check_options(report, bare, {"name": "村名"}, "wgs84")
    assert [i.params["field"] for i in report.errors] == ["lon", "lat"]


def test_files_that_identify_people_are_refused_before_any_step():
    from geo.ingest.villages import import_village_file

    people = "村名,户主姓名,经度,纬度\nA,张三,102.9,32.1\n".encode()
    report = import_village_file(people, "people.csv")
    assert [i.key for i in report.errors] == ["personal_name_column"] and "户主姓名" in report.errors[0].text("zh")
    assert report.villages is None and not report.mapping
    ids = "村名,备注,经度,纬度\nA,513228198001011235,102.9,32.1\n".encode()
    report = import_village_file(ids, "ids.csv")
    assert [i.key for i in report.errors] == ["personal_id_number"] and report.villages is None


def test_guess_mapping_reads_two_row_headers_and_zone_columns_but_never_a_running_number():
    mapping = guess_mapping(["序号", "村名", "坐标 经度", "坐标 纬度", "贫困人口 2014年", "所属沟域", "贫困户数"])
    assert mapping == {"name": "村名", "lon": "坐标 经度", "lat": "坐标 纬度", "poor_2014": "贫困人口 2014年",
                       "zones_assigned": "所属沟域", "poor_households": "贫困户数"}


# ---------------------------------------------------------------------------------------------------- coordinates
def test_parse_coordinates_reads_dms_and_reports_half_missing_and_unplaced_rows():
    frame = table("村名,经度,纬度\nA,102°58'41.2\",32°4'1.5\"\nB,,\nC,102.9,\nD,东经103.1,北纬32.2\n")
    report, rows, blocked = fresh(frame)
    placement = parse_coordinates(frame, {"lon": "经度", "lat": "纬度"}, rows, report, blocked)
    assert np.allclose(placement.lon[[0, 3]], [102 + 58 / 60 + 41.2 / 3600, 103.1])
    assert placement.located.tolist() == [True, False, False, True]
    assert blocked.tolist() == [False, False, True, False]
    assert [(i.row, i.key) for i in report.issues] == [(4, "coordinate_half_missing"), (None, "rows_unplaced")]


def test_parse_coordinates_recognises_projected_metres_and_takes_a_chosen_crs():
    lon, lat = np.array([102.9, 103.1]), np.array([32.1, 32.3])
    east, north = from_wgs84(lon, lat, 4522)  # 3° zone 34 with the prefix
    frame = pd.DataFrame({"X坐标": [f"{v:.3f}" for v in north], "Y坐标": [f"{v:.3f}" for v in east]})
    report, rows, blocked = fresh(frame)
    placement = parse_coordinates(frame, {}, rows, report, blocked, region_shape=REGION)
    assert placement.reading.epsg == 4522 and placement.reading.easting_header == "Y坐标"
    assert np.allclose(placement.lon, lon, atol=1e-8) and np.allclose(placement.lat, lat, atol=1e-8)
    assert [i.key for i in report.warnings] == ["crs_read_as_gk3_prefix"]
    bare_east, bare_north = from_wgs84(lon, lat, 4543)
    frame = pd.DataFrame({"X": bare_east, "Y": bare_north}).astype(str)
    report, rows, blocked = fresh(frame)
    chosen = parse_coordinates(frame, {}, rows, report, blocked, crs=4540)  # CM 93°E, chosen by the user
    assert chosen.reading.epsg == 4540 and (chosen.lon < 95).all()
    with pytest.raises(ValueError, match="not a CGCS2000"):
        family_of(4326 + 1)


def test_parse_coordinates_without_coordinate_columns_leaves_every_village_unplaced():
    frame = table("村名,乡镇\nA,芦花镇\nB,卡龙镇\n")
    report, rows, blocked = fresh(frame)
    placement = parse_coordinates(frame, {"name": "村名"}, rows, report, blocked)
    assert placement.columns is None and not placement.located.any()
    assert [i.key for i in report.warnings] == ["register_unplaced"]


# ---------------------------------------------------------------------------------------------------- rows
def test_check_rows_reads_text_numbers_and_blocks_what_cannot_be_used():
    frame = pd.DataFrame({"村名": ["A", "", "B", "C"], "户籍人口": ["1,234人", "800", "500", "abc"],
                          "2014": ["120", "10", "600", "5"]})
    report, rows, blocked = fresh(frame)
    values = check_rows(frame, guess_mapping(frame.columns), rows, report, blocked)
    assert values.numbers["rural_population"].iloc[0] == 1234
    assert [(i.row, i.key) for i in report.errors] == [(3, "no_name"), (5, "not_number"), (4, "poor_exceeds_rural")]
    assert blocked.tolist() == [False, True, True, True]


# ---------------------------------------------------------------------------------------------------- places
def test_check_region_and_repeated_names_skip_blocked_rows():
    report = ImportReport(file="t.csv", mapping={})
    placement = Placement(np.array([102.9, 104.5, 103.2, 104.6]), np.array([32.1, 30.5, 32.3, 30.6]), ("经度", "纬度"),
                          raw=(np.array([102.9, 104.5, 103.2, 104.6]), np.array([32.1, 30.5, 32.3, 30.6])))
    rows, blocked = np.arange(2, 6), np.array([False, False, False, True])
    check_region(report, placement, "wgs84", HEISHUI, rows, blocked)
    names = pd.Series(["甲村", "乙村", "甲村", "乙村"])
    check_repeated_names(report, names, pd.Series(["芦花镇"] * 4), placement, rows, blocked, "村名")
    assert [(i.row, i.key) for i in report.warnings] == [(3, "outside_region"), (4, "name_repeated_apart")]


# ---------------------------------------------------------------------------------------------------- codes, zones
def test_match_codes_fills_exact_matches_and_keeps_suggestions_for_the_user():
    frame = pd.DataFrame({"村名": ["杨柳秋村", "沙板沟"], "乡镇": ["沙石多乡", ""], "村代码": ["", ""]})
    report, rows, blocked = fresh(frame)
    mapping = guess_mapping(frame.columns)
    values = check_rows(frame, mapping, rows, report, blocked)
    codes = match_codes(report, values, mapping, "513228", rows, blocked)
    assert codes.tolist() == ["513228105200", ""] and report.suggested_codes == {3: "513228100201"}
    applied = match_codes(ImportReport(file="t", mapping={}), values, mapping, "513228", rows, blocked,
                          apply_suggested_codes=True)
    assert applied.tolist() == ["513228105200", "513228100201"]


def test_assign_zones_matches_names_and_creates_zones_without_an_outline():
    zones = gpd.GeoDataFrame({"zone_id": ["z1"], "name_zh": ["果蔬沟"], "name_en": ["Fruit valley"], "kind": ["valley"],
                              "half_width_km": [np.nan]},
                             geometry=[shapely.box(102.8, 32.0, 103.0, 32.2)], crs=4326)
    frame = pd.DataFrame({"所属沟域": ["果蔬沟、新沟", "新沟;果蔬沟", ""]})
    report, rows, _ = fresh(frame)
    assigned = assign_zones(report, frame, {"zones_assigned": "所属沟域"}, rows, zones)
    assert assigned == ["果蔬沟、新沟", "新沟、果蔬沟", ""]
    assert report.zones_new == ["新沟"] and [i.key for i in report.warnings] == ["zone_assigned_new"]


def test_build_frame_keeps_unplaced_villages_and_reports_outline_disagreements():
    frame = pd.DataFrame({"村名": ["甲村", "乙村", "丙村"], "经度": ["102.9", "", "103.5"],
                          "纬度": ["32.1", "", "32.5"], "所属沟域": ["果蔬沟", "果蔬沟", "果蔬沟"]})
    zones = gpd.GeoDataFrame({"zone_id": ["z1"], "name_zh": ["果蔬沟"], "name_en": ["Fruit valley"], "kind": ["valley"],
                              "half_width_km": [np.nan]},
                             geometry=[shapely.box(102.8, 32.0, 103.0, 32.2)], crs=4326)
    report, rows, blocked = fresh(frame)
    mapping = guess_mapping(frame.columns)
    report.mapping = mapping
    placement = parse_coordinates(frame, mapping, rows, report, blocked)
    values = check_rows(frame, mapping, rows, report, blocked)
    assigned = assign_zones(report, frame, mapping, rows, zones)
    build_frame(report, values, values.codes, assigned, placement, len(frame), rows, "t.csv", zones)
    villages = report.villages
    assert villages.geometry.isna().tolist() == [False, True, False] and report.unplaced == 1
    assert [(i.row, i.key) for i in report.warnings if i.key == "assigned_outside"] == [(4, "assigned_outside")]


def test_import_villages_reports_a_long_form_register_without_coordinates():
    frame = pd.DataFrame({"村名": ["甲村", "甲村"], "乡镇": ["芦花镇", "芦花镇"], "年份": ["2014", "2018"],
                          "贫困人口": ["100", "10"]})
    report = import_villages(frame, file_name="long.csv")
    assert not report.errors and report.villages["poor_2018"].tolist() == [10] and report.unplaced == 1


# ---------------------------------------------------------------------------------------------------- zones
def test_zone_steps_each_report_their_own_problem():
    report = ImportReport(file="z", mapping={}, row_label="feature")
    assert check_layer(report, gpd.GeoDataFrame(geometry=[], crs=4326), "wgs84") is None
    assert [i.key for i in report.errors] == ["no_features"]
    frame = gpd.GeoDataFrame({"kind": ["沟域", "产业带", ""], "half_width_km": ["", "abc", ""],
                              "zone_id": ["a", "b", "a"]},
                             geometry=[shapely.LineString([(0, 0), (1, 1)]), shapely.LineString([(0, 0), (1, 0)]),
                                       shapely.box(0, 0, 1, 1)], crs=4326)
    mapping = {"kind": "kind", "half_width_km": "half_width_km", "zone_id": "zone_id"}
    report = ImportReport(file="z", mapping=mapping, row_label="feature")
    assert zone_geometry(report, frame, mapping, 0, frame.geometry.iloc[0]) is None  # a line declared 沟域
    assert zone_half_width(report, frame, mapping, 1, "belt", 5.0, []) is None  # "abc"
    used = []
    assert zone_half_width(report, frame, mapping, 2, "belt", 5.0, used) == 5.0 and used == [3]
    seen = {"a"}
    assert zone_record(report, frame, mapping, 2, frame.geometry.iloc[2], "valley", np.nan, "z", "user", seen) is None
    assert [i.key for i in report.errors] == ["kind_mismatch", "half_width_not_number", "duplicate_zone_id"]
