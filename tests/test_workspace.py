"""The workspace on both back ends (GeoPackage file, PostgreSQL + PostGIS): atomic saves, undo, per-object
last-writer-wins, crash safety, rights per region checked on every write, the change log names the user."""
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Point

from geo.access import Actor
from geo.errors import AccessDenied
from geo.workspace import GeoPackageWorkspace, Workspace, WorkspaceError

ROOT = Path(__file__).resolve().parent.parent
BACKENDS = ("gpkg", "postgis")


@pytest.fixture(params=BACKENDS)
def location(request, tmp_path):
    """Where a new, empty workspace lives: a GeoPackage path, or a new PostGIS database's URL."""
    if request.param == "gpkg":
        return str(tmp_path / "ws.gpkg")
    return request.getfixturevalue("postgres").new_database()


def villages(ids, x=103.0):
    return gpd.GeoDataFrame({"village_id": ids, "name": [f"村{i}" for i in ids], "poor_2014": [10] * len(ids)},
                            geometry=[Point(x + 0.01 * k, 32.0) for k in range(len(ids))], crs=4326)


def account(name, roles, regions=()):
    return Actor(name, frozenset(roles), tuple(regions))


def test_the_location_picks_the_back_end(location):
    ws = Workspace(location)
    assert type(ws).__name__ == ("GeoPackageWorkspace" if location.endswith(".gpkg") else "PostgisWorkspace")
    assert ws.revision() == "0" and ws.history() == [] and ws.read("zones") is None


def test_save_read_and_the_change_log(location):
    ws = Workspace(location)
    assert ws.read("villages") is None and ws.history() == []
    v1 = ws.save("villages", "heishui", villages(["a", "b"]), source="a.csv")
    v2 = ws.save("villages", "yaan", villages(["a"]), source="b.csv")
    assert (v1, v2) == (1, 2)
    assert sorted(ws.read("villages", "heishui")["village_id"]) == ["a", "b"]
    assert len(ws.read("villages")) == 3
    assert [h["source"] for h in ws.history()] == ["a.csv", "b.csv"]
    got = ws.read("villages", "heishui")
    assert list(got.columns) == ["village_id", "name", "poor_2014", "region", "geometry"]
    assert got["poor_2014"].tolist() == [10, 10] and got.crs.to_epsg() == 4326


def test_upsert_replace_delete_and_undo(location):
    ws = Workspace(location)
    ws.save("villages", "heishui", villages(["a", "b"]), source="first")
    ws.save("villages", "heishui", villages(["b", "c"], x=104.0), source="second")
    got = ws.read("villages", "heishui").set_index("village_id")
    assert sorted(got.index) == ["a", "b", "c"] and got.loc["b"].geometry.x == pytest.approx(104.0)
    undone = ws.undo_last()
    assert undone["source"] == "second"
    got = ws.read("villages", "heishui").set_index("village_id")
    assert sorted(got.index) == ["a", "b"] and got.loc["b"].geometry.x == pytest.approx(103.01)
    ws.save("villages", "heishui", villages(["z"]), source="replace", replace_region=True)
    assert list(ws.read("villages", "heishui")["village_id"]) == ["z"]
    ws.undo_last()
    assert sorted(ws.read("villages", "heishui")["village_id"]) == ["a", "b"]


def test_every_write_changes_the_revision(location):
    ws = Workspace(location)
    seen = [ws.revision()]
    ws.save("villages", "heishui", villages(["a"]), source="x")
    seen.append(ws.revision())
    ws.undo_last()
    seen.append(ws.revision())
    assert len(set(seen)) == 3


def test_the_file_opens_as_a_geopackage(tmp_path):
    import pyogrio

    ws = Workspace(tmp_path / "ws.gpkg")
    ws.save("villages", "heishui", villages(["a"]), source="x")
    info = pyogrio.read_info(ws.path, layer="villages")
    assert info["crs"] == "EPSG:4326" and info["features"] == 1


def test_never_inside_the_package():
    with pytest.raises(WorkspaceError, match="inside the application folder"):
        Workspace(ROOT / "data" / "workspace.gpkg")


WRITER = """
import sys
import geopandas as gpd
from shapely.geometry import Point
from geo.workspace import Workspace
ws = Workspace(sys.argv[2])
who = sys.argv[1]
for k in range(6):
    frame = gpd.GeoDataFrame({"village_id": [f"{who}-{k}"], "name": ["x"]}, geometry=[Point(103, 32)], crs=4326)
    ws.save("villages", "heishui", frame, source=who)
"""


def test_two_writers_at_once_lose_nothing(location):
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, who, location], cwd=ROOT) for who in ("alpha", "beta")]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    ids = sorted(Workspace(location).read("villages")["village_id"])
    assert ids == sorted([f"{w}-{k}" for w in ("alpha", "beta") for k in range(6)])
    assert [h["version"] for h in Workspace(location).history()] == list(range(1, 13))


def test_a_save_killed_midway_leaves_the_last_committed_state(location):
    ws = Workspace(location)
    ws.save("villages", "heishui", villages(["keep"]), source="committed")
    before = Path(location).read_bytes() if location.endswith(".gpkg") else None
    revision = ws.revision()
    script = textwrap.dedent(f"""
        import time
        import geopandas as gpd
        from shapely.geometry import Point
        from geo import workspace
        ws = workspace.Workspace({location!r})
        def stop_here():
            print("writing", flush=True)
            time.sleep(60)  # killed here: everything is written, nothing is committed
        ws._before_commit = stop_here
        frame = gpd.GeoDataFrame({{"village_id": [f"v{{i}}" for i in range(500)], "name": ["x"] * 500}},
                                 geometry=[Point(103, 32)] * 500, crs=4326)
        ws.save("villages", "heishui", frame, source="killed")
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert proc.stdout.readline().strip() == "writing"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    if before is not None:
        assert Path(location).read_bytes() == before
    assert list(Workspace(location).read("villages")["village_id"]) == ["keep"]
    assert [h["source"] for h in Workspace(location).history()] == ["committed"]
    assert Workspace(location).revision() == revision
    Workspace(location).save("villages", "heishui", villages(["next"]), source="after")  # the lock was released
    assert sorted(Workspace(location).read("villages")["village_id"]) == ["keep", "next"]


def test_deleting_every_object_leaves_a_readable_workspace_and_undo_brings_them_back(location):
    ws = Workspace(location)
    ws.save("villages", "heishui", villages(["a", "b"]), source="a.csv")
    ws.save("villages", "heishui", villages([]), source="delete", delete_ids=["a", "b"])
    assert ws.read("villages") is None and [h["version"] for h in ws.history()] == [1, 2]
    ws.undo_last()
    assert sorted(ws.read("villages", "heishui")["village_id"]) == ["a", "b"]


# --- the user's DEM (issue 16) ----------------------------------------------------------------------------------
def projected_dem(tmp_path, region="513228"):
    """Write the bundled 30″ clip of a seed county reprojected to Gauss-Krüger (EPSG:4543, 500 m): a 'user' DEM."""
    import numpy as np
    import rasterio

    from geo.boundaries import load_boundary
    from geo.terrain.dem import region_dem, reproject_dem

    dem = reproject_dem(region_dem(load_boundary(region)), "EPSG:4543", resolution=500.0)
    path = tmp_path / "my_dem_gk.tif"
    with rasterio.open(path, "w", driver="GTiff", height=dem.shape[0], width=dem.shape[1], count=1,
                       dtype="float32", crs="EPSG:4543", transform=dem.transform, nodata=np.nan) as dst:
        dst.write(dem.array, 1)
    return path


def test_a_dem_is_stored_beside_the_geopackage_changes_the_revision_and_undoes(tmp_path):
    from geo.region_data import data_version

    ws = Workspace(tmp_path / "ws.gpkg")
    before = data_version("heishui", workspace=ws)
    tif = projected_dem(tmp_path)
    version = ws.save_dem("heishui", tif, source=tif.name, crs="EPSG:4543")
    path = ws.dem_path("heishui")
    assert path.parent == tmp_path / "ws.dems" and path.read_bytes() == tif.read_bytes()
    assert ws.dems()["heishui"]["crs"] == "EPSG:4543" and ws.dem_path("yaan") is None
    assert data_version("heishui", workspace=ws) != before, "caches keyed on the data version must refresh"
    assert ws.history()[-1]["layer"] == "dem" and ws.history()[-1]["version"] == version
    ws.save("zones", "qu", _zones_frame(), source="t")  # another write keeps the DEM reference
    assert ws.dem_path("heishui") == path
    ws.undo_last()
    ws.undo_last()
    assert ws.dem_path("heishui") is None


def _zones_frame():
    import geopandas as gpd
    import numpy as np
    import shapely

    return gpd.GeoDataFrame({"zone_id": ["z1"], "name_zh": ["区"], "name_en": ["z"], "kind": ["valley"],
                             "half_width_km": [np.nan], "industries": [[]], "provenance": ["user"], "source": ["t"],
                             "color": [None]}, geometry=[shapely.box(106.8, 30.7, 107.0, 30.9)], crs=4326)


def test_cli_imports_a_projected_dem_and_the_region_uses_it(tmp_path):
    import json
    import subprocess
    import sys

    from geo.boundaries import load_boundary
    from geo.terrain.dem import region_dem

    tif = projected_dem(tmp_path)
    ws_path = tmp_path / "ws.gpkg"
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run([sys.executable, "-m", "geo", "import", "dem", str(tif), "--region", "黑水县",
                          "--workspace", str(ws_path)], cwd=root, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["crs"] == "EPSG:4543" and report["cell_m"] == 500.0 and 1500 < report["min_m"] < 2500
    stored = Workspace(ws_path).dem_path("heishui")
    dem = region_dem(load_boundary("513228"), user_dem=stored)
    assert dem.source == f"user DEM {stored.name}" and dem.crs.to_epsg() == 4543
    # a DEM that misses the region is refused with a reason, nothing saved
    out = subprocess.run([sys.executable, "-m", "geo", "import", "dem", str(tif), "--region", "yaan",
                          "--workspace", str(ws_path)], cwd=root, capture_output=True, text=True, timeout=300)
    assert out.returncode == 2 and "covers" in out.stderr
    assert Workspace(ws_path).dem_path("yaan") is None


# ---------------------------------------------------------------------- rights, checked by the workspace itself
def test_a_viewer_and_an_anonymous_visitor_cannot_write(location):
    ws = Workspace(location)
    ws.save("villages", "heishui", villages(["a"]), source="a.csv")
    for actor in (account("vera", ["viewer"]), Actor.anonymous(), account("ada", ["administrator"])):
        with pytest.raises(AccessDenied, match=f"{actor.name} may not save region heishui"):
            ws.save("villages", "heishui", villages(["b"]), source="b.csv", actor=actor)
        with pytest.raises(AccessDenied, match="may not undo"):
            ws.undo_last(actor=actor)
    assert list(ws.read("villages")["village_id"]) == ["a"] and len(ws.history()) == 1
    refused = ws.access().audit(result="refused")
    assert [(r["user_name"], r["action"]) for r in refused] == [
        ("vera", "save"), ("vera", "undo"), ("anonymous", "save"), ("anonymous", "undo"), ("ada", "save"),
        ("ada", "undo")]


def test_an_editor_of_heishui_cannot_edit_yaan_and_a_province_editor_edits_its_counties(location):
    ws = Workspace(location)
    heishui = account("hei", ["editor"], ["513228"])
    sichuan = account("chuan", ["editor"], ["510000"])
    ws.save("villages", "heishui", villages(["a"]), source="a.csv", actor=heishui)
    with pytest.raises(AccessDenied, match="hei may not save region yaan: the account edits 513228 only"):
        ws.save("villages", "yaan", villages(["y"]), source="y.csv", actor=heishui)
    ws.save("villages", "yaan", villages(["y"]), source="y.csv", actor=sichuan)
    ws.save("villages", "511802", villages(["c"]), source="c.csv", actor=sichuan)  # 雨城区, a county of 雅安
    with pytest.raises(AccessDenied):
        ws.save("villages", "520000", villages(["g"]), source="g.csv", actor=sichuan)  # 贵州 is not Sichuan
    with pytest.raises(AccessDenied, match="hei may not undo region 511802"):
        ws.undo_last(actor=heishui)  # the newest change is 雨城区's
    assert ws.undo_last(actor=heishui, region="heishui")["source"] == "a.csv"  # their own region's newest
    with pytest.raises(AccessDenied, match="hei may not undo region yaan"):
        ws.undo_last(actor=heishui, region="yaan")
    assert [(h["actor"], h["region"]) for h in ws.history()] == [("chuan", "yaan"), ("chuan", "511802")]


def test_an_app_workspace_refuses_a_write_that_names_nobody(location):
    ws = Workspace(location, require_actor=True)
    with pytest.raises(AccessDenied, match="names no user"):
        ws.save("villages", "heishui", villages(["a"]), source="a.csv")
    assert ws.read("villages") is None


def test_writes_are_audited_with_user_region_object_and_result(location):
    ws = Workspace(location)
    editor = account("hei", ["editor"], ["513228"])
    ws.save("villages", "heishui", villages(["a", "b"]), source="a.csv", actor=editor)
    ws.save("villages", "heishui", villages([]), source="page", delete_ids=["a"], actor=editor)
    ws.undo_last(actor=editor)
    records = ws.access().audit()
    assert [(r["user_name"], r["action"], r["region"], r["result"]) for r in records] == [
        ("hei", "save", "heishui", "ok"), ("hei", "delete", "heishui", "ok"), ("hei", "undo", "heishui", "ok")]
    assert records[0]["object"] == "villages <- a.csv [a,b]" and records[0]["time"][:2] == "20"
    assert ws.access().verify_chain() is None


def test_the_audit_log_refuses_update_and_delete_in_the_database(location):
    ws = Workspace(location)
    ws.save("villages", "heishui", villages(["a"]), source="a.csv")
    store = ws.access()
    if store.postgres:
        import psycopg

        for sql in ("UPDATE va_audit SET result = 'changed'", "DELETE FROM va_audit", "TRUNCATE va_audit"):
            with psycopg.connect(store.location) as con, pytest.raises(psycopg.errors.RaiseException,
                                                                        match="append-only"):
                con.execute(sql)
    else:
        with sqlite3.connect(store.location) as con:
            for sql in ("UPDATE va_audit SET result = 'changed'", "DELETE FROM va_audit"):
                with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                    con.execute(sql)
    assert [r["result"] for r in store.audit()] == ["ok"]


def test_the_audit_chain_shows_a_record_changed_behind_the_triggers(tmp_path):
    ws = GeoPackageWorkspace(tmp_path / "ws.gpkg")
    for k in range(3):
        ws.save("villages", "heishui", villages([f"v{k}"]), source=f"{k}.csv")
    with sqlite3.connect(ws.access().location) as con:  # a database owner drops the trigger and edits a record
        con.execute("DROP TRIGGER va_audit_no_update")
        con.execute("UPDATE va_audit SET user_name = 'someone else' WHERE id = 2")
    assert ws.access().verify_chain() == 2


def test_secrets_stay_out_of_the_workspace_and_its_location(location, monkeypatch):
    if not location.endswith(".gpkg"):
        location = location.replace("postgresql://va@", "postgresql://va:hunter2-secret@")
    ws = Workspace(location)
    assert "hunter2" not in ws.location
    ws.save("villages", "heishui", villages(["a"]), source="a.csv")
    assert "hunter2" not in str(ws.history()) and "hunter2" not in str(ws.access().audit())


# ---------------------------------------------------------------------------------------------- indicators
def monitoring(values, year=2024, indicator="monitored_people", month=None):
    import pandas as pd

    return pd.DataFrame({"region": "heishui", "village_id": list(values), "year": year, "month": month,
                         "indicator": indicator, "value": [float(v) for v in values.values()],
                         "provenance": "user", "source": "m.csv"})


def test_indicators_are_saved_merged_carried_over_and_undone(location):
    import pandas as pd

    from geo.indicators import custom_indicator, definitions_frame, load_indicators

    ws = Workspace(location)
    rows, definitions = ws.read_indicators("heishui")
    assert rows.empty and definitions.empty
    ws.save("villages", "heishui", villages(["a", "b"]), source="v.csv")
    revision = ws.revision()
    coops = custom_indicator("合作社数", unit_zh="个", kind="villages")
    defs = definitions_frame(load_indicators().with_custom(coops), "heishui")
    ws.save_indicators("heishui", pd.concat([monitoring({"a": 3, "b": 4}),
                                             monitoring({"a": 1}, year=2023, indicator=coops.id)]),
                       defs, source="m.csv")
    assert ws.revision() != revision
    assert ws.history()[-1]["layer"] == "indicators" and ws.history()[-1]["saved"] == 3
    rows, definitions = ws.read_indicators("heishui")
    assert sorted(zip(rows["village_id"], rows["year"], rows["value"])) == [("a", 2023, 1.0), ("a", 2024, 3.0),
                                                                           ("b", 2024, 4.0)]
    assert definitions["indicator"].tolist() == [coops.id] and definitions["unit_zh"].tolist() == ["个"]
    assert ws.read_indicators("yaan")[0].empty
    # a write of another layer keeps them (the GeoPackage is rebuilt on every write)
    ws.save("zones", "heishui", gpd.GeoDataFrame({"zone_id": ["z"]}, geometry=[Point(103, 32).buffer(0.1)], crs=4326),
            source="z.geojson")
    assert len(ws.read_indicators("heishui")[0]) == 3
    # a later save wins per village, indicator, year and month; the rest stays
    ws.save_indicators("heishui", monitoring({"a": 9}), None, source="fix.csv")
    rows = ws.read_indicators("heishui")[0].set_index(["village_id", "year"])["value"]
    assert rows[("a", 2024)] == 9.0 and rows[("b", 2024)] == 4.0 and rows[("a", 2023)] == 1.0
    ws.undo_last()
    rows = ws.read_indicators("heishui")[0].set_index(["village_id", "year"])["value"]
    assert rows[("a", 2024)] == 3.0
    ws.undo_last()  # the zones
    ws.undo_last()  # the first indicator save
    assert ws.read_indicators("heishui")[0].empty and ws.read_indicators("heishui")[1].empty
    assert len(ws.read("villages", "heishui")) == 2


def test_an_import_saves_villages_and_indicators_in_one_write_and_one_undo(location):
    from types import SimpleNamespace

    ws = Workspace(location)
    ws.save_indicators("heishui", monitoring({"old": 5}, year=2022), None, source="before.csv")
    report = SimpleNamespace(file="file.xlsx", errors=[], villages=villages(["a", "b"]),
                             indicators=monitoring({"a": 3, "b": 4}), indicator_definitions=None)
    ws.save_import(report, "villages", "heishui")
    assert len(ws.history()) == 2 and ws.history()[-1]["layer"] == "villages"
    assert len(ws.read_indicators("heishui")[0]) == 3
    ws.undo_last()
    assert ws.read("villages", "heishui") is None or not len(ws.read("villages", "heishui"))
    assert ws.read_indicators("heishui")[0]["village_id"].tolist() == ["old"]


def test_indicator_saves_are_authorised_and_audited(location):
    ws = Workspace(location)
    viewer = account("wang", ["viewer"])
    with pytest.raises(AccessDenied):
        ws.save_indicators("heishui", monitoring({"a": 1}), None, source="m.csv", actor=viewer)
    assert ws.read_indicators("heishui")[0].empty
    editor = account("li", ["editor"], ["513228"])
    ws.save_indicators("heishui", monitoring({"a": 1}), None, source="m.csv", actor=editor)
    assert ws.history()[-1]["actor"] == "li"
    events = ws.access().audit()
    assert [(e["user_name"], e["result"]) for e in events if "indicators" in e["object"]][-2:] == [
        ("wang", "refused: no right"), ("li", "ok")]


def test_bad_indicator_rows_are_refused_and_nothing_changes(location):
    from geo.errors import SchemaError

    ws = Workspace(location)
    before = ws.revision()
    with pytest.raises(SchemaError):
        ws.save_indicators("heishui", monitoring({"a": -1}), None, source="bad.csv")
    assert ws.revision() == before and ws.read_indicators("heishui")[0].empty
