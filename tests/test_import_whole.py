"""Issue 13: a county office's own tables import whole — through the full importer, the CLI and the data page.

The real-world corpus (tests/data/real_world/, EXPECTED.toml) goes through import_village_file: rows accepted,
positions within 1 m of the truth, skipped rows listed as notes. The four files of the issue's table import whole
from the command line (a separate process) and from the data page (AppTest); one dry run of a multi-defect file
lists every defect; unplaced villages count in their zones by assignment (checked by brute force).
"""
import json
import subprocess
import sys
import tomllib

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import ROOT, add_account, app_test, metres_between, sign_in_app

from geo.coverage import gap_list, union_coverage, zone_membership, zone_metrics
from geo.coverage.membership import has_outline, membership_disagreements, with_assigned_zones
from geo.ingest.villages import import_village_file, import_villages, locate_villages
from geo.region_data import load_region_data
from geo.villages import placed, poor_population, poverty_status, split_zone_names
from geo.workspace import Workspace

CORPUS = ROOT / "tests" / "data" / "real_world"
EXPECTED = tomllib.loads((CORPUS / "EXPECTED.toml").read_text(encoding="utf-8"))["files"]
NAMES = sorted(EXPECTED)
HEISHUI = load_region_data("heishui")
# The four files of the issue's table: a government XLSX, a DMS CSV, a GK CSV with the zone prefix, a register
ISSUE_FILES = ["gov_title_unit_header_row3.xlsx", "dms_primes_hemisphere_letter.csv", "gk3_prefix_x_northing.csv",
               "register_illustrative.xlsx"]
SKIP_KEYS = {"row_skipped_title", "row_skipped_unit", "row_skipped_blank", "row_skipped_total", "row_skipped_note",
             "row_skipped_footer", "row_skipped_header_repeat"}


def full_import(name: str, **options):
    expected = EXPECTED[name]
    in_heishui = expected.get("region", "513228" if not name.startswith(("heilongjiang", "xinjiang")) else None)
    if in_heishui:
        options = {"region_boundary": HEISHUI.outline, "region_adcode": "513228", "region_zones": HEISHUI.zones,
                   **options}
    return import_village_file((CORPUS / name).read_bytes(), name, **options)


# ------------------------------------------------------------------------------------------ the full importer
@pytest.mark.parametrize("name", NAMES)
def test_every_corpus_file_imports_whole_through_the_importer(name):
    expected = EXPECTED[name]
    report = full_import(name)
    assert not report.errors, [i.text() for i in report.errors]
    assert report.rows_ok == expected["rows_accepted"] and report.source_rows == expected["data_rows"]
    skipped = [(i.row, i.key) for i in report.notes if i.key in SKIP_KEYS]
    assert skipped == list(zip(expected["skipped_rows"], expected["skipped_reasons"]))
    villages = report.villages
    if expected["coordinates"] == "none":
        assert report.unplaced == len(villages) and not placed(villages).any()
        assert any(i.key == "register_unplaced" for i in report.warnings)
        return
    assert placed(villages).all() and report.unplaced == 0
    distances = metres_between(villages.geometry.x, villages.geometry.y, expected["truth_lon"], expected["truth_lat"])
    assert distances.max() < 1.0, distances
    if expected["coordinates"] == "projected":
        assert report.reading.epsg == expected["epsg"]
        assert any(i.key.startswith("crs_read_as_") for i in report.warnings), "the reading must be reported"
    if expected.get("swapped"):
        assert any(i.key == "columns_swapped_by_hemisphere" for i in report.warnings)


def test_numbers_written_as_text_reach_the_villages():
    report = full_import("gov_title_unit_header_row3.xlsx")
    assert report.villages["rural_population"].tolist() == [1446, 2383, 394, 3071, 2875, 2018]
    assert report.villages["poor_2014"].tolist() == [302, 531, 55, 396, 660, 105]
    two_rows = full_import("gov_two_row_year_header.xlsx").villages
    assert two_rows["poor_2014"].tolist() == [176, 50, 373, 56, 259]
    assert two_rows["poor_2018"].tolist() == [19, 7, 27, 5, 0]


def test_a_chosen_sheet_and_a_chosen_central_meridian_are_used():
    other = full_import("gov_one_sheet_per_year.xlsx", sheet="2018年")
    assert other.rows_ok == EXPECTED["gov_one_sheet_per_year.xlsx"]["other_sheet_rows"] and other.sheet == "2018年"
    auto = full_import("gk3_no_prefix_cm102.csv")
    assert auto.reading.epsg == 4543 and {c.epsg for c in auto.readings} >= {4543}
    moved = full_import("gk3_no_prefix_cm102.csv", crs=4542)  # CM 99°E instead of 102°E: points move west
    assert moved.reading.epsg == 4542 and not moved.errors
    assert (moved.villages.geometry.x < auto.villages.geometry.x - 2).all()
    assert any(i.key == "outside_region" for i in moved.warnings)


def test_registers_match_the_nbs_list_by_code_or_by_township_and_name():
    expected = EXPECTED["register_real_names_codes.csv"]
    report = full_import("register_real_names_codes.csv")
    assert report.villages["code"].tolist() == expected["nbs_codes"]  # the rows without a code got theirs
    assert report.matches == {"exact": 8, "suggested": 0, "unmatched": 0}
    assert not any(i.key == "code_township_mismatch" for i in report.warnings), "沙石多乡 is 沙石多镇 renamed"
    assert sum(i.key == "code_matched" for i in report.warnings) == 2
    near = "乡镇,村名\n沙石多镇,杨柳秋\n沙石多镇,杨柳湫村\n芦花镇,不存在的示意村\n"
    report = import_village_file(near.encode(), "near.csv", region_adcode="513228")
    keys = [i.key for i in report.warnings if i.row]
    assert keys == ["code_matched", "code_near_miss", "code_unmatched"], keys
    assert report.suggested_codes == {3: "513228105200"} and report.matches["suggested"] == 1


def test_a_code_whose_township_differs_and_an_unknown_township_are_reported():
    text = "乡镇,村名,村代码\n芦花镇,杨柳秋村,513228105200\n不存在镇,四美村,513228100200\n"
    report = import_village_file(text.encode(), "t.csv", region_adcode="513228")
    assert [(i.row, i.key) for i in report.warnings if i.row] == [(2, "code_township_mismatch"),
                                                                  (3, "township_unknown"),
                                                                  (3, "code_township_mismatch")]
    first = next(i for i in report.warnings if i.row == 2).text("zh")
    assert "沙石多镇" in first and "芦花镇" in first


# ------------------------------------------------------------------------------------------ one complete report
MULTI_DEFECT = (
    "乡镇,村名,经度,纬度,户籍人口,2014\n"
    "芦花镇,示意村A,102.99,32.07,800,120\n"
    "芦花镇,示意村B,32.10,103.10,600,30\n"       # 3: swapped
    "芦花镇,示意村C,104.50,30.50,500,10\n"       # 4: outside the region
    "芦花镇,示意村A,103.20,32.30,700,20\n"       # 5: a name repeated in one township at another place
    "卡龙镇,示意村D,102.95,32.10,abc,5\n"        # 6: not a number
    "卡龙镇,示意村E,102.96,,300,5\n"             # 7: half a coordinate
    "卡龙镇,,102.97,32.11,300,5\n"               # 8: no name
    "卡龙镇,示意村F,,,300,400\n"                 # 9: unplaced, and poor above rural
)


def test_one_dry_run_lists_every_defect_of_a_file(tmp_path):
    path = tmp_path / "defects.csv"
    path.write_text(MULTI_DEFECT, encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "geo", "import", "villages", str(path), "--region", "黑水县",
                          "--dry-run"], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 1, out.stderr
    report = json.loads(out.stdout)
    errors = {(e["row"], e["key"]) for e in report["errors"]}
    warnings = {(w["row"], w["key"]) for w in report["warnings"]}
    assert errors >= {(3, "row_swapped"), (6, "not_number"), (7, "coordinate_half_missing"), (8, "no_name"),
                      (9, "poor_exceeds_rural")}, errors
    assert warnings >= {(4, "outside_region"), (5, "name_repeated_apart")}, warnings
    assert (None, "rows_unplaced") in warnings
    assert all(e["fix"] for e in report["errors"] + report["warnings"])


def test_rows_with_blocking_errors_are_left_out_of_the_later_checks():
    text = "乡镇,村名,经度,纬度\n芦花镇,示意村A,102.99,32.07\n芦花镇,示意村A,32.07,102.99\n"
    report = import_villages(pd.read_csv(pd.io.common.StringIO(text), dtype=str), file_name="v.csv",
                             region_boundary=HEISHUI.outline)
    assert [(i.row, i.key) for i in report.errors] == [(3, "row_swapped")]
    assert not any(i.key.startswith("name_repeated") for i in report.warnings)  # row 3 is out of that check


# ------------------------------------------------------------------------------------------ unplaced and assigned
def brute_force(zones, villages, year):
    """Return per zone (villages, poor population) by hand: inside the outline (shapely, metric) or assigned."""
    metric = zones.estimate_utm_crs() if has_outline(zones).any() else None
    out = []
    for _, zone in zones.iterrows():
        count, poor = 0, 0
        for _, village in villages.iterrows():
            inside = False
            if zone.geometry is not None and village.geometry is not None and zone["kind"] != "belt":
                shape = gpd.GeoSeries([zone.geometry], crs=4326).to_crs(metric).iloc[0]
                point = gpd.GeoSeries([village.geometry], crs=4326).to_crs(metric).iloc[0]
                inside = shape.intersects(point)
            names = {n.replace(" ", "").lower() for n in split_zone_names(village["zones_assigned"])}
            assigned = {str(zone["name_zh"]).replace(" ", "").lower(), str(zone["zone_id"]).lower()} & names
            if inside or assigned:
                count += 1
                poor += int(village[f"poor_{year}"])
        out.append((count, poor))
    return out


def test_unplaced_villages_count_in_their_assigned_zones_by_brute_force():
    register = full_import("register_illustrative.xlsx").villages
    placed_ones = full_import("gov_merged_township_subtotals.xlsx").villages
    villages = pd.concat([register, placed_ones.assign(village_id=lambda f: "p-" + f["village_id"])],
                         ignore_index=True)
    villages = gpd.GeoDataFrame(villages, geometry="geometry", crs=4326)
    villages.loc[0, "zones_assigned"] = "新的示意沟、冰山观光休闲沟"  # one zone the region does not have
    zones = with_assigned_zones(HEISHUI.zones, villages)
    assert "新的示意沟" in zones["name_zh"].tolist() and zones.geometry.isna().sum() == 1
    for year in (2014, 2018):
        metrics = zone_metrics(zones, villages, year)
        assert list(zip(metrics["villages"], metrics["poor_population"])) == brute_force(zones, villages, year)
        union = union_coverage(zones, villages, year)
        assert union["villages_total"] == len(villages)
        assert union["poor_population_total"] == int(poor_population(villages, year).sum())
    membership = zone_membership(zones, villages)
    assert membership.covered()[:len(register)].all(), "every register village is assigned to a zone"
    grid = zone_membership(zones, villages, engine="grid")  # the fast engine skips unplaced villages the same way
    assert np.array_equal(grid.sorted_pairs(), membership.sorted_pairs())
    disagreements = membership_disagreements(zones, villages)
    assert disagreements and {d["kind"] for d in disagreements} <= {"assigned_outside", "inside_assigned_elsewhere"}


def test_unplaced_poverty_villages_outside_every_zone_are_gaps_without_a_distance():
    villages = full_import("register_illustrative.xlsx").villages
    villages["zones_assigned"] = ""
    gaps = gap_list(HEISHUI.zones, villages, 2016)
    assert len(gaps) == int(poverty_status(villages, 2016).sum()) > 0
    assert gaps["distance_km"].isna().all()


def test_a_workspace_holds_unplaced_villages_and_a_second_file_places_them(tmp_path):
    ws = Workspace(tmp_path / "ws.gpkg")
    report = full_import("register_real_names_codes.csv")
    ws.save_import(report, "villages", "heishui")
    data = load_region_data("heishui", workspace=ws)
    assert len(data.villages) == 8 and len(data.unplaced) == 8
    locations = "村代码,村名,经度,纬度\n513228105200,杨柳秋村,102.90,32.10\n,四美村,102.95,32.05\n,无此村,102.9,32.0\n"
    second = import_village_file(locations.encode(), "locations.csv", region_boundary=data.outline)
    located = locate_villages(data.villages, second)
    assert located["name"].tolist() == ["杨柳秋村", "四美村"]
    assert any(i.key == "locate_unmatched" for i in second.warnings)
    ws.save("villages", "heishui", located, source="locations.csv")
    data = load_region_data("heishui", workspace=ws)
    assert len(data.villages) == 8 and len(data.unplaced) == 6
    assert data.villages.set_index("name").geometry["杨柳秋村"].equals(shapely.Point(102.90, 32.10))
    ws.undo_last()
    assert len(load_region_data("heishui", workspace=ws).unplaced) == 8


# ------------------------------------------------------------------------------------------ the command line
@pytest.mark.parametrize("name", ISSUE_FILES)
def test_the_issue_files_import_whole_from_the_command_line(tmp_path, name):
    workspace = tmp_path / "ws.gpkg"
    out = subprocess.run([sys.executable, "-m", "geo", "import", "villages", str(CORPUS / name), "--region",
                          "黑水县", "--workspace", str(workspace), "--lang", "zh"],
                         capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    report = json.loads(out.stdout)
    assert report["errors"] == [] and report["saved"]["villages"] == EXPECTED[name]["rows_accepted"]
    saved = Workspace(workspace).read("villages", "heishui")
    assert len(saved) == EXPECTED[name]["rows_accepted"]
    if EXPECTED[name]["coordinates"] == "none":
        assert saved.geometry.isna().all() and report["saved"]["unplaced"] == len(saved)
        metrics = subprocess.run([sys.executable, "-m", "geo", "metrics", "heishui", "--year", "2014",
                                  "--workspace", str(workspace)], capture_output=True, text=True, cwd=ROOT,
                                 timeout=300)
        result = json.loads(metrics.stdout)
        assert sum(z["villages"] for z in result["zones"]) >= len(saved)  # counted by assignment, unplaced
        assert result["union"]["villages_covered"] == len(saved)


# ------------------------------------------------------------------------------------------ the data page
@pytest.fixture()
def data_page(tmp_path, monkeypatch):
    import streamlit as st

    monkeypatch.setenv("VALLEY_ATLAS_WORKSPACE", str(tmp_path / "workspace.gpkg"))
    st.cache_resource.clear()
    add_account(tmp_path / "workspace.gpkg", "heishui-editor", ["editor"], ["heishui"])
    app = app_test()
    app.query_params["region"] = "heishui"
    app.run()
    sign_in_app(app, "heishui-editor")
    app.switch_page("views/data.py").run()
    assert not app.exception, app.exception
    yield app
    st.cache_resource.clear()


@pytest.mark.parametrize("name", ISSUE_FILES)
def test_the_issue_files_import_whole_from_the_data_page(data_page, name):
    app = data_page
    app.file_uploader(key="data_upload").upload(name, (CORPUS / name).read_bytes()).run()
    assert not app.exception, app.exception
    assert not list(app.error), [e.value for e in app.error]
    app.button(key="data_confirm").click().run()
    assert not app.exception, app.exception
    saved = Workspace().read("villages", "heishui")
    assert len(saved) == EXPECTED[name]["rows_accepted"]
    if name == "gk3_prefix_x_northing.csv":
        picker = next(s for s in app.selectbox if s.key and s.key.startswith("data_crs_"))
        assert picker.value == "auto" and any("EPSG:4522" in o for o in picker.options)  # the detected zone 34 (CM 102°E) is offered
    if EXPECTED[name]["coordinates"] == "none":
        assert app.selectbox(key="data_place_village") is not None
        assert any("未定位村庄" in s.value for s in app.subheader)


def test_the_data_page_places_an_unplaced_village_and_undoes(data_page):
    app = data_page
    name = "register_illustrative.xlsx"
    app.file_uploader(key="data_upload").upload(name, (CORPUS / name).read_bytes()).run()
    app.button(key="data_confirm").click().run()
    chosen = app.selectbox(key="data_place_village").value
    app.session_state["_place_point"] = (102.95, 32.10)  # what a click on the map leaves (the browser test clicks)
    app.run()
    app.button(key="data_place_confirm").click().run()
    assert not app.exception, app.exception
    saved = Workspace().read("villages", "heishui").set_index("village_id")
    assert saved.geometry[chosen].equals(shapely.Point(102.95, 32.10))
    assert saved.geometry.isna().sum() == len(saved) - 1
    app.button(key="data_undo").click().run()
    assert Workspace().read("villages", "heishui").geometry.isna().all()


def test_a_workbook_with_several_sheets_offers_a_sheet_picker(data_page):
    app = data_page
    name = "gov_one_sheet_per_year.xlsx"
    app.file_uploader(key="data_upload").upload(name, (CORPUS / name).read_bytes()).run()
    picker = next(s for s in app.selectbox if s.key and s.key.startswith("data_sheet_"))
    assert picker.options == ["2014年", "2018年"] and picker.value == "2014年"
    picker.set_value("2018年").run()
    app.button(key="data_confirm").click().run()
    assert len(Workspace().read("villages", "heishui")) == EXPECTED[name]["other_sheet_rows"]


def test_the_report_groups_warnings_by_kind_in_the_ui_language(data_page):
    app = data_page
    app.file_uploader(key="data_upload").upload("defects.csv", MULTI_DEFECT.encode()).run()
    assert app.error, "errors come first"
    labels = [e.label for e in app.expander]
    assert "1 × （104.50000, 30.50000）在地区范围之外" in labels  # one group per kind, with its count
    assert "逐行明细" in labels
    app.sidebar.radio(key="lang").set_value("en").run()
    labels = [e.label for e in app.expander]
    assert "Row by row" in labels and any("outside the region" in label for label in labels)


def test_a_second_file_places_saved_villages_from_the_data_page(data_page):
    app = data_page
    name = "register_real_names_codes.csv"
    app.file_uploader(key="data_upload").upload(name, (CORPUS / name).read_bytes()).run()
    app.button(key="data_confirm").click().run()
    app.radio(key="data_village_mode").set_value("place").run()
    locations = "村代码,村名,经度,纬度\n513228105200,杨柳秋村,102.90,32.10\n513228100200,四美村,102.95,32.05\n"
    app.file_uploader(key="data_upload").set_value(("locations.csv", locations.encode(), "text/csv")).run()
    assert not app.exception, app.exception
    app.button(key="data_confirm").click().run()
    saved = Workspace().read("villages", "heishui")
    assert len(saved) == 8 and saved.geometry.notna().sum() == 2
    assert any("未定位村庄：6 个（共 8 个）" in s.value for s in app.subheader)
