"""Importing village indicators: with the villages (wide monitoring columns, planning classes, custom columns with
a unit) and alone (the 示意 example keyed by village id), through the command line into a workspace whose
`geo metrics` totals equal a brute-force sum."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geo.ingest.indicators import import_indicator_file, parse_units
from geo.ingest.villages import import_village_file

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "data" / "examples" / "heishui_monitoring_2021-2025_yearly_示意.csv"
WIDE = ("村名,经度,纬度,2014,2018,村庄分类,监测户数2021,监测户数2024,监测对象人数（2024年6月）,合作社数2024\n"
        "甲村,102.99,32.06,10,0,集聚提升类,3,2,5,1\n乙村,103.0,32.07,20,5,特色保护类,1,0,0,2\n").encode()


def test_a_village_file_brings_its_monitoring_columns_planning_classes_and_custom_columns():
    report = import_village_file(WIDE, "wide.csv", units={"合作社数2024": "个"}, region="heishui")
    assert not report.errors
    assert report.villages["planning_class"].tolist() == ["agglomeration", "heritage"]
    rows = report.indicators.set_index(["village_id", "indicator", "year"])
    assert rows.loc[("row-2", "monitored_households", 2021), "value"] == 3
    assert rows.loc[("row-2", "monitored_people", 2024), "month"] == 6
    custom = report.indicator_definitions["indicator"].tolist()
    assert custom == ["custom:合作社数"] and rows.xs(custom[0], level="indicator")["value"].tolist() == [1.0, 2.0]
    without = import_village_file(WIDE, "wide.csv")
    assert without.needs_unit == ["合作社数2024"] and any(i.key == "indicator_needs_unit" for i in without.warnings)


def test_units_on_the_command_line_are_column_equals_unit():
    assert parse_units(["合作社数=个", "产值 = 万元"]) == {"合作社数": "个", "产值": "万元"}
    with pytest.raises(ValueError, match="COLUMN=UNIT"):
        parse_units(["合作社数"])


def test_figures_only_match_the_region_villages_and_report_the_rest():
    from geo.region_data import load_region_data

    villages = load_region_data("heishui").villages
    text = "村名,监测对象户数2024\n示意村001,4\n不存在村,1\n".encode()
    report = import_indicator_file(text, "figures.csv", region="heishui", villages=villages)
    assert not report.errors
    assert report.indicators["village_id"].tolist() == ["heishui-00001"]
    assert [i.key for i in report.warnings] == ["indicator_unmatched"]


def test_a_figures_file_with_id_numbers_is_refused_and_keeps_nothing(tmp_path):
    from geo.region_data import load_region_data

    villages = load_region_data("heishui").villages
    text = "村名,户主姓名,身份证号,监测对象户数2024\n示意村001,张三,51322819800101001X,1\n".encode()
    report = import_indicator_file(text, "register.csv", region="heishui", villages=villages)
    assert report.errors and report.indicators is None
    assert "51322819800101001X" not in json.dumps(report.as_dict("zh"), ensure_ascii=False)


def run_geo(*args, workspace):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "geo", *args, "--workspace", str(workspace)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def test_cli_imports_the_example_and_metrics_equal_a_brute_force_sum(tmp_path):
    workspace = tmp_path / "ws.gpkg"
    done = run_geo("import", "villages", str(EXAMPLE), "--region", "heishui", "--indicators-only",
                   workspace=workspace)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["saved"]["indicator_values"] == 7000
    done = run_geo("metrics", "heishui", "--year", "2024", workspace=workspace)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["illustrative"] is True
    # brute force: the file itself, December 2024 rows, summed per zone by point-in-polygon
    from shapely import contains_xy

    from geo.region_data import load_region_data

    data = load_region_data("heishui")
    table = pd.read_csv(EXAMPLE, skiprows=1, dtype={"村编号": str})
    table = table[table["统计时点"] == "2024年12月"].set_index("村编号")
    headers = {"monitored_people": "监测对象人数", "monitored_households": "监测对象户数",
               "risk_remaining_people": "风险未消除人数", "unstable_households": "脱贫不稳定户户数"}
    by_id = {e["indicator"]: e for e in report["indicators"]}
    assert set(headers) <= set(by_id)
    villages = data.villages.set_index("village_id")
    for indicator, header in headers.items():
        entry = by_id[indicator]
        values = table[header].reindex(villages.index)
        assert entry["region_value"] == pytest.approx(values.sum())
        for zone in entry["zones"]:
            shape = data.zones.set_index("zone_id").loc[zone["zone_id"], "geometry"]
            inside = contains_xy(shape, villages.geometry.x.to_numpy(), villages.geometry.y.to_numpy())
            assigned = villages["zones_assigned"].fillna("").str.split("、").map(
                lambda names, z=zone: z["name"] in names).to_numpy()
            expected = values.to_numpy()[inside | assigned].sum()
            assert zone["value"] == pytest.approx(expected), (indicator, zone["zone_id"])
    assert np.isfinite(by_id["income_per_capita"]["region_value"])


def test_the_atlas_card_and_workbook_of_an_indicator_after_2020_from_the_command_line(tmp_path):
    """The briefing command line exports any indicator of the workspace: an atlas of monitored people in 2024 has a
    cover naming the indicator and one page per zone; the CSV holds each village's 2024 value (small numbers hidden)."""
    import os
    import subprocess
    import sys

    from pypdf import PdfReader

    from geo.region_data import load_region_data

    workspace = tmp_path / "ws.gpkg"
    assert run_geo("import", "villages", str(EXAMPLE), "--region", "heishui", "--indicators-only",
                   workspace=workspace).returncode == 0
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    atlas = tmp_path / "atlas.pdf"
    done = subprocess.run([sys.executable, "-m", "briefing", "heishui", "--year", "2024", "--format", "atlas",
                           "--indicator", "monitored_people", "--workspace", str(workspace), "--out", str(atlas)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode == 0, done.stderr
    pages = PdfReader(atlas).pages
    zones = load_region_data("heishui").zones
    assert len(pages) == 1 + len(zones)
    cover = pages[0].extract_text()
    assert "监测对象人数" in cover and "2024" in cover and zones["name_zh"].iloc[0] in cover
    csv = tmp_path / "v.csv"
    done = subprocess.run([sys.executable, "-m", "briefing", "heishui", "--year", "2024", "--format", "csv",
                           "--indicator", "monitored_people", "--workspace", str(workspace), "--out", str(csv)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode == 0, done.stderr
    text = csv.read_text(encoding="utf-8-sig")
    assert "监测对象人数" in text and "2024" in text.splitlines()[0]
