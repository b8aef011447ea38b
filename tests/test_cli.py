"""`python -m geo`: regions, boundaries, figures; errors on stderr with a non-zero exit."""
import csv
import io
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def geo(*args):
    return subprocess.run([sys.executable, "-m", "geo", *args], cwd=ROOT, capture_output=True, text=True,
                          encoding="utf-8", timeout=120)


def test_regions_lists_ids_and_names():
    out = geo("regions")
    assert out.returncode == 0
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert [r["id"] for r in rows] == ["heishui", "yaan", "qu", "suining", "guizhou"]
    assert rows[0]["name_zh"] == "黑水县"


def test_boundaries_prints_wgs84_geojson():
    out = geo("boundaries", "黑水县")
    assert out.returncode == 0
    data = json.loads(out.stdout)
    feature = data["features"][0]
    assert feature["properties"]["adcode"] == "513228"
    lon, lat = feature["geometry"]["coordinates"][0][0][0]
    assert 102 < lon < 104 and 31 < lat < 33


def test_boundaries_csv_has_wkt():
    out = geo("boundaries", "513228", "--format", "csv")
    assert out.returncode == 0 and "MULTIPOLYGON" in out.stdout and out.stdout.startswith("adcode,")


def test_figures_json_and_csv():
    out = geo("figures", "yaan")
    rows = json.loads(out.stdout)
    belt = next(r for r in rows if r["figure"] == "belt_poverty_villages")
    assert belt["value"] == 151 and belt["source"] == "001_19a1db734a75c876.txt"
    garbled = next(r for r in rows if r["figure"] == "belt_base_area")
    assert garbled["value"] is None and garbled["garbled"] is True
    out = geo("figures", "qu", "--format", "csv")
    assert "143802" in out.stdout


def test_errors_go_to_stderr_with_nonzero_exit():
    out = geo("figures", "atlantis")
    assert out.returncode != 0 and out.stdout == "" and "unknown region id 'atlantis'" in out.stderr
    out = geo("boundaries", "鼓楼区")
    assert out.returncode != 0 and "ambiguous" in out.stderr and "350102" in out.stderr
