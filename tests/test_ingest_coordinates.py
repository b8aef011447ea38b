"""Coordinates as planners write them: degrees-minutes-seconds in every usual notation, and projected metres whose
CRS is recognised from the values and headers (Gauss-Krüger 3°/6° with or without zone prefix, UTM, Web Mercator)."""
import numpy as np
import pyproj
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.ingest.coordinates import (
    CoordinateProblem,
    detect_coordinate_system,
    from_wgs84,
    gk_epsg,
    not_recognised_message,
    parse_angle,
    parse_angle_column,
    projected_columns,
    read_angle,
    swapped_axis_messages,
    swapped_by_hemisphere,
    to_wgs84,
)
from tests.conftest import metres_between

ONE_HUNDREDTH_SECOND_DEG = 0.01 / 3600
HEISHUI_BOX = (102.35, 31.55, 103.51, 32.65)  # 黑水县, lon/lat degrees
XINJIANG_BOX = (75.6, 39.0, 76.6, 39.6)  # a county-sized box near 喀什 (3°/6° CM 75°E)
HEILONGJIANG_BOX = (126.2, 45.4, 127.4, 46.2)  # a county-sized box near 哈尔滨 (3° CM 126°E)
DMS_102 = 102 + 58 / 60 + 41.2 / 3600
N32 = 32 + 4 / 60 + 1 / 3600


@pytest.mark.parametrize("text, degrees, axis", [
    ("102°58'41.2\"", DMS_102, None), ("102°58′41.2″E", DMS_102, "lon"), ("102度58分41.2秒", DMS_102, None),
    ("东经102°58'41.2\"", DMS_102, "lon"), ("N32°4'1\"", N32, "lat"), ("-102 58 41.2", -DMS_102, None),
    ("102:58:41.2", DMS_102, None), ("102°58.687'", 102 + 58.687 / 60, None), ("102.97811", 102.97811, None),
    ("１０２°５８′４１．２″", DMS_102, None), ("102°58'41.2''", DMS_102, None), ("西经 102°58'41.2\"", -DMS_102, "lon"),
    ("32°4'1\"S", -N32, "lat"), ("北纬32度4分1秒", N32, "lat"), ("32°04′01″ N", N32, "lat"), ("+102.5", 102.5, None),
    ("102° 58' 41.2\"", DMS_102, None), ("e102.5", 102.5, "lon"), (102.5, 102.5, None),
])
def test_usual_notations(text, degrees, axis):
    angle = read_angle(text)
    assert angle.degrees == pytest.approx(degrees, abs=1e-12) and angle.axis == axis
    assert parse_angle(text) == angle.degrees


@pytest.mark.parametrize("text, key", [
    ("102°60'1\"", "angle_minutes_range"), ("102°58'60\"", "angle_seconds_range"), ("181", "angle_degrees_range"),
    ("N95°", "angle_degrees_range"), ("-102°W", "angle_sign_and_hemisphere"), ("N102E", "angle_two_hemispheres"),
    ("102.5°30'", "angle_decimal_not_last"), ("102'58°", "angle_marks_order"), ("102°41.2\"", "angle_marks_order"),
    ("abc", "angle_not_angle"), ("102,5", "angle_not_angle"), ("1 2 3 4", "angle_not_angle"), ("", "angle_empty"),
    (float("nan"), "angle_not_angle"),
])
def test_rejections_say_why(text, key):
    with pytest.raises(CoordinateProblem) as caught:
        read_angle(text)
    assert caught.value.problem.key == key
    assert caught.value.problem.text("zh") and caught.value.problem.fix("en") and str(caught.value)


def test_a_column_collects_every_problem_and_knows_its_axis():
    column = parse_angle_column(["N32°4'1\"", "", "N32°60'", "N31.5"])
    assert np.isnan(column.degrees[[1, 2]]).all() and column.degrees[0] == pytest.approx(N32)
    assert [(i, p.key) for i, p in column.problems] == [(2, "angle_minutes_range")]
    assert column.axis == "lat"


def test_swapped_columns_are_seen_from_their_hemispheres():
    lon = parse_angle_column(["N32°4'1\"", "N32°5'"])
    lat = parse_angle_column(["E102°58'", "E103°"])
    assert swapped_by_hemisphere(lon, lat) and not swapped_by_hemisphere(lat, lon)
    messages = swapped_axis_messages(lon, lat, "经度", "纬度")
    assert [m.key for m in messages] == ["angle_axis_swapped"] * 2 and "经度" in messages[0].text("zh")


# ---------------------------------------------------------------------------------------------------- Hypothesis
def _split(value: float, decimals: int = 3) -> tuple[int, int, float]:
    scale = 10 ** decimals
    total = round(abs(value) * 3600 * scale)
    degrees, rest = divmod(total, 3600 * scale)
    minutes, seconds = divmod(rest, 60 * scale)
    return int(degrees), int(minutes), seconds / scale


def _write(value: float, notation: str, axis: str) -> str:
    d, m, s = _split(value)
    sign = "-" if value < 0 else ""
    letter = ("E" if value >= 0 else "W") if axis == "lon" else ("N" if value >= 0 else "S")
    word = {"E": "东经", "W": "西经", "N": "北纬", "S": "南纬"}[letter]
    return {
        "ascii": f"{sign}{d}°{m}'{s:.3f}\"",
        "primes": f"{d}°{m:02d}′{s:06.3f}″{letter}",
        "chinese": f"{sign}{d}度{m}分{s:.3f}秒",
        "words": f"{word}{d}°{m}'{s:.3f}\"",
        "letter_first": f"{letter}{d}°{m}'{s:.3f}\"",
        "spaces": f"{sign}{d} {m} {s:.3f}",
        "colons": f"{sign}{d}:{m:02d}:{s:06.3f}",
        "decimal_minutes": f"{sign}{d}°{m + s / 60:.6f}'",
        "fullwidth": sign + f"{d}°{m}′{s:.3f}″".translate(str.maketrans("0123456789.", "０１２３４５６７８９．")),
        "decimal": f"{value:.8f}",
    }[notation]


NOTATIONS = ("ascii", "primes", "chinese", "words", "letter_first", "spaces", "colons", "decimal_minutes",
             "fullwidth", "decimal")


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(("lon", "lat")), st.floats(min_value=0, max_value=1, allow_nan=False),
       st.sampled_from(NOTATIONS))
def test_any_valid_angle_in_any_notation_parses_back_within_a_hundredth_of_a_second(axis, fraction, notation):
    limit = 180 if axis == "lon" else 90
    value = -limit + 2 * limit * fraction
    text = _write(value, notation, axis)
    if notation == "decimal_minutes" and f"{_split(value)[1] + _split(value)[2] / 60:.6f}".startswith("60"):
        return  # 59.9999996 minutes printed as 60.000000: not a valid way to write it
    assert abs(parse_angle(text) - value) <= ONE_HUNDREDTH_SECOND_DEG, text


# ---------------------------------------------------------------------------------------------------- projected
def _prefixed_3(lon: float) -> int:
    return gk_epsg(3 * round(lon / 3), width=3, prefix=True)


def _prefixed_6(lon: float) -> int:
    return gk_epsg(6 * int(lon // 6) + 3, width=6, prefix=True)


FORMS = {  # name -> (EPSG for a longitude, headers (easting, northing), whether detection needs the region)
    "gk3_prefix": (_prefixed_3, ("Y坐标", "X坐标"), False),
    "gk6_prefix": (_prefixed_6, ("横坐标", "纵坐标"), False),
    "gk3": (lambda lon: gk_epsg(3 * round(lon / 3)), ("Y", "X"), True),
    "gk6": (lambda lon: gk_epsg(6 * int(lon // 6) + 3, width=6), ("Y(6度带)", "X(6度带)"), True),
    "utm": (lambda lon: 32600 + int(lon // 6) + 31, ("Easting", "Northing"), True),
    "web_mercator": (lambda lon: 3857, ("POINT_X", "POINT_Y"), False),
}


def _point(box, fx: float, fy: float) -> tuple[float, float]:
    return box[0] + (box[2] - box[0]) * fx, box[1] + (box[3] - box[1]) * fy


@settings(max_examples=60, deadline=None)
@given(st.sampled_from((HEISHUI_BOX, XINJIANG_BOX, HEILONGJIANG_BOX)), st.floats(0.01, 0.99), st.floats(0.01, 0.99),
       st.sampled_from(sorted(FORMS)), st.booleans())
def test_projected_metres_round_trip_within_a_millimetre(box, fx, fy, form, northing_first):
    lon, lat = _point(box, fx, fy)
    epsg_of, (east_header, north_header), needs_region = FORMS[form]
    epsg = epsg_of(lon)
    east, north = from_wgs84([lon], [lat], epsg)
    if northing_first:  # Chinese surveying: X is the northing, listed first
        x, y, x_header, y_header = north, east, north_header, east_header
    else:
        x, y, x_header, y_header = east, north, east_header, north_header
    candidates = detect_coordinate_system(x, y, x_header, y_header, region_bounds=box if needs_region else None)
    best = candidates[0]
    assert best.epsg == epsg, [(c.epsg, c.score) for c in candidates[:4]]
    assert best.easting == ("y" if northing_first else "x")
    back_lon, back_lat = to_wgs84(x, y, best)
    assert metres_between(back_lon, back_lat, [lon], [lat])[0] < 0.001


@settings(max_examples=40, deadline=None)
@given(st.floats(0.0, 1.0), st.floats(0.0, 1.0))
def test_eastings_without_prefix_get_the_central_meridian_that_puts_them_in_the_region(fx, fy):
    points = [_point(HEISHUI_BOX, (fx + k / 7) % 1, (fy + k / 5) % 1) for k in range(6)]
    lon, lat = np.array(points).T
    east, north = from_wgs84(lon, lat, 4543)
    best = detect_coordinate_system(north, east, "X坐标", "Y坐标", region_bounds=HEISHUI_BOX)[0]
    assert (best.epsg, best.central_meridian, best.easting) == (4543, 102.0, "y")
    assert best.description("zh") == "读作 CGCS2000 3° 高斯-克吕格，中央经线 102°E（EPSG:4543），X坐标 为北坐标"
    back = to_wgs84(north, east, best)
    assert metres_between(*back, lon, lat).max() < 0.001


def test_the_prefix_names_the_zone_and_x_is_the_northing():
    east, north = from_wgs84([102.978], [32.067], 4522)
    assert 34_000_000 < east[0] < 35_000_000  # zone 34 in front of the easting
    best = detect_coordinate_system(north, east, "X坐标", "Y坐标")[0]
    assert (best.epsg, best.zone, best.central_meridian, best.easting) == (4522, 34, 102.0, "y")
    assert best.description("zh") == "读作 CGCS2000 3° 高斯-克吕格 第34带（中央经线 102°E，EPSG:4522），X坐标 为北坐标"
    assert best.description("en") == ("read as CGCS2000 3° Gauss-Krüger zone 34 (central meridian 102°E, "
                                      "EPSG:4522), X坐标 is northing")


def test_points_in_two_zones_are_each_unprojected_in_their_own():
    lon, lat = np.array([103.40, 103.60]), np.array([32.0, 32.1])
    east = np.concatenate([from_wgs84(lon[:1], lat[:1], 4522)[0], from_wgs84(lon[1:], lat[1:], 4523)[0]])
    north = np.concatenate([from_wgs84(lon[:1], lat[:1], 4522)[1], from_wgs84(lon[1:], lat[1:], 4523)[1]])
    best = detect_coordinate_system([f"{v:,.3f}" for v in east], [f"{v:.3f}" for v in north], "Y", "X")[0]
    assert best.family == "gk3_prefix" and best.zones == (34, 35)
    back = to_wgs84([f"{v:,.3f}" for v in east], north, best)
    assert metres_between(*back, lon, lat).max() < 0.01


def test_degrees_are_read_as_degrees_and_a_swapped_pair_is_seen():
    lon, lat = [102.9, 103.1, 102.5], [32.0, 32.2, 31.9]
    assert detect_coordinate_system(lon, lat, "经度", "纬度")[0].easting == "x"
    best = detect_coordinate_system(lat, lon, "经度", "纬度")[0]
    assert (best.epsg, best.easting) == (4326, "y")
    assert best.description("zh") == "读作经纬度：纬度 为经度，经度 为纬度"


def test_a_6_degree_zone_is_told_from_the_3_degree_zone_by_the_spread_of_its_eastings():
    lon, lat = np.array([102.4, 102.6, 102.8]), np.array([32.0, 32.2, 31.9])  # 2.2-2.6° west of CM 105°E
    east, north = from_wgs84(lon, lat, 4507)
    best = detect_coordinate_system(east, north, "X", "Y", region_bounds=HEISHUI_BOX)[0]
    assert best.epsg == 4507 and best.easting == "x"


def test_angles_in_any_notation_are_read_as_degrees_by_the_detection():
    best = detect_coordinate_system(["N32°4'1\"", "N32°5'"], ["E102°58'41.2\"", "E103°"], "经度", "纬度")[0]
    assert (best.epsg, best.easting) == (4326, "y")


def test_values_that_fit_nothing_give_no_reading_and_a_clear_message():
    assert detect_coordinate_system(["12", "15"], ["7", "3000"], "a", "b") == []
    assert detect_coordinate_system(["甲", ""], ["乙", ""], "a", "b") == []
    message = not_recognised_message(["12"], ["7"], "a", "b")
    assert "12 / 7" in message.text("en") and message.fix("zh")


@pytest.mark.parametrize("headers, pair", [
    (["村名", "X坐标", "Y坐标"], ("X坐标", "Y坐标")), (["X", "Y", "名称"], ("X", "Y")),
    (["名称", "东坐标", "北坐标"], ("东坐标", "北坐标")), (["纵坐标", "横坐标"], ("横坐标", "纵坐标")),
    (["Easting", "Northing"], ("Easting", "Northing")), (["POINT_X", "POINT_Y"], ("POINT_X", "POINT_Y")),
    (["X(米)", "Y(米)"], ("X(米)", "Y(米)")), (["经度", "纬度"], None), (["村名", "Y"], None),
])
def test_projected_columns_are_found_by_their_headers(headers, pair):
    assert projected_columns(headers) == pair


@pytest.mark.parametrize("cm, width, prefix, name", [
    (102, 3, True, "3-degree Gauss-Kruger zone 34"), (102, 3, False, "3-degree Gauss-Kruger CM 102E"),
    (75, 3, False, "3-degree Gauss-Kruger CM 75E"), (135, 3, True, "3-degree Gauss-Kruger zone 45"),
    (105, 6, True, "Gauss-Kruger zone 18"), (105, 6, False, "Gauss-Kruger CM 105E"), (75, 6, True, "zone 13"),
])
def test_gk_epsg_codes_are_the_ones_pyproj_names(cm, width, prefix, name):
    crs = pyproj.CRS.from_epsg(gk_epsg(cm, width=width, prefix=prefix))
    assert crs.name == f"CGCS2000 / {name}" or crs.name.endswith(name)
    assert crs.to_dict()["lon_0"] == cm


def test_a_central_meridian_that_is_no_zones_is_refused():
    with pytest.raises(ValueError, match="not a 3° zone"):
        gk_epsg(100)
    with pytest.raises(ValueError, match="not a 6° zone"):
        gk_epsg(102, width=6)
