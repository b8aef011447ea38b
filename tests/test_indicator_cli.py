"""The 黑水 monitoring example (2021–2025, 示意) through the long table into a workspace, and
`python -m geo metrics heishui --year 2024 --workspace WS`: every indicator of the file, per zone and for the region,
equal to a brute-force sum; today's 2014–2020 output unchanged."""
import csv
import io
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import shapely

from geo.__main__ import main
from geo.indicators import (
    definitions_frame,
    load_indicators,
    read_indicator_table,
    table_to_long,
    write_indicator_tables,
    years_of,
)
from geo.ingest.tables import read_table_file

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "data" / "examples" / "heishui_monitoring_2021-2025_yearly_示意.csv"
GK_102E = 4543  # CGCS2000 3-degree Gauss-Kruger, CM 102°E: covers 黑水


def run(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def example_long(path: Path = EXAMPLE):
    read = read_table_file(path.read_bytes(), path.name)
    return table_to_long(read.frame, region="heishui", id_column="村编号", exclude=("村名",),
                         provenance="illustrative", source=path.name)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    imported = example_long()
    assert imported.needs_unit == [] and imported.bad_period_rows == []
    path = tmp_path_factory.mktemp("ws") / "workspace.gpkg"
    with sqlite3.connect(path) as con:
        write_indicator_tables(con, imported.table, definitions_frame(imported.registry, "heishui"))
    return path


def test_the_example_is_labelled_illustrative_and_names_no_real_village():
    text = EXAMPLE.read_text(encoding="utf-8-sig")
    title, header = text.splitlines()[:2]
    assert "示意" in title and "示意" in EXAMPLE.name
    rows = list(csv.DictReader(io.StringIO("\n".join(text.splitlines()[1:]))))
    assert all(r["村名"].startswith("示意村") for r in rows)
    assert all(r["村编号"].startswith("heishui-") for r in rows)
    assert {r["统计时点"] for r in rows} == {"2021年12月", "2022年12月", "2023年12月", "2024年12月", "2025年6月"}
    for r in rows:  # consistent: kinds add up, risk eliminated + not = monitored, people >= households
        n = {k: int(v) for k, v in r.items() if k not in ("村编号", "村名", "统计时点")}
        assert n["脱贫不稳定户户数"] + n["边缘易致贫户户数"] + n["突发严重困难户户数"] == n["监测对象户数"]
        assert n["脱贫不稳定户人数"] + n["边缘易致贫户人数"] + n["突发严重困难户人数"] == n["监测对象人数"]
        assert n["风险已消除户数"] + n["风险未消除户数"] == n["监测对象户数"]
        assert n["风险已消除人数"] + n["风险未消除人数"] == n["监测对象人数"]
        assert n["监测对象人数"] >= n["监测对象户数"]


def test_the_example_generator_is_deterministic(tmp_path):
    for frequency in ("yearly", "monthly"):
        subprocess.run([sys.executable, "scripts/build_monitoring_example.py", "--frequency", frequency, "--out",
                        str(tmp_path)], cwd=ROOT, check=True, capture_output=True, timeout=300)
    assert (tmp_path / EXAMPLE.name).read_bytes() == EXAMPLE.read_bytes()
    monthly = example_long(tmp_path / "heishui_monitoring_2021-2025_monthly_示意.csv").table
    yearly = example_long().table
    assert years_of(monthly) == years_of(yearly) == [2021, 2022, 2023, 2024, 2025]
    assert sorted(monthly[monthly["year"] == 2025]["month"].unique()) == [1, 2, 3, 4, 5, 6]


def test_the_workspace_tables_read_back(workspace):
    class Stub:
        path = workspace

    table, registry = read_indicator_table(Stub(), "heishui")
    assert years_of(table) == [2021, 2022, 2023, 2024, 2025]
    assert len(table) == len(example_long().table)
    assert (table["provenance"] == "illustrative").all() and "income_per_capita" in registry
    with sqlite3.connect(workspace) as con:
        columns = [row[1] for row in con.execute("PRAGMA table_info(village_indicators)")]
    assert columns == ["region", "village_id", "year", "month", "indicator", "value", "provenance", "source"]


def brute_force(zones, villages, values: dict[str, float], weights: dict[str, float] | None = None):
    """Return per zone the sum (or weighted mean) of village values by point-in-polygon, one pair at a time."""
    polygons = zones.geometry.to_crs(GK_102E).values
    points = villages.geometry.to_crs(GK_102E).values
    ids = villages["village_id"].to_numpy()
    out = []
    for polygon in polygons:
        inside = [ids[i] for i in range(len(ids)) if shapely.covers(polygon, points[i]) and ids[i] in values]
        if weights is None:
            out.append(sum(values[v] for v in inside))
        else:
            out.append(sum(values[v] * weights[v] for v in inside) / sum(weights[v] for v in inside))
    return out


def test_metrics_2024_prints_every_indicator_of_the_file_equal_to_brute_force(workspace, capsys):
    from geo.region_data import load_region_data

    code, out, err = run(capsys, "metrics", "heishui", "--year", "2024", "--workspace", str(workspace))
    assert code == 0, err
    report = json.loads(out)
    assert report["year"] == 2024 and report["illustrative"] is True
    frame = pd.read_csv(EXAMPLE, skiprows=1, dtype={"村编号": str}, encoding="utf-8-sig")
    rows = frame[frame["统计时点"] == "2024年12月"]
    registry = load_indicators()
    headers = {registry.match_header(h).indicator: h for h in frame.columns if registry.match_header(h)}
    entries = {e["indicator"]: e for e in report["indicators"]}
    assert set(entries) == set(headers)  # every indicator of the file, nothing else
    data = load_region_data("heishui")
    for indicator, header in headers.items():
        entry = entries[indicator]
        values = dict(zip(rows["村编号"], rows[header].astype(float)))
        seed_years = list(range(2014, 2021)) if indicator == "rural_population" else []  # the seed villages' too
        assert entry["month"] == 12 and entry["has_data"] and entry["years"] == [*seed_years, 2021, 2022, 2023, 2024, 2025]
        got = [z["value"] for z in entry["zones"]]
        if registry.get(indicator).aggregation == "sum":
            assert got == brute_force(data.zones, data.villages, values), indicator
            assert entry["region_value"] == sum(values.values())
            assert entry["union"]["value_covered"] == sum(got)  # 黑水's six valleys partition the county
        else:
            weights = dict(zip(rows["村编号"], rows["户籍人口"].astype(float)))
            assert got == pytest.approx(brute_force(data.zones, data.villages, values, weights)), indicator
    people = entries["monitored_people"]
    assert people["name"] == "监测对象人数" and people["unit"] == "人"
    assert people["previous_year"] == 2023


def test_metrics_for_a_year_in_progress_uses_its_latest_month(workspace, capsys):
    code, out, err = run(capsys, "metrics", "heishui", "--year", "2025", "--workspace", str(workspace),
                         "--indicator", "risk_remaining_people", "--format", "csv", "--lang", "en")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {r["month"] for r in rows} == {"6"} and len(rows) == 7  # six valleys and the region
    frame = pd.read_csv(EXAMPLE, skiprows=1, encoding="utf-8-sig")
    assert float(rows[-1]["value"]) == frame.loc[frame["统计时点"] == "2025年6月", "风险未消除人数"].sum()


def test_todays_output_is_unchanged_when_no_indicator_is_asked(workspace, capsys, tmp_path):
    code, with_indicators, _ = run(capsys, "metrics", "heishui", "--year", "2018", "--workspace", str(workspace))
    code_empty, without, _ = run(capsys, "metrics", "heishui", "--year", "2018", "--workspace",
                                 str(tmp_path / "empty.gpkg"))
    assert code == code_empty == 0
    assert with_indicators == without
    assert "indicators" not in json.loads(with_indicators)


def test_the_seed_years_are_indicators_too(capsys, tmp_path):
    from geo.coverage import zone_metrics
    from geo.region_data import load_region_data

    code, out, err = run(capsys, "metrics", "heishui", "--year", "2018", "--indicator", "poor_population",
                         "--indicator", "poverty_village", "--workspace", str(tmp_path / "none.gpkg"))
    assert code == 0, err
    entries = {e["indicator"]: e for e in json.loads(out)["indicators"]}
    data = load_region_data("heishui")
    today = zone_metrics(data.zones, data.villages, 2018, membership=data.membership)
    assert [z["value"] for z in entries["poor_population"]["zones"]] == list(today["poor_population"])
    assert [z["value"] for z in entries["poverty_village"]["zones"]] == list(today["poverty_villages"])
    assert entries["poor_population"]["region_value"] == 971  # the published end-2018 figure


def test_a_year_or_indicator_without_data_is_an_error_naming_what_there_is(capsys, tmp_path):
    code, _, err = run(capsys, "metrics", "heishui", "--year", "2024", "--workspace", str(tmp_path / "none.gpkg"))
    assert code == 2 and "no indicator values for 2024 (years with values: 2014-2020)" in err
    code, _, err = run(capsys, "metrics", "heishui", "--year", "2024", "--indicator", "monitored_persons",
                       "--workspace", str(tmp_path / "none.gpkg"))
    assert code == 2 and "unknown indicator 'monitored_persons'" in err
    code, _, err = run(capsys, "metrics", "heishui", "--year", "2013", "--indicator", "poor_population")
    assert code == 2 and "outside 2014-" in err


def test_an_indicator_in_a_year_without_values_says_so(workspace, capsys):
    code, out, err = run(capsys, "metrics", "heishui", "--year", "2019", "--indicator", "monitored_people",
                         "--workspace", str(workspace))
    assert code == 0, err
    entry = json.loads(out)["indicators"][0]
    assert entry["has_data"] is False and entry["region_value"] is None
    assert all(z["value"] is None for z in entry["zones"])  # unknown, not 0
