"""Datum transforms (WGS84 <-> GCJ-02 <-> BD-09) and CRS choice."""
import geopandas as gpd
import numpy as np
import pytest
import shapely
from conftest import metres_between
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, MultiPolygon, Point, Polygon

from geo.crs import (
    CRSError,
    area_km2,
    bd09_to_wgs84,
    convert_coords,
    convert_datum,
    gcj02_to_wgs84,
    gk3_epsg,
    metric_crs,
    outside_china,
    require_crs,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

china_lon = st.floats(min_value=73.5, max_value=135.0, allow_nan=False)
china_lat = st.floats(min_value=18.0, max_value=53.5, allow_nan=False)


@settings(max_examples=300, deadline=None)
@given(lon=china_lon, lat=china_lat)
def test_gcj02_round_trip_within_1cm(lon, lat):
    back_lon, back_lat = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    assert metres_between(lon, lat, back_lon, back_lat) < 0.01


@settings(max_examples=300, deadline=None)
@given(lon=china_lon, lat=china_lat)
def test_bd09_round_trip_within_1cm(lon, lat):
    back_lon, back_lat = bd09_to_wgs84(*wgs84_to_bd09(lon, lat))
    assert metres_between(lon, lat, back_lon, back_lat) < 0.01


@settings(max_examples=100, deadline=None)
@given(lon=china_lon, lat=china_lat)
def test_inverse_of_gcj02_coordinates_lands_on_them(lon, lat):
    """Reading a point as GCJ-02, converting to WGS84 and back forward reproduces the GCJ-02 input."""
    w_lon, w_lat = gcj02_to_wgs84(lon, lat)
    g_lon, g_lat = wgs84_to_gcj02(w_lon, w_lat)
    assert metres_between(lon, lat, g_lon, g_lat) < 0.01


def test_vectorised_over_long_arrays_equals_scalar_calls():
    rng = np.random.default_rng(0)
    lon = rng.uniform(74, 134, 10_000)
    lat = rng.uniform(19, 53, 10_000)
    vec_lon, vec_lat = wgs84_to_gcj02(lon, lat)
    for i in range(0, 10_000, 997):
        one_lon, one_lat = wgs84_to_gcj02(lon[i], lat[i])
        assert vec_lon[i] == one_lon and vec_lat[i] == one_lat


@pytest.mark.parametrize("name, lon, lat, expected_m", [
    ("黑水 Luhua", 102.98786, 32.06708, 310),
    ("绥宁 Changpu", 110.155, 26.58, 600),
])
def test_offsets_have_the_expected_size(name, lon, lat, expected_m):
    g_lon, g_lat = wgs84_to_gcj02(lon, lat)
    shift = metres_between(lon, lat, g_lon, g_lat)
    assert abs(shift - expected_m) < 60, f"{name}: {shift:.0f} m"


@pytest.mark.parametrize("lon, lat", [(2.35, 48.85), (-74.0, 40.7), (151.2, -33.9), (139.7, 60.0)])
def test_points_outside_china_are_unchanged(lon, lat):
    assert outside_china(lon, lat)
    assert wgs84_to_gcj02(lon, lat) == (lon, lat)
    assert gcj02_to_wgs84(lon, lat) == (lon, lat)


def test_bd09_shift_is_larger_than_gcj02():
    lon, lat = 103.0, 32.0
    gcj = metres_between(lon, lat, *wgs84_to_gcj02(lon, lat))
    bd = metres_between(lon, lat, *wgs84_to_bd09(lon, lat))
    assert bd > gcj + 300


def test_cgcs2000_is_treated_as_wgs84():
    lon, lat = np.array([103.0]), np.array([32.0])
    out_lon, out_lat = convert_coords(lon, lat, "cgcs2000", "wgs84")
    assert out_lon[0] == 103.0 and out_lat[0] == 32.0


def test_unknown_datum_is_an_error():
    with pytest.raises(CRSError, match="unknown datum 'amap'"):
        convert_coords([103.0], [32.0], "amap", "wgs84")


def _geometries():
    ring = [(103.0, 32.0), (103.2, 32.0), (103.2, 32.2), (103.0, 32.2), (103.0, 32.0)]
    hole = [(103.05, 32.05), (103.1, 32.05), (103.1, 32.1), (103.05, 32.05)]
    return [
        Point(103.1, 32.1),
        LineString([(103.0, 32.0), (103.3, 32.3)]),
        Polygon(ring, [hole]),
        MultiPolygon([Polygon(ring), Polygon([(104, 33), (104.1, 33), (104.1, 33.1), (104, 33)])]),
        shapely.multipoints([(103, 32), (104, 33)]),
    ]


@pytest.mark.parametrize("target", ["gcj02", "bd09"])
def test_convert_datum_preserves_geometry_types_parts_and_holes(target):
    frame = gpd.GeoDataFrame({"k": range(5)}, geometry=_geometries(), crs=4326, index=list("abcde"))
    shifted = convert_datum(frame, "wgs84", target)
    assert list(shifted.geom_type) == list(frame.geom_type)
    assert list(shifted.index) == list(frame.index)
    assert shapely.get_num_coordinates(shifted.geometry.values).tolist() == \
        shapely.get_num_coordinates(frame.geometry.values).tolist()
    assert len(shifted.geometry.iloc[2].interiors) == 1
    assert shifted.crs == frame.crs
    moved = metres_between(frame.geometry.iloc[0].x, frame.geometry.iloc[0].y,
                           shifted.geometry.iloc[0].x, shifted.geometry.iloc[0].y)
    assert moved > 250
    back = convert_datum(shifted, target, "wgs84")
    for a, b in zip(back.geometry, frame.geometry):
        assert shapely.equals_exact(a, b, tolerance=1e-9)
    # the input is untouched
    assert frame.geometry.iloc[0].x == 103.1


def test_convert_datum_on_geoseries():
    series = gpd.GeoSeries(_geometries(), crs=4326)
    out = convert_datum(series, "wgs84", "gcj02")
    assert isinstance(out, gpd.GeoSeries) and len(out) == len(series)


def test_naive_geometry_is_an_error_never_a_guess():
    naive = gpd.GeoDataFrame(geometry=[Point(103, 32)])
    with pytest.raises(CRSError, match="villages has no CRS"):
        require_crs(naive, "villages")
    with pytest.raises(CRSError, match="has no CRS"):
        convert_datum(naive, "gcj02", "wgs84")


def test_datum_shift_refuses_projected_data():
    projected = gpd.GeoDataFrame(geometry=[Point(500000, 3500000)], crs=4543)
    with pytest.raises(CRSError, match="projected"):
        convert_datum(projected, "gcj02", "wgs84")


@pytest.mark.parametrize("lon, epsg", [(102.9, 4543), (103.6, 4544), (110.1, 4546), (75.0, 4534), (135.0, 4554),
                                       (60.0, 4534), (140.0, 4554)])
def test_gauss_kruger_zone_by_central_meridian(lon, epsg):
    assert gk3_epsg(lon) == epsg


def test_metric_crs_for_heishui_is_cm_102():
    frame = gpd.GeoDataFrame(geometry=[Point(102.99, 32.07)], crs=4326)
    crs = metric_crs(frame)
    assert crs.to_epsg() == 4543 and crs.axis_info[0].unit_name == "metre"


@pytest.mark.parametrize("crs", [4326, 4490, 4543, 32648, 3857])
def test_area_does_not_depend_on_input_crs(crs):
    square = gpd.GeoDataFrame(geometry=[Point(103.0, 32.0).buffer(0.1)], crs=4326)
    reference = area_km2(square)[0]
    assert area_km2(square.to_crs(crs))[0] == pytest.approx(reference, rel=1e-6)
    # compare with the geodesic area on the ellipsoid
    from pyproj import Geod
    geodesic = abs(Geod(ellps="GRS80").geometry_area_perimeter(square.geometry.iloc[0])[0]) / 1e6
    assert reference == pytest.approx(geodesic, rel=1e-3)
