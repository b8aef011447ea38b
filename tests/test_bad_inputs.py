"""The bad-input corpus (tests/data/bad_inputs/): every broken file gives its specific error or warning, at its row,
with a fix; hostile archives are refused before extraction and leave no temporary files; a failed import never
changes the workspace."""
import hashlib
import io
import json
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.boundaries import load_boundary
from geo.ingest.files import FileProblem, check_size, extracted_zip
from geo.ingest.villages import import_village_file
from geo.ingest.zones import import_zone_file, zones_from_drawings
from geo.workspace import Workspace, WorkspaceError

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "data" / "bad_inputs"
CASES = tomllib.loads((CORPUS / "EXPECTED.toml").read_text(encoding="utf-8"))["case"]
HEISHUI = load_boundary("513228")
FAILING = [c for c in CASES if c["severity"] == "error"]


def run_import(case: dict, data: bytes | None = None):
    data = (CORPUS / case["file"]).read_bytes() if data is None else data
    if case["kind"] == "zones":
        return import_zone_file(data, case["file"], region_boundary=HEISHUI)
    return import_village_file(data, case["file"], region_boundary=HEISHUI, region_adcode="513228")


def test_the_corpus_is_complete():
    files = {p.name for p in CORPUS.iterdir() if p.name != "EXPECTED.toml"}
    listed = [c["file"] for c in CASES]
    assert len(listed) == len(set(listed)) and set(listed) == files
    assert len(files) >= 30
    assert {c["category"] for c in CASES} >= {"encoding and format", "coordinates and datums", "codes",
                                              "hostile archives", "zones", "vector files", "columns and values"}


@pytest.mark.parametrize("case", CASES, ids=[c["file"] for c in CASES])
def test_each_bad_file_gives_its_problem(case):
    report = run_import(case)
    imported = report.villages if case["kind"] == "villages" else report.zones
    if case["severity"] == "accepted":
        assert not report.errors, [i.message for i in report.errors]
        columns = ["name", "code"] if case["kind"] == "villages" else ["name_zh", "industries"]
        text = " | ".join(" ".join("、".join(v) if isinstance(v, list) else str(v) for v in row)
                          for row in imported[columns].itertuples(index=False))
        assert case["expect"] in text, text
        return
    issues = report.errors if case["severity"] == "error" else report.warnings
    hits = [i for i in issues if case["expect"] in i.message]
    assert hits, f"{case['file']}: {[i.message for i in report.issues]}"
    if "row" in case:
        assert case["row"] in {i.row for i in hits}, [(i.row, i.message) for i in hits]
    if case["severity"] == "error":
        assert imported is None, "an import with errors must not produce data"
        assert all(i.fix for i in report.errors), "every error says how to fix it"
    json.dumps(report.as_dict(), ensure_ascii=False)  # the CLI's report is always serialisable


def test_hostile_archives_are_refused_before_anything_is_written(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    for case in CASES:
        if case["category"] == "hostile archives":
            report = run_import(case)
            assert report.errors
    assert not (tmp_path.parent / "evil.shp").exists()
    assert list(tmp_path.iterdir()) == [], "temporary folders must always be removed"


def test_a_zip_that_lies_about_its_size_is_stopped_while_extracting(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("layer.geojson", b"x" * 4096)
    data = bytearray(buffer.getvalue())
    # shrink the declared size in the central directory (and local header): the stream is longer than declared
    central = data.rfind(b"PK\x01\x02")
    data[central + 24:central + 28] = (16).to_bytes(4, "little")
    with pytest.raises((FileProblem, zipfile.BadZipFile)), extracted_zip(bytes(data), "liar.zip"):
        pass
    assert list(tmp_path.iterdir()) == []


def test_the_upload_limit_is_configurable(monkeypatch):
    monkeypatch.setenv("VALLEY_ATLAS_MAX_UPLOAD_MB", "0.001")
    with pytest.raises(FileProblem, match="more than the limit of 0 MB.*VALLEY_ATLAS_MAX_UPLOAD_MB"):
        check_size(b"x" * 2000, "big.csv")
    report = import_village_file(b"x" * 2000, "big.csv")
    assert report.errors and "limit" in report.errors[0].message
    monkeypatch.setenv("VALLEY_ATLAS_MAX_UPLOAD_MB", "200")
    check_size(b"x" * 2000, "big.csv")


def test_unexpected_failures_are_reported_not_raised(monkeypatch):
    import geo.ingest.villages

    def explode(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(geo.ingest.villages, "import_villages", explode)
    report = import_village_file("村名,经度,纬度\nA,102.99,32.07\n".encode(), "v.csv")
    assert report.errors and "disk on fire" in report.errors[0].message


def workspace_state(path: Path) -> tuple:
    if not path.exists():
        return (None,)
    ws = Workspace(path)
    frames = tuple(None if (f := ws.read(layer)) is None else f.to_json(sort_keys=True) for layer in ("villages", "zones"))
    return (hashlib.sha256(path.read_bytes()).hexdigest(), frames, json.dumps(ws.history()))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=st.sampled_from(FAILING), prior=st.lists(st.tuples(st.floats(102.9, 103.1), st.floats(32.0, 32.2)),
                                                     min_size=0, max_size=5))
def test_a_failed_import_leaves_the_workspace_as_it_was(tmp_path_factory, case, prior):
    path = tmp_path_factory.mktemp("ws") / "workspace.gpkg"
    ws = Workspace(path)
    if prior:
        text = "村名,经度,纬度,户籍人口,2014\n" + "".join(f"V{i},{x:.5f},{y:.5f},100,10\n" for i, (x, y) in enumerate(prior))
        ws.save_import(import_village_file(text.encode(), "prior.csv", region_boundary=HEISHUI), "villages", "heishui")
    before = workspace_state(path)
    report = run_import(case)
    with pytest.raises(WorkspaceError, match="nothing was saved"):
        ws.save_import(report, case["kind"], "heishui")
    assert workspace_state(path) == before


def test_drawn_shapes_become_zones_through_the_same_checks():
    valley = shapely.geometry.mapping(shapely.box(102.95, 32.0, 103.05, 32.1))
    belt = shapely.geometry.mapping(shapely.LineString([(102.9, 32.0), (103.1, 32.2)]))
    report = zones_from_drawings(
        [{"type": "Feature", "geometry": valley}, {"type": "Feature", "geometry": belt}],
        [{"zone_id": "d1", "name_zh": "新沟", "industries": "中药材、旅游"},
         {"zone_id": "d2", "name_zh": "新带", "industries": "茶叶", "half_width_km": 3}], region_boundary=HEISHUI)
    assert not report.errors
    z = report.zones
    assert z["kind"].tolist() == ["valley", "belt"] and z["half_width_km"].iloc[1] == 3
    assert z["industries"].tolist() == [["中药材", "旅游"], ["茶叶"]] and set(z["provenance"]) == {"user"}
    # drawn on a Gaode (GCJ-02) basemap: shifted back to WGS84 by the datum shift (~300 m here)
    shifted = zones_from_drawings([{"geometry": valley}], [{"name_zh": "沟"}], datum="gcj02")
    dx = shifted.zones.geometry.iloc[0].centroid.x - shapely.box(102.95, 32.0, 103.05, 32.1).centroid.x
    assert 0.001 < abs(dx) < 0.01
    assert zones_from_drawings([], []).errors


def test_cli_imports_zones_and_saves_to_a_workspace(tmp_path):
    zones = gpd.GeoDataFrame({"名称": ["芦花沟"], "产业": ["中药材"]}, geometry=[shapely.box(102.95, 32.0, 103.05, 32.1)],
                             crs=4326).to_crs(4543)
    path = tmp_path / "zones.gpkg"
    zones.to_file(path, driver="GPKG")
    workspace = tmp_path / "ws.gpkg"
    out = subprocess.run([sys.executable, "-m", "geo", "import", "zones", str(path), "--region", "heishui",
                          "--workspace", str(workspace)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["rows_ok"] == 1 and result["saved"]["layer"] == "zones"
    saved = Workspace(workspace).read("zones", "heishui")
    assert saved["name_zh"].tolist() == ["芦花沟"]
    assert abs(saved.geometry.iloc[0].bounds[0] - 102.95) < 1e-6  # reprojected from CGCS2000 GK back to degrees
    bad = CORPUS / "zones_points.geojson"
    out = subprocess.run([sys.executable, "-m", "geo", "import", "zones", str(bad), "--region", "heishui",
                          "--workspace", str(workspace)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 1 and "saved" not in json.loads(out.stdout)
    assert Workspace(workspace).read("zones", "heishui")["name_zh"].tolist() == ["芦花沟"]


@pytest.mark.parametrize("case", CASES, ids=[c["file"] for c in CASES])
def test_every_report_reads_in_chinese(case):
    report = run_import(case)
    for issue in report.issues:
        zh, en = issue.text("zh"), issue.text("en")
        assert zh and zh != en, issue.key
        assert any("\u4e00" <= ch <= "\u9fff" for ch in zh + issue.fix_text("zh")) or not issue.fix_text("en"), zh
    assert json.loads(json.dumps(report.as_dict("zh"), ensure_ascii=False))["errors"] == \
        [i.as_dict("zh") for i in report.errors]
