"""Coverage of any indicator: zone sums and weighted means equal brute force, unknown years say so, the union, gaps,
year-on-year change, coverage by planning class; industrial parks count like valleys."""
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.coverage import union_coverage, zone_membership, zone_metrics
from geo.coverage.indicators import (
    coverage_by_class,
    indicator_change,
    indicator_gaps,
    indicator_over_years,
    indicator_region_value,
    indicator_union,
    indicator_zone_values,
    region_indicator_table,
)
from geo.coverage.membership import Membership
from geo.indicators import validate_long
from geo.zones import ZONE_KINDS, validate_zones


def long_rows(rows, region="r"):
    frame = pd.DataFrame(rows, columns=["village_id", "year", "month", "indicator", "value"])
    frame.insert(0, "region", region)
    frame["provenance"], frame["source"] = "user", ""
    return validate_long(frame, last_year=2026)


def plain_zones(n):
    return pd.DataFrame({"zone_id": [f"z{i}" for i in range(n)], "name_zh": [f"区{i}" for i in range(n)],
                         "name_en": [f"zone {i}" for i in range(n)], "kind": "valley"})


def plain_villages(n):
    return pd.DataFrame({"village_id": [f"v{i}" for i in range(n)]})


@st.composite
def cases(draw):
    n_v = draw(st.integers(1, 12))
    n_z = draw(st.integers(1, 5))
    pairs = draw(st.lists(st.tuples(st.integers(0, n_v - 1), st.integers(0, n_z - 1)), unique=True, max_size=30))
    rows = []
    for v in range(n_v):
        for year in (2021, 2022):
            if draw(st.booleans()):
                rows.append((f"v{v}", year, None, "monitored_people", float(draw(st.integers(0, 500)))))
            if draw(st.booleans()):
                rows.append((f"v{v}", year, None, "income_per_capita", float(draw(st.integers(5000, 30000)))))
            if draw(st.booleans()):
                rows.append((f"v{v}", year, None, "rural_population", float(draw(st.integers(0, 3000)))))
    membership = Membership(np.array([p[0] for p in pairs], dtype=np.int64),
                            np.array([p[1] for p in pairs], dtype=np.int64), n_v, n_z)
    return plain_zones(n_z), plain_villages(n_v), long_rows(rows), membership, pairs


def brute_value(table, village, indicator, year):
    rows = table[(table["village_id"] == village) & (table["indicator"] == indicator) & (table["year"] == year)]
    return float(rows["value"].iloc[0]) if len(rows) else None


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_zone_sums_and_weighted_means_equal_brute_force(case):
    zones, villages, table, membership, pairs = case
    for year in (2021, 2022, 2023):  # 2023 has no values at all
        sums = indicator_zone_values(zones, villages, table, "monitored_people", year, membership=membership)
        means = indicator_zone_values(zones, villages, table, "income_per_capita", year, membership=membership)
        region_has = any(brute_value(table, v, "monitored_people", year) is not None for v in villages["village_id"])
        for z in range(len(zones)):
            members = [f"v{v}" for v, zz in pairs if zz == z]
            known = [x for v in members if (x := brute_value(table, v, "monitored_people", year)) is not None]
            expected = sum(known) if region_has else None
            got = sums["value"].iloc[z]
            assert (np.isnan(got) if expected is None else got == expected)
            assert sums["villages_reporting"].iloc[z] == len(known)
            weighted = [(x, w) for v in members
                        if (x := brute_value(table, v, "income_per_capita", year)) is not None
                        and (w := brute_value(table, v, "rural_population", year)) is not None and w > 0]
            got_mean = means["value"].iloc[z]
            if weighted:
                assert got_mean == pytest.approx(sum(x * w for x, w in weighted) / sum(w for _, w in weighted))
            else:
                assert np.isnan(got_mean)
        covered = {v for v, _ in pairs}
        union = indicator_union(zones, villages, table, "monitored_people", year, membership=membership)
        values = {v: brute_value(table, f"v{v}", "monitored_people", year) for v in range(len(villages))}
        if region_has:
            assert union["value_total"] == sum(x for x in values.values() if x is not None)
            assert union["value_covered"] == sum(x for v, x in values.items() if x is not None and v in covered)
        else:
            assert union["value_total"] is None and union["value_covered"] is None
            assert indicator_region_value(villages, table, "monitored_people", year) is None


def test_a_year_without_data_says_so_instead_of_zero():
    zones, villages = plain_zones(2), plain_villages(3)
    membership = Membership(np.array([0, 1]), np.array([0, 1]), 3, 2)
    table = long_rows([("v0", 2021, None, "monitored_people", 4.0), ("v1", 2021, None, "monitored_people", 0.0)])
    assert list(indicator_zone_values(zones, villages, table, "monitored_people", 2021,
                                      membership=membership)["value"]) == [4.0, 0.0]
    assert indicator_zone_values(zones, villages, table, "monitored_people", 2022,
                                 membership=membership)["value"].isna().all()
    assert indicator_region_value(villages, table, "monitored_people", 2022) is None
    change = indicator_change(zones, villages, table, "monitored_people", 2021, membership=membership)
    assert change["previous_year"].isna().all() and change["change"].isna().all()


def test_year_on_year_change_uses_the_previous_year_with_values():
    zones, villages = plain_zones(1), plain_villages(2)
    membership = Membership(np.array([0]), np.array([0]), 2, 1)
    table = long_rows([("v0", 2021, None, "monitored_people", 4.0), ("v1", 2021, None, "monitored_people", 1.0),
                       ("v0", 2024, 6, "monitored_people", 7.0), ("v1", 2024, 6, "monitored_people", 2.0)])
    change = indicator_change(zones, villages, table, "monitored_people", 2024, membership=membership)
    assert list(change["previous_year"]) == [2021, 2021]
    assert list(change["change"]) == [3.0, 4.0]  # zone z0 (v0 only): 7 - 4; the region: 9 - 5
    series = indicator_over_years(zones, villages, table, "monitored_people", membership=membership)
    assert list(series["year"]) == [2021, 2024] and list(series["value_covered"]) == [4.0, 7.0]


@pytest.fixture(scope="module")
def heishui():
    from geo.region_data import load_region_data

    return load_region_data("heishui")


def test_gaps_are_villages_with_the_indicator_outside_every_zone(heishui):
    zones = heishui.zones.iloc[:3]  # half the county's valleys: the other villages are gaps
    membership = zone_membership(zones, heishui.villages)
    ids = heishui.villages["village_id"].to_numpy()
    table = long_rows([(v, 2024, None, "risk_remaining_people", float(i % 3)) for i, v in enumerate(ids)])
    gaps = indicator_gaps(zones, heishui.villages, table, "risk_remaining_people", 2024, membership=membership)
    expected = {v for i, v in enumerate(ids) if i % 3 and not membership.covered()[i]}
    assert set(gaps["village_id"]) == expected and len(expected) > 0
    assert (gaps["distance_km"] > 0).all() and gaps["distance_km"].is_monotonic_increasing
    assert set(gaps["nearest_zone_id"]) <= set(zones["zone_id"])


def test_coverage_by_planning_class(heishui):
    villages = heishui.villages.copy()
    classes = np.array(["agglomeration", "suburban", "heritage", "relocation", ""])
    villages["planning_class"] = classes[np.arange(len(villages)) % 5]
    zones = heishui.zones.iloc[:2]
    membership = zone_membership(zones, villages)
    table = region_indicator_table(villages, "heishui")
    by_class = coverage_by_class(villages, membership, table=table, indicator="poor_population", year=2014)
    assert list(by_class["planning_class"]) == ["agglomeration", "suburban", "heritage", "relocation", ""]
    assert by_class["name"].iloc[0] == "集聚提升类" and by_class["name"].iloc[-1] == "未分类"
    covered = membership.covered()
    for row in by_class.itertuples():
        members = villages["planning_class"].to_numpy() == row.planning_class
        assert row.villages == members.sum() and row.villages_covered == (members & covered).sum()
        assert row.value == villages.loc[members, "poor_2014"].sum()
        assert row.value_covered == villages.loc[members & covered, "poor_2014"].sum()
    assert by_class["villages"].sum() == len(villages)


def test_planning_class_column_is_validated_with_its_aliases(heishui):
    from geo.errors import SchemaError
    from geo.villages import validate_villages

    villages = heishui.villages.copy()
    villages["planning_class"] = ["集聚提升", "城郊融合类", "", "特色保护型"] * 25
    checked = validate_villages(villages)
    assert list(checked["planning_class"][:4]) == ["agglomeration", "suburban", "", "heritage"]
    assert "planning_class" not in validate_villages(heishui.villages).columns  # optional: seed files unchanged
    villages["planning_class"] = ["开发类"] * 100
    with pytest.raises(SchemaError, match="'开发类' is not a village planning class"):
        validate_villages(villages)


# ---------------------------------------------------------------------------------------------- parks
def test_park_is_a_zone_kind_with_names_in_both_languages():
    from geo.i18n import t

    assert "park" in ZONE_KINDS
    assert t("zone_kind_park", "zh") == "现代农业产业园" and t("zone_kind_park", "en")


def test_a_park_counts_like_a_valley(heishui):
    """The same polygons as parks give the same membership, metrics and union as valleys."""
    parks = heishui.zones.assign(kind="park", industries=[["茶"]] * len(heishui.zones))
    parks = validate_zones(parks)
    as_parks = zone_membership(parks, heishui.villages)
    as_valleys = zone_membership(heishui.zones, heishui.villages)
    np.testing.assert_array_equal(as_parks.sorted_pairs(), as_valleys.sorted_pairs())
    for year in (2014, 2018):
        mine = zone_metrics(parks, heishui.villages, year, membership=as_parks)
        theirs = zone_metrics(heishui.zones, heishui.villages, year, membership=as_valleys)
        for column in ("villages", "poverty_villages", "poor_population", "area_km2"):
            np.testing.assert_allclose(mine[column].to_numpy(dtype=float), theirs[column].to_numpy(dtype=float))
        assert union_coverage(parks, heishui.villages, year) == union_coverage(heishui.zones, heishui.villages, year)


def test_a_park_must_be_a_polygon():
    from geo.errors import SchemaError

    line = gpd.GeoDataFrame({"zone_id": ["p1"], "name_zh": ["园"], "name_en": ["park"], "kind": ["park"],
                             "half_width_km": [np.nan], "industries": [["茶"]], "provenance": ["user"],
                             "source": [""]}, geometry=[shapely.LineString([(103, 32), (103.1, 32.1)])], crs=4326)
    with pytest.raises(SchemaError, match="schema_not_polygon|polygon"):
        validate_zones(line)


def test_imported_zones_declared_as_parks_are_parks():
    import json

    from geo.ingest.zones import import_zone_file

    square = [[103.0, 32.0], [103.1, 32.0], [103.1, 32.1], [103.0, 32.1], [103.0, 32.0]]
    features = [{"type": "Feature", "properties": {"名称": name, "类型": kind, "主导产业": "茶叶"},
                 "geometry": {"type": "Polygon", "coordinates": [square]}}
                for name, kind in (("示意茶叶产业园", "现代农业产业园"), ("示意沟", "沟域"))]
    data = json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False).encode()
    report = import_zone_file(data, "parks.geojson")
    assert not report.errors, report.as_dict()
    assert list(report.zones["kind"]) == ["park", "valley"]
