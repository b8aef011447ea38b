"""One data version: whatever changes the workspace — this session, another, another process, undo — is what every
page, export and command shows next, with the 示意 label exactly where an illustrative input feeds a result."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from geo.region_data import data_version, load_region_data
from geo.workspace import Workspace

ROOT = Path(__file__).resolve().parent.parent
# Three villages of the user's own inside 黑水县 (invented names; WGS84), poor population in 2014 and 2018.
OWN_VILLAGES = ("村名,经度,纬度,户籍人口,贫困村,2014,2015,2016,2017,2018,2019,2020\n"
                "用户村甲,102.99,32.07,800,是,120,100,80,60,40,0,0\n"
                "用户村乙,103.10,32.10,600,是,90,80,70,50,30,0,0\n"
                "用户村丙,102.80,31.95,500,否,10,8,6,4,3,0,0\n")
OWN_ZONE = {"type": "FeatureCollection", "features": [{
    "type": "Feature", "properties": {"名称": "用户沟", "产业": "中药材", "类型": "沟域"},
    "geometry": {"type": "Polygon", "coordinates": [[[102.95, 32.0], [103.15, 32.0], [103.15, 32.15],
                                                     [102.95, 32.15], [102.95, 32.0]]]}}]}


def run(module, *args, check=True):
    out = subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, capture_output=True, text=True,
                         encoding="utf-8", timeout=300)
    assert not check or out.returncode == 0, out.stderr
    return out


@pytest.fixture()
def own_files(tmp_path):
    villages = tmp_path / "villages.csv"
    villages.write_text(OWN_VILLAGES, encoding="utf-8")
    zones = tmp_path / "zones.geojson"
    zones.write_text(json.dumps(OWN_ZONE, ensure_ascii=False), encoding="utf-8")
    return villages, zones


def test_the_version_changes_with_every_save_and_undo_by_any_process(tmp_path, own_files):
    ws = Workspace(tmp_path / "ws.gpkg")
    seen = [data_version("heishui", workspace=ws)]
    assert data_version("heishui", workspace=ws) == seen[0], "the version must be stable while nothing changes"
    run("geo", "import", "villages", str(own_files[0]), "--region", "heishui", "--workspace", str(ws.path))
    seen.append(data_version("heishui", workspace=ws))  # another process saved
    ws.undo_last()
    seen.append(data_version("heishui", workspace=ws))  # an undo is a change like any other
    run("geo", "import", "villages", str(own_files[0]), "--region", "heishui", "--workspace", str(ws.path))
    seen.append(data_version("heishui", workspace=ws))  # the same file again: same content, a new state
    assert len(set(seen)) == len(seen), seen
    assert data_version("yaan", workspace=ws) != seen[-1], "regions have their own versions"


def test_region_data_carries_its_version_and_computes_membership_once(tmp_path, own_files):
    ws = Workspace(tmp_path / "ws.gpkg")
    data = load_region_data("heishui", workspace=ws)
    assert data.version == data_version("heishui", workspace=ws)
    assert data.membership is data.membership, "membership must be computed once per loaded data"


def test_the_illustrative_flag_follows_the_inputs(tmp_path, own_files):
    ws = Workspace(tmp_path / "ws.gpkg")
    assert load_region_data("heishui", workspace=ws).illustrative  # the bundled illustrative layers
    run("geo", "import", "villages", str(own_files[0]), "--region", "heishui", "--workspace", str(ws.path))
    data = load_region_data("heishui", workspace=ws)
    assert set(data.villages["provenance"]) == {"user"}
    assert data.illustrative, "the user's villages in illustrative zones are still 示意"
    run("geo", "import", "zones", str(own_files[1]), "--region", "heishui", "--workspace", str(ws.path))
    assert not load_region_data("heishui", workspace=ws).illustrative, "nothing illustrative is left"


def test_the_command_lines_see_what_the_app_sees(tmp_path, own_files):
    ws = str(tmp_path / "ws.gpkg")
    before = json.loads(run("geo", "metrics", "heishui", "--year", "2018", "--workspace", ws).stdout)
    assert before["union"]["poor_population_total"] == 971 and before["illustrative"]  # the illustrative seed
    run("geo", "import", "villages", str(own_files[0]), "--region", "heishui", "--workspace", ws)
    after = json.loads(run("geo", "metrics", "heishui", "--year", "2018", "--workspace", ws).stdout)
    assert after["union"]["poor_population_total"] == 40 + 30 + 3
    assert after["union"]["villages_total"] == 3 and after["illustrative"]
    # the same workspace from the environment, as the app finds it
    env_run = subprocess.run([sys.executable, "-m", "geo", "metrics", "heishui", "--year", "2018"], cwd=ROOT,
                             capture_output=True, text=True, encoding="utf-8", timeout=300,
                             env={**__import__("os").environ, "VALLEY_ATLAS_WORKSPACE": ws})
    assert json.loads(env_run.stdout)["union"] == after["union"]
    out = tmp_path / "villages.csv"
    run("briefing", "heishui", "--year", "2018", "--format", "csv", "--out", str(out), "--workspace", ws)
    text = out.read_text(encoding="utf-8-sig")
    assert "用户村甲" in text and "示意村" not in text


def test_the_coverage_page_shows_an_import_made_by_another_process_without_a_restart(tmp_path, own_files,
                                                                                    monkeypatch):
    import streamlit as st
    from conftest import app_test

    ws = tmp_path / "ws.gpkg"
    monkeypatch.setenv("VALLEY_ATLAS_WORKSPACE", str(ws))
    app = app_test()
    app.query_params.update({"region": "heishui", "year": "2018"})
    app.run()
    app.switch_page("views/coverage.py").run()
    assert not app.exception, app.exception
    assert [m.value for m in app.metric][:2] == ["4", "971"]
    run("geo", "import", "villages", str(own_files[0]), "--region", "heishui", "--workspace", str(ws))
    app.run()  # the next rerun, same session, same server process: no cache cleared by hand
    assert [m.value for m in app.metric][:2] == ["2", "73"]
    assert any("示意" in w.value for w in app.warning), "illustrative zones: the 示意 label stays"
    run("geo", "import", "zones", str(own_files[1]), "--region", "heishui", "--workspace", str(ws))
    app.run()
    assert not any("示意" in w.value for w in app.warning), "nothing illustrative left: no 示意 label"
    Workspace(ws).undo_last()  # undo from outside: the zones are the illustrative ones again
    app.run()
    assert any("示意" in w.value for w in app.warning)
    # a new session (another browser) sees the same
    fresh = app_test()
    fresh.query_params.update({"region": "heishui", "year": "2018"})
    fresh.run()
    fresh.switch_page("views/coverage.py").run()
    assert [m.value for m in fresh.metric][:2] == ["2", "73"]
    st.cache_resource.clear()
