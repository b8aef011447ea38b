"""The workspace: atomic saves, undo, per-object last-writer-wins, crash safety, never inside the package."""
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Point

from geo.workspace import Workspace, WorkspaceError

ROOT = Path(__file__).resolve().parent.parent


def villages(ids, x=103.0):
    return gpd.GeoDataFrame({"village_id": ids, "name": [f"村{i}" for i in ids], "poor_2014": [10] * len(ids)},
                            geometry=[Point(x + 0.01 * k, 32.0) for k in range(len(ids))], crs=4326)


def test_save_read_and_the_change_log(tmp_path):
    ws = Workspace(tmp_path / "ws.gpkg")
    assert ws.read("villages") is None and ws.history() == []
    v1 = ws.save("villages", "heishui", villages(["a", "b"]), source="a.csv")
    v2 = ws.save("villages", "yaan", villages(["a"]), source="b.csv")
    assert (v1, v2) == (1, 2)
    assert sorted(ws.read("villages", "heishui")["village_id"]) == ["a", "b"]
    assert len(ws.read("villages")) == 3
    assert [h["source"] for h in ws.history()] == ["a.csv", "b.csv"]


def test_upsert_replace_delete_and_undo(tmp_path):
    ws = Workspace(tmp_path / "ws.gpkg")
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


def test_the_file_opens_as_a_geopackage(tmp_path):
    import pyogrio

    ws = Workspace(tmp_path / "ws.gpkg")
    ws.save("villages", "heishui", villages(["a"]), source="x")
    info = pyogrio.read_info(ws.path, layer="villages")
    assert info["crs"] == "EPSG:4326" and info["features"] == 1


def test_never_inside_the_package():
    with pytest.raises(WorkspaceError, match="inside the application folder"):
        Workspace(ROOT / "data" / "workspace.gpkg")


def test_two_writers_at_once_lose_nothing(tmp_path):
    path = tmp_path / "ws.gpkg"
    script = textwrap.dedent(f"""
        import sys; sys.path.insert(0, {str(ROOT)!r})
        import geopandas as gpd
        from shapely.geometry import Point
        from geo.workspace import Workspace
        ws = Workspace({str(path)!r})
        who = sys.argv[1]
        for k in range(6):
            frame = gpd.GeoDataFrame({{"village_id": [f"{{who}}-{{k}}"], "name": ["x"]}},
                                     geometry=[Point(103, 32)], crs=4326)
            ws.save("villages", "heishui", frame, source=who)
    """)
    procs = [subprocess.Popen([sys.executable, "-c", script, who]) for who in ("alpha", "beta")]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    ids = sorted(Workspace(path).read("villages")["village_id"])
    assert ids == sorted([f"{w}-{k}" for w in ("alpha", "beta") for k in range(6)])
    assert len(Workspace(path).history()) == 12


def test_a_save_killed_midway_leaves_the_last_committed_state(tmp_path):
    path = tmp_path / "ws.gpkg"
    ws = Workspace(path)
    ws.save("villages", "heishui", villages(["keep"]), source="committed")
    before = path.read_bytes()
    script = textwrap.dedent(f"""
        import sys, time; sys.path.insert(0, {str(ROOT)!r})
        import geopandas as gpd
        from shapely.geometry import Point
        import pyogrio
        from geo import workspace
        real = pyogrio.write_dataframe
        def slow(*a, **k):
            real(*a, **k)
            print("writing", flush=True)
            time.sleep(30)  # killed here: the new file is half written
        workspace.pyogrio.write_dataframe = slow
        frame = gpd.GeoDataFrame({{"village_id": [f"v{{i}}" for i in range(500)], "name": ["x"] * 500}},
                                 geometry=[Point(103, 32)] * 500, crs=4326)
        workspace.Workspace({str(path)!r}).save("villages", "heishui", frame, source="killed")
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "writing"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert path.read_bytes() == before
    assert list(Workspace(path).read("villages")["village_id"]) == ["keep"]
    assert [h["source"] for h in Workspace(path).history()] == ["committed"]
    Workspace(path).save("villages", "heishui", villages(["next"]), source="after")  # the lock was released


def test_deleting_every_object_leaves_a_readable_workspace_and_undo_brings_them_back(tmp_path):
    ws = Workspace(tmp_path / "ws.gpkg")
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
