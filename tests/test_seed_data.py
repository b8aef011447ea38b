"""The illustrative seed data: reproduces the published figures, stays honest, regenerates identically."""
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely

from geo.crs import area_km2, metric_crs
from geo.region_data import load_region_data
from geo.regions import DATA_DIR, load_registry, seed_region

REGION_IDS = [r.id for r in load_registry().regions]  # the seed regions, from the registry

ROOT = Path(__file__).resolve().parent.parent
REAL_NAMES = set(pd.read_csv(DATA_DIR / "reference" / "seed_villages_nbs2023.csv", dtype=str)["name"])
# the years each region's figures are compared in (the figure's own year, or its computed_year)
YEARS = {r: sorted({f.computed_year or f.year for f in seed_region(r).figures if f.computed}) for r in REGION_IDS}


@pytest.fixture(scope="module")
def data():
    return {r: load_region_data(r) for r in REGION_IDS}


def metrics_cli(region, year):
    out = subprocess.run([sys.executable, "-m", "geo", "metrics", region, "--year", str(year)], cwd=ROOT,
                         capture_output=True, text=True, encoding="utf-8", timeout=300)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@pytest.mark.parametrize("region", REGION_IDS)
def test_cli_metrics_reproduce_every_computable_published_figure(region):
    computable = [f for f in seed_region(region).figures if f.computed]
    assert computable, f"{region} has no figure the atlas can reproduce"
    for year in YEARS[region]:
        report = metrics_cli(region, year)
        assert report["illustrative"] is True
        rows = {r["figure"]: r for r in report["published"]}
        for fig in computable:
            if (fig.computed_year or fig.year) != year:
                continue
            row = rows[fig.id]
            assert row["match"] is True, f"{region} {fig.id}: published {row['published']}, computed {row['computed']}"


@pytest.mark.parametrize("region, figure, expected", [
    ("heishui", "poverty_villages_start", 64), ("heishui", "poor_population_2018", 971),
    ("heishui", "paired_villages", 40), ("yaan", "belt_poverty_villages", 151), ("qu", "lifted_out_total", 142_105),
    ("qu", "poor_households_2014", 47_065), ("suining", "round_one_villages", 61),
    ("guizhou", "reduction_plan_2018", 700_000),
])
def test_headline_figures_exact(data, region, figure, expected):
    from geo.coverage.reconcile import compute_figure

    d = data[region]
    assert compute_figure(d.region.seed.figure(figure), d.zones, d.villages) == expected


def test_yaan_share_within_half_a_point(data):
    from geo.coverage import union_coverage

    d = data["yaan"]
    share = union_coverage(d.zones, d.villages, 2014)["poor_population_share"]
    assert abs(share - 0.80) <= 0.005
    assert int(d.villages["poverty_village"].sum()) > 260


@pytest.mark.parametrize("region", REGION_IDS)
def test_villages_are_invented_named_uncoded_and_flagged(data, region):
    villages = data[region].villages
    assert villages["name"].str.fullmatch(r"示意村\d{3,5}").all()
    assert not (set(villages["name"]) & REAL_NAMES), "an illustrative village carries a real village's name"
    assert (villages["code"] == "").all()
    assert (villages["provenance"] == "illustrative").all()
    assert data[region].illustrative


@pytest.mark.parametrize("region", REGION_IDS)
def test_villages_lie_inside_their_county_away_from_the_edge(data, region):
    d = data[region]
    crs = metric_crs(d.outline)
    counties = d.counties.to_crs(crs).set_index("adcode").geometry
    points = d.villages.to_crs(crs)
    for code, group in points.groupby("county"):
        shape = counties[code]
        assert shapely.contains(shape, group.geometry.values).all(), f"{region}: a village outside {code}"
        edge = shapely.distance(shape.boundary, group.geometry.values)
        assert edge.min() > 300, f"{region} {code}: a village {edge.min():.0f} m from the county edge"


def test_heishui_zones_partition_the_county(data):
    d = data["heishui"]
    assert d.zones["name_zh"].tolist() == ["果蔬中蜂民俗沟", "核桃香猪花海沟", "生态农牧温泉沟", "冰山观光休闲沟",
                                            "神山探险体验沟", "药材藏鸡彩林沟"]
    assert area_km2(d.zones).sum() == pytest.approx(area_km2(d.outline)[0], rel=1e-3)
    crs = metric_crs(d.zones)
    shapes = d.zones.to_crs(crs).geometry.values
    overlaps = sum(shapely.intersection(a, b).area for i, a in enumerate(shapes) for b in shapes[i + 1:])
    assert overlaps < 1e3  # m²: shared edges only
    from geo.coverage import zone_membership

    assert zone_membership(d.zones, d.villages).covered().all(), "every village of the county is in a zone"


def test_yaan_belts_are_about_100_km_and_cross_the_right_districts(data):
    d = data["yaan"]
    crs = metric_crs(d.zones)
    lengths = d.zones.to_crs(crs).length / 1000
    assert ((lengths > 85) & (lengths < 115)).all()
    districts = d.counties.to_crs(crs).set_index("name").geometry
    crossed = {row.zone_id: {n for n, s in districts.items() if s.intersects(row.geometry)}
               for row in d.zones.to_crs(crs).itertuples()}
    assert {"名山区", "雨城区", "芦山县"} <= crossed["yaan-tea"]
    assert {"汉源县", "石棉县"} <= crossed["yaan-fruit-veg"]
    assert {"宝兴县", "荥经县"} <= crossed["yaan-fruit-herb"]


def test_poor_population_never_rises_in_a_village(data):
    for region, d in data.items():
        poor = d.villages[[f"poor_{y}" for y in range(2014, 2021)]].to_numpy()
        assert (np.diff(poor, axis=1) <= 0).all(), region


def test_generator_is_deterministic(tmp_path):
    import os

    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # this checkout's geo/, not another installed copy's
    out = subprocess.run([sys.executable, "scripts/build_seed_data.py", "heishui", "qu", "--out", str(tmp_path)],
                         cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    assert out.returncode == 0, out.stderr
    for region, name in [("heishui", "villages.csv"), ("heishui", "zones.geojson"), ("qu", "villages.csv"),
                         ("qu", "zones.geojson")]:
        assert (tmp_path / region / name).read_bytes() == (DATA_DIR / "seed" / region / name).read_bytes()


def test_registry_states_the_assumptions(data):
    for region in REGION_IDS:
        assert seed_region(region).assumptions, f"{region} lists no assumptions"
    assert "5 km" in " ".join(a.value("en") for a in seed_region("yaan").assumptions)
    assert "5 公里" in " ".join(a.value("zh") for a in seed_region("yaan").assumptions)
    for region in REGION_IDS:  # every text a reader sees, in both languages (issue 14 item 10)
        for a in seed_region(region).assumptions:
            assert all(re.search(r"[\u4e00-\u9fff]", x) for x in (a.quantity("zh"), a.value("zh"), a.why("zh"))), a
            assert not any(re.search(r"[\u4e00-\u9fff]", x) for x in (a.quantity("en"), a.value("en"), a.why("en"))), a


# --- the illustrative layers sit on the terrain (issue 16) ----------------------------------------------------
@pytest.fixture(scope="module")
def terrain():
    """The bundled 30″ DEM clip of each seed region that has one (never the national install: deterministic)."""
    from geo.terrain.dem import BUNDLED_DIR, read_dem_window, region_bounds

    files = {"heishui": "dem30s_meteva_heishui_513228.tif", "yaan": "dem30s_meteva_yaan_511800.tif",
             "qu": "dem30s_meteva_quxian_511725.tif", "suining": "dem30s_meteva_suining_430527.tif"}
    return {r: read_dem_window(BUNDLED_DIR / f, region_bounds(seed_outline(r))) for r, f in files.items()}


def seed_outline(region):
    from geo.boundaries import load_boundary

    return load_boundary(seed_region(region).adcode)


def county_median_m(dem, outline):
    from geo.terrain.valleys import _outline_geometry, region_mask

    mask = region_mask(dem, _outline_geometry(outline, dem.crs)) & np.isfinite(dem.array)
    return float(np.median(dem.array[mask]))


def test_heishui_seed_zones_are_valley_catchments(data, terrain):
    """Done means: the six zones tile the county and their internal boundaries run ≥ 100 m above its median."""
    from geo.terrain.valleys import boundary_elevation_excess_m, tiling_quality

    d = data["heishui"]
    quality = tiling_quality(d.zones, d.outline)
    assert quality["covered_pct"] >= 98.0
    assert quality["overlap_pct"] < 0.5
    assert boundary_elevation_excess_m(d.zones, terrain["heishui"], d.outline) >= 100.0


def test_heishui_seed_villages_sit_low_in_the_valleys(data, terrain):
    """Done means: the villages' median elevation is ≥ 400 m below the county's; none at or above the snow line."""
    from geo.terrain.metrics import village_elevation_m

    d = data["heishui"]
    elevation = village_elevation_m(d.villages, terrain["heishui"])
    assert elevation.notna().all()
    assert county_median_m(terrain["heishui"], d.outline) - elevation.median() >= 400.0
    # the snow line (3,500 m) holds for the ~0.9 km cell a village is drawn in; inside the cell it may sit higher
    assert (elevation < 3500.0).mean() >= 0.95 and elevation.max() < 3700.0


@pytest.mark.parametrize("region", ["heishui", "yaan", "qu", "suining"])
def test_seed_villages_prefer_gentle_ground(data, terrain, region):
    """Villages lie on gentler slopes than the region's average ground (valley floors and terraces)."""
    from geo.terrain.valleys import _outline_geometry, metric_dem, region_mask, slope_deg

    d = data[region]
    dem_m = metric_dem(terrain[region], d.outline)
    slope = slope_deg(dem_m)
    inside = region_mask(dem_m, _outline_geometry(d.outline, dem_m.crs)) & np.isfinite(slope)
    points = d.villages.to_crs(dem_m.crs)
    col, row = ~dem_m.transform @ (points.geometry.x.to_numpy(), points.geometry.y.to_numpy())
    at_villages = slope[row.astype(int), col.astype(int)]
    assert np.nanmedian(at_villages) < 0.8 * np.median(slope[inside])


def test_yaan_belts_follow_valley_floors(data, terrain):
    """Each belt runs lower than the straight line between its ends and never climbs over a range."""
    from geo.terrain.dem import sample_dem

    d = data["yaan"]
    crs = metric_crs(d.zones)
    dem = terrain["yaan"]

    def profile(line):
        dense = shapely.segmentize(line, 200.0)
        xy = shapely.get_coordinates(gpd_points(dense, crs))
        return sample_dem(dem, xy[:, 0], xy[:, 1], method="bilinear")

    for line in d.zones.to_crs(crs).geometry:
        straight = shapely.LineString([line.coords[0], line.coords[-1]])
        assert line.length > 1.15 * straight.length, "a belt that is nearly straight cannot follow valleys"
        along, direct = profile(line), profile(straight)
        assert np.nanmedian(along) < np.nanmedian(direct) - 100
        assert np.nanmax(along) < np.nanmax(direct)


def gpd_points(line, crs):
    import geopandas as gpd

    return gpd.GeoSeries(shapely.points(shapely.get_coordinates(line)), crs=crs).to_crs(4326).values


def test_suining_high_cold_villages_are_its_highest(data, terrain):
    from geo.terrain.metrics import village_elevation_m

    d = data["suining"]
    elevation = village_elevation_m(d.villages, terrain["suining"])
    high = d.villages["high_cold"].astype(bool)
    assert int(high.sum()) == 26
    assert elevation[high].min() >= elevation[~high].max() - 1e-6
    assert not (high & d.villages["poverty_village"].astype(bool)).any()
