"""Terrain: DEM georeferencing and coverage, user DEMs in any CRS, hillshade, D8 flow, valley zones, metrics, CLI."""
import io
import json
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import rasterio
import shapely
from affine import Affine
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image

from geo.boundaries import load_boundary
from geo.crs import CRSError
from geo.terrain import dem as dem_module
from geo.terrain.dem import (
    BUNDLED_DIR,
    Dem,
    NoDemError,
    dem_version,
    region_dem,
    sample_dem,
    sample_elevation,
)
from geo.terrain.flow import accumulate, flow_directions
from geo.terrain.hillshade import MAX_SIDE_PX, contour_lines, hillshade, terrain_image, terrain_image_key
from geo.terrain.install import (
    CELL_DEG,
    NODATA,
    OVERVIEW_FACTORS,
    lattice_shift_cells,
    national_dem_path,
    write_tiled_geotiff,
)
from geo.terrain.metrics import elevation_band, high_cold, villages_by_elevation_band, zone_terrain
from geo.terrain.valleys import boundary_elevation_excess_m, derive_valley_zones, tiling_quality
from geo.zones import load_zones, validate_zones

ROOT = Path(__file__).resolve().parent.parent
HEISHUI = "513228"


def _verification_points() -> list[tuple[str, float, float, float]]:
    rows = []
    for line in (BUNDLED_DIR / "verification_points.txt").read_text(encoding="utf-8").splitlines()[1:]:
        name, lon, lat, _, value = (part.strip() for part in line.split("|"))
        rows.append((name, float(lon), float(lat), float(value)))
    return rows


@pytest.fixture(scope="module")
def heishui():
    outline = load_boundary(HEISHUI)
    dem = region_dem(outline)
    return outline, dem


@pytest.fixture(scope="module")
def heishui_six(heishui):
    outline, dem = heishui
    return derive_valley_zones(outline, dem, count=6)


# --- georeferencing -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name, lon, lat, expected", _verification_points(), ids=lambda v: str(v)[:12])
def test_spot_elevations_match_the_corrected_lattice(name, lon, lat, expected):
    assert sample_elevation(lon, lat)[0] == expected, name


def test_luhua_seat_of_heishui_is_2413_m():
    assert sample_elevation(102.98786, 32.06708)[0] == 2413.0


def test_uncorrected_labels_give_other_elevations():
    points = _verification_points()
    lon = np.array([p[1] for p in points])
    lat = np.array([p[2] for p in points])
    expected = np.array([p[3] for p in points])
    dem = region_dem((lon.min(), lat.min(), lon.max(), lat.max()), margin_deg=0.02) \
        if national_dem_path().exists() else None
    if dem is None:
        dem = region_dem(HEISHUI)
        keep = (lon > 102.3) & (lon < 103.55) & (lat > 31.5) & (lat < 32.7)
        lon, lat, expected = lon[keep], lat[keep], expected[keep]
    # The .nc's own labels sit 0.865 cell west and 0.263 cell south of the lattice: undo the fix, values change.
    shifted = Dem(dem.array, Affine.translation(-0.8647 * CELL_DEG, -0.2631 * CELL_DEG) @ dem.transform, dem.crs)
    assert np.array_equal(sample_dem(dem, lon, lat), expected)
    assert not np.array_equal(sample_dem(shifted, lon, lat), expected)


def test_lattice_shift_of_the_meteva_labels():
    assert lattice_shift_cells(73.44696045) == pytest.approx(0.8647, abs=1e-4)
    assert lattice_shift_cells(6.31864119) == pytest.approx(0.2631, abs=1e-4)


@settings(max_examples=200, deadline=None)
@given(k=st.integers(-20000, 20000), offset=st.floats(0.0, 0.999))
def test_lattice_shift_moves_any_label_onto_a_cell_centre(k, offset):
    label = (k + offset) * CELL_DEG
    shift = lattice_shift_cells(label)
    assert 0.0 <= shift < 1.0
    position = (label / CELL_DEG + shift) % 1.0
    assert position == pytest.approx(0.5, abs=1e-6)


@pytest.mark.skipif(not national_dem_path().exists(), reason="national DEM not installed (scripts/install_dem.py)")
def test_national_install_equals_the_bundled_clips():
    with rasterio.open(national_dem_path()) as national:
        assert national.profile["blockxsize"] == national.profile["blockysize"] == 256
        assert national.profile["compress"] == "deflate"
        assert national.overviews(1) == list(OVERVIEW_FACTORS)
        for path in sorted(BUNDLED_DIR.glob("*.tif")):
            with rasterio.open(path) as clip:
                window = rasterio.windows.from_bounds(*clip.bounds, transform=national.transform)
                window = window.round_offsets().round_lengths()
                assert np.array_equal(national.read(1, window=window), clip.read(1)), path.name


def test_tiled_geotiff_layout(tmp_path):
    data = (np.arange(600 * 520, dtype=np.int32).reshape(600, 520) % 3000).astype(np.int16)
    data[:10, :10] = NODATA
    out = write_tiled_geotiff(data, Affine(CELL_DEG, 0, 100.0, 0, -CELL_DEG, 30.0), tmp_path / "t.tif",
                              tags={"SOURCE": "test"})
    with rasterio.open(out) as src:
        assert src.profile["tiled"] and src.profile["blockxsize"] == 256
        assert src.profile["compress"] == "deflate"
        assert src.tags()["SOURCE"] == "test"
        assert src.overviews(1)[:2] == [2, 4]
        assert np.array_equal(src.read(1), data)
    assert not list(tmp_path.glob("*.part"))


# --- which DEM covers a region ------------------------------------------------------------------------------


def test_region_dem_is_float32_metres_with_nan_nodata(heishui):
    outline, dem = heishui
    array, transform, crs = dem
    assert array.dtype == np.float32 and crs.equals("EPSG:4326")
    west, south, east, north = outline.total_bounds
    assert dem.bounds[0] <= west and dem.bounds[2] >= east and dem.bounds[1] <= south and dem.bounds[3] >= north
    assert 1800 < np.nanmin(array) < 2000 and 4900 < np.nanmax(array) < 5000
    assert transform.a == pytest.approx(CELL_DEG)


def test_bundled_clip_used_without_the_national_install(monkeypatch, heishui):
    _, national_or_bundled = heishui
    monkeypatch.setattr(dem_module, "national_dem_path", lambda: Path("/nonexistent/china_30s.tif"))
    dem = region_dem(HEISHUI)
    assert "bundled clip" in dem.source
    assert np.array_equal(dem.array, national_or_bundled.array, equal_nan=True)


def test_region_without_dem_names_the_install_command(monkeypatch):
    monkeypatch.setattr(dem_module, "national_dem_path", lambda: Path("/nonexistent/china_30s.tif"))
    with pytest.raises(NoDemError, match=r"scripts/install_dem\.py"):
        region_dem("110000")  # 北京: no bundled clip


def test_bad_bounds_are_refused():
    with pytest.raises(ValueError, match="west < east"):
        region_dem((103.0, 32.0, 102.0, 33.0))


def _plane_dem_4543(path, *, west=540_000.0, north=3_590_000.0, size=(400, 500), cell=100.0):
    """Write a plane z = 2000 + 0.02·(x − west) + 0.01·(north − y) m in EPSG:4543; return its formula."""
    rows, cols = size
    xs = west + (np.arange(cols) + 0.5) * cell
    ys = north - (np.arange(rows) + 0.5) * cell
    z = 2000 + 0.02 * (xs[None, :] - west) + 0.01 * (north - ys[:, None])
    with rasterio.open(path, "w", driver="GTiff", height=rows, width=cols, count=1, dtype="float32",
                       crs="EPSG:4543", transform=Affine(cell, 0, west, 0, -cell, north), nodata=-9999) as dst:
        dst.write(z.astype(np.float32), 1)
    return lambda x, y: 2000 + 0.02 * (x - west) + 0.01 * (north - y)


def test_user_dem_in_a_projected_crs_is_read_and_reprojected(tmp_path):
    formula = _plane_dem_4543(tmp_path / "user.tif")
    to_gk = pyproj.Transformer.from_crs(4326, 4543, always_xy=True)
    to_wgs = pyproj.Transformer.from_crs(4543, 4326, always_xy=True)
    lon0, lat0 = to_wgs.transform(545_000, 3_585_000)
    lon1, lat1 = to_wgs.transform(585_000, 3_555_000)
    bounds = (min(lon0, lon1), min(lat0, lat1), max(lon0, lon1), max(lat0, lat1))
    native = region_dem(bounds, user_dem=tmp_path / "user.tif", margin_deg=0.01)
    assert native.crs.to_epsg() == 4543 and native.source == "user DEM user.tif"
    wgs = region_dem(bounds, user_dem=tmp_path / "user.tif", margin_deg=0.01, crs="EPSG:4326")
    assert wgs.crs.is_geographic
    lon = np.linspace(bounds[0] + 0.02, bounds[2] - 0.02, 7)
    lat = np.linspace(bounds[1] + 0.02, bounds[3] - 0.02, 7)
    x, y = to_gk.transform(lon, lat)
    assert np.allclose(sample_dem(native, lon, lat, method="bilinear"), formula(x, y), atol=0.01)
    assert np.allclose(sample_dem(wgs, lon, lat, method="bilinear"), formula(x, y), atol=1.0)
    assert np.allclose(sample_elevation(lon, lat, user_dem=tmp_path / "user.tif", method="bilinear"), formula(x, y),
                       atol=0.01)
    image = terrain_image(native, max_side_px=256)  # a projected DEM renders onto WGS84 bounds
    (south, west), (north, east) = image.bounds
    assert west <= bounds[0] and east >= bounds[2] and south <= bounds[1] and north >= bounds[3]
    assert east - west < 1.0


def test_user_dem_that_misses_the_region_is_refused(tmp_path):
    _plane_dem_4543(tmp_path / "small.tif")
    with pytest.raises(NoDemError, match="covers"):
        region_dem(HEISHUI, user_dem=tmp_path / "small.tif")


def test_dem_version_changes_with_the_values(heishui):
    _, dem = heishui
    changed = Dem(dem.array.copy(), dem.transform, dem.crs)
    assert dem_version(changed) == dem.version
    changed.array[50, 50] += 1
    assert dem_version(changed) != dem.version


# --- hillshade basemap --------------------------------------------------------------------------------------


def test_hillshade_uses_metres_and_faces_the_light():
    z = np.tile(np.arange(20, dtype=float) * 30.0, (10, 1))  # rises 30 m per 30 m cell eastwards: 45°, faces west
    west_light = hillshade(z, 30.0, 30.0, azimuth_deg=270.0, multidirectional=False)
    east_light = hillshade(z, 30.0, 30.0, azimuth_deg=90.0, multidirectional=False)
    assert np.allclose(west_light[:, 1:-1], 1.0, atol=1e-6)
    assert np.allclose(east_light[:, 1:-1], 0.0, atol=1e-6)
    degrees_not_metres = hillshade(z, 30.0 / 111_000, 30.0 / 111_000, azimuth_deg=270.0, multidirectional=False)
    assert np.all(degrees_not_metres[:, 1:-1] < 0.75)  # cell sizes in degrees make every slope a cliff


def test_terrain_image_is_a_deterministic_rgba_png_over_the_region(heishui):
    outline, dem = heishui
    image = terrain_image(dem)
    picture = Image.open(io.BytesIO(image.png))
    assert picture.mode == "RGBA" and picture.size == (image.width, image.height)
    assert max(picture.size) == MAX_SIDE_PX
    (south, west), (north, east) = image.bounds
    r_west, r_south, r_east, r_north = outline.total_bounds
    assert west <= r_west and east >= r_east and south <= r_south and north >= r_north
    assert east - west < 1.5 and north - south < 1.0  # degrees, not metres
    pixels = np.asarray(picture)
    assert pixels[..., 3].min() == 255  # the window is all land
    assert pixels[..., :3].std() > 5  # relief shows
    assert terrain_image(dem).png == image.png
    assert terrain_image_key(dem) == terrain_image_key(dem) != terrain_image_key(dem, max_side_px=512)


def test_contours_are_wgs84_lines_at_round_elevations(heishui):
    outline, dem = heishui
    contours = contour_lines(dem, interval_m=500, outline=outline)
    assert contours.crs.equals("EPSG:4326") and len(contours) > 10
    assert set(contours["elevation_m"]) <= {float(v) for v in range(2000, 5000, 500)}
    assert shapely.union_all(outline.geometry.values).buffer(1e-6).contains(shapely.union_all(contours.geometry.values))


# --- D8 flow ------------------------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(2, 14), st.integers(2, 14)),
              elements=st.one_of(st.floats(0, 100, allow_nan=False), st.just(np.nan))))
def test_every_cell_drains_to_an_outlet_without_cycles(z):
    down, order, filled = flow_directions(z, dx=30.0, dy=30.0)
    valid = np.isfinite(z.ravel())
    assert order.size == valid.sum()
    position = np.full(z.size, -1)
    position[order] = np.arange(order.size)
    for i in order:
        j = down[i]
        if j >= 0:
            assert position[j] < position[i]  # receivers come first: no cycle
            r, c, rr, cc = i // z.shape[1], i % z.shape[1], j // z.shape[1], j % z.shape[1]
            assert max(abs(r - rr), abs(c - cc)) == 1 and valid[j]
    assert np.all(filled.ravel()[valid] >= z.ravel()[valid])
    acc = accumulate(down, order, valid.astype(float))
    assert acc[order[down[order] < 0]].sum() == pytest.approx(valid.sum())


def test_a_pit_is_filled_and_drains_out():
    z = np.full((7, 7), 100.0)
    z[3, 3] = 50.0  # a pit in a plateau
    z[:, 0] = 90.0  # the west edge is lowest
    down, order, filled = flow_directions(z, dx=10, dy=10)
    assert filled[3, 3] == 100.0
    acc = accumulate(down, order, np.ones(z.size))
    assert acc.max() > 1 and acc.sum() > z.size


# --- valleys ------------------------------------------------------------------------------------------------


def _two_valleys(cell: float = 500.0):
    """A 40 × 20 km block in EPSG:4543: two V-shaped valleys (x = 10 and 30 km) draining south, ridge at x = 20 km."""
    west, south = 520_000.0, 3_550_000.0
    cols, rows = int(40_000 / cell), int(20_000 / cell)
    x = west + (np.arange(cols) + 0.5) * cell
    y = south + 20_000 - (np.arange(rows) + 0.5) * cell
    across = np.minimum(np.abs(x - (west + 10_000)), np.abs(x - (west + 30_000)))
    z = 1500.0 + 0.2 * across[None, :] + 0.02 * (y[:, None] - south)
    margin = 2000.0
    big = np.pad(z, int(margin / cell), mode="edge")
    transform = Affine(cell, 0, west - margin, 0, -cell, south + 20_000 + margin)
    dem = Dem(big.astype(np.float32), transform, pyproj.CRS.from_epsg(4543), "synthetic")
    outline = gpd.GeoDataFrame(geometry=[shapely.box(west, south, west + 40_000, south + 20_000)], crs=4543)
    return outline, dem, west


def test_two_v_shaped_valleys_split_on_their_ridge():
    outline, dem, west = _two_valleys()
    zones = derive_valley_zones(outline, dem, count=2, cell_m=500)
    validate_zones(zones)
    projected = zones.to_crs(4543)
    xs = sorted(projected.geometry.centroid.x - west)
    assert xs[0] == pytest.approx(10_000, abs=600) and xs[1] == pytest.approx(30_000, abs=600)
    assert zones["area_km2"].to_numpy() == pytest.approx([400, 400], rel=0.03)
    left = projected.geometry.iloc[int(np.argmin(projected.geometry.centroid.x))]
    assert left.bounds[2] - west == pytest.approx(20_000, abs=500)  # the ridge
    assert boundary_elevation_excess_m(zones, dem, outline) > 500  # the ridge is ~2 km from the valley floors


def test_one_zone_is_the_whole_region():
    outline, dem, _ = _two_valleys()
    zones = derive_valley_zones(outline, dem, count=1, cell_m=500)
    assert len(zones) == 1
    assert tiling_quality(zones, outline)["covered_pct"] > 99.9


def test_heishui_six_valleys_tile_the_county(heishui, heishui_six):
    outline, _ = heishui
    zones = heishui_six
    assert len(zones) == 6
    quality = tiling_quality(zones, outline)
    assert quality["covered_pct"] >= 98.0
    assert quality["overlap_pct"] < 0.5
    assert set(zones["kind"]) == {"valley"} and set(zones["provenance"]) == {"derived"}
    assert zones["source"].str.contains("meteva 1.9.6.2").all()
    assert zones["name_zh"].is_unique and zones["name_zh"].str.match(r"^.{1,3}部沟域 [1-6]$").all()
    assert zones["name_en"].str.match(r"^Valley [1-6] \((north|south|east|west|northeast|northwest|southeast|"
                                      r"southwest|central)\)$").all()
    assert list(zones["area_km2"]) == sorted(zones["area_km2"], reverse=True)
    assert zones["area_km2"].sum() == pytest.approx(load_boundary(HEISHUI).to_crs(
        "+proj=aea +lat_0=0 +lon_0=105 +lat_1=25 +lat_2=47 +ellps=GRS80").area.sum() / 1e6, rel=0.01)
    assert np.allclose(zones["relief_m"], zones["elevation_max_m"] - zones["elevation_min_m"], atol=0.011)
    assert zones["area_km2"].min() > 0.25 * zones["area_km2"].max()  # the main stem shared out, no giant residual
    assert (zones.geometry.geom_type == "Polygon").all()


def test_heishui_six_valley_boundaries_follow_ridges(heishui, heishui_six):
    outline, dem = heishui
    assert boundary_elevation_excess_m(heishui_six, dem, outline) >= 100.0


def test_ridge_check_fails_straight_zones_and_passes_the_seed_zones(heishui, heishui_six):
    """Straight-edged zones (a Voronoi partition, as the seed zones were before issue 16) cut across valleys."""
    from geo.crs import metric_crs

    outline, dem = heishui
    crs = metric_crs(outline)
    shape = outline.to_crs(crs).geometry.iloc[0]
    centre = shape.centroid
    seeds = [shapely.Point(centre.x + 25_000 * np.sin(a), centre.y + 25_000 * np.cos(a))
             for a in np.linspace(0, 2 * np.pi, 6, endpoint=False)]
    cells = shapely.voronoi_polygons(shapely.MultiPoint(seeds), extend_to=shape.envelope.buffer(20_000)).geoms
    straight = gpd.GeoDataFrame(geometry=[c.intersection(shape) for c in cells], crs=crs).to_crs(4326)
    assert boundary_elevation_excess_m(straight, dem, outline) < 100.0
    seed = load_zones(ROOT / "data" / "seed" / "heishui" / "zones.geojson")
    assert boundary_elevation_excess_m(seed, dem, outline) >= 100.0


@pytest.mark.parametrize("count", [2, 4, 9])
def test_count_is_honoured_and_zones_still_tile(heishui, count):
    outline, dem = heishui
    zones = derive_valley_zones(outline, dem, count=count)
    assert len(zones) == count
    quality = tiling_quality(zones, outline)
    assert quality["covered_pct"] >= 98.0 and quality["overlap_pct"] < 0.5


def test_min_area_mode_keeps_every_zone_large(heishui):
    outline, dem = heishui
    zones = derive_valley_zones(outline, dem, min_area_km2=300)
    assert len(zones) >= 5
    assert zones["area_km2"].min() >= 0.95 * 300


def test_progress_is_reported_and_reaches_one(heishui):
    outline, dem = heishui
    steps = []
    derive_valley_zones(outline, dem, count=3, progress=lambda fraction, step: steps.append((fraction, step)))
    fractions = [f for f, _ in steps]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and len(steps) >= 5


def test_on_a_finer_grid_the_valleys_agree(heishui, heishui_six):
    outline, dem = heishui
    fine = derive_valley_zones(outline, dem, count=6, cell_m=300)
    assert len(fine) == 6
    assert boundary_elevation_excess_m(fine, dem, outline) >= 100.0


@pytest.mark.parametrize("kwargs, message", [
    ({}, "exactly one"), ({"count": 3, "min_area_km2": 10}, "exactly one"), ({"count": 0}, "whole number"),
    ({"count": 2.5}, "whole number"), ({"min_area_km2": -1}, "> 0"), ({"count": 500}, "only"),
])
def test_bad_requests_are_refused(heishui, kwargs, message):
    outline, dem = heishui
    with pytest.raises(ValueError, match=message):
        derive_valley_zones(outline, dem, **kwargs)


def test_outline_without_crs_is_refused(heishui):
    outline, dem = heishui
    with pytest.raises(CRSError, match="no CRS"):
        derive_valley_zones(gpd.GeoDataFrame(geometry=list(outline.geometry)), dem, count=2)


# --- metrics ------------------------------------------------------------------------------------------------


def test_zone_terrain_of_the_seed_zones(heishui):
    _, dem = heishui
    seed = load_zones(ROOT / "data" / "seed" / "heishui" / "zones.geojson")
    stats = zone_terrain(seed, dem)
    assert list(stats.index) == list(seed.index)
    assert (stats["relief_m"] == stats["elevation_max_m"] - stats["elevation_min_m"]).all()
    assert (stats["elevation_min_m"] >= np.nanmin(dem.array) - 1).all()
    assert stats["slope_mean_deg"].between(3, 40).all()


def test_elevation_bands_count_every_village_once():
    elevation = pd.Series([450.0, 500.0, 2999.0, 3000.0, 4200.0, np.nan], index=list("abcdef"))
    bands = elevation_band(elevation, edges_m=(500, 3000))
    assert list(bands.astype(object).fillna("?")) == ["< 500 m", "500–3,000 m", "500–3,000 m", "≥ 3,000 m",
                                                      "≥ 3,000 m", "?"]
    counts = villages_by_elevation_band(elevation, edges_m=(500, 3000))
    assert counts.to_dict() == {"< 500 m": 1, "500–3,000 m": 2, "≥ 3,000 m": 2}
    poor = villages_by_elevation_band(elevation, edges_m=(500, 3000), weights=pd.Series([1, 2, 3, 4, 5, 6],
                                                                                         index=list("abcdef")))
    assert poor.to_dict() == {"< 500 m": 1, "500–3,000 m": 5, "≥ 3,000 m": 9}
    with pytest.raises(ValueError, match="distinct"):
        elevation_band(elevation, edges_m=(500, 500))


def test_high_cold_threshold_is_a_parameter():
    elevation = pd.Series([700.0, 800.0, 1200.0, np.nan])
    assert list(high_cold(elevation)) == [False, True, True, False]
    assert list(high_cold(elevation, threshold_m=1000)) == [False, False, True, False]


# --- command line and architecture ---------------------------------------------------------------------------


def test_zones_from_terrain_command_writes_six_wgs84_polygons(tmp_path):
    out = tmp_path / "z.geojson"
    result = subprocess.run([sys.executable, "-m", "geo", "zones", "from-terrain", "heishui", "--count", "6",
                             "--out", str(out)], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert len(summary["zones"]) == 6 and summary["covered_pct"] >= 98 and summary["overlap_pct"] < 0.5
    assert summary["boundary_elevation_excess_m"] >= 100
    zones = load_zones(out)
    assert len(zones) == 6
    west, south, east, north = zones.total_bounds
    assert 102 < west < east < 104 and 31 < south < north < 33


def test_terrain_imports_without_streamlit():
    code = ("import geo.terrain.dem, geo.terrain.flow, geo.terrain.valleys, geo.terrain.hillshade, "
            "geo.terrain.metrics, geo.terrain.cli, geo.terrain.install; import sys; "
            "assert 'streamlit' not in sys.modules, 'streamlit was imported'")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr


def test_a_split_zone_is_cut_along_its_own_inner_ridge_and_the_pieces_tile_it():
    from geo.boundaries import load_boundary
    from geo.terrain.dem import region_dem
    from geo.terrain.valleys import derive_valley_zones, split_valley_zone, tiling_quality

    outline = load_boundary("513228")
    dem = region_dem(outline)
    zones = derive_valley_zones(outline, dem, count=3)
    split = split_valley_zone(zones, zones["zone_id"].iloc[0], dem)
    assert len(split) == 4 and list(split["zone_id"][:2]) == [f"{zones['zone_id'].iloc[0]}-1",
                                                               f"{zones['zone_id'].iloc[0]}-2"]
    pieces = split.iloc[:2]
    whole = zones.iloc[[0]]
    quality = tiling_quality(pieces, whole)
    assert quality["covered_pct"] >= 98 and quality["overlap_pct"] < 0.5, quality
    assert tiling_quality(split, outline)["covered_pct"] >= 98
    assert list(split["zone_id"][2:]) == list(zones["zone_id"][1:]), "the other zones are untouched, in order"
