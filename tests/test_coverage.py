"""Coverage metrics: exact, equal to brute force, in metres; edge cases."""
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Point, Polygon

from geo.coverage import (
    distance_to_zones_m,
    gap_list,
    paired_village_count,
    pairing,
    union_coverage,
    whatif_curve,
    zone_membership,
    zone_metrics,
)
from geo.crs import CRSError
from geo.villages import POOR_COLUMNS, empty_villages, validate_villages
from geo.zones import empty_zones, validate_zones

GK = 4543  # CGCS2000 3-degree Gauss-Kruger, CM 102°E (metres): the hand-made frames live here
ORIGIN = (500_000.0, 3_550_000.0)  # ~102°E, 32°N


def make_villages(xy_m, *, poor=None, poverty=None, crs=GK) -> gpd.GeoDataFrame:
    n = len(xy_m)
    poor = np.full(n, 10) if poor is None else np.asarray(poor)
    poverty = np.ones(n, dtype=bool) if poverty is None else np.asarray(poverty)
    frame = gpd.GeoDataFrame({
        "village_id": [f"v{i}" for i in range(n)], "name": [f"示意村{i:03d}" for i in range(n)],
        "rural_population": np.maximum(poor, 1) * 10, "poverty_village": poverty,
        "identified_year": np.where(poverty, 2014, np.nan), "exit_year": np.nan, "provenance": "illustrative",
        **dict.fromkeys(POOR_COLUMNS, poor),
    }, geometry=gpd.points_from_xy(*np.asarray(xy_m, dtype=float).reshape(-1, 2).T), crs=GK)
    return validate_villages(frame.to_crs(crs) if crs != GK else frame)


def make_zones(shapes_m, kinds, widths=None) -> gpd.GeoDataFrame:
    n = len(shapes_m)
    widths = [np.nan] * n if widths is None else widths
    return validate_zones(gpd.GeoDataFrame({
        "zone_id": [f"z{i}" for i in range(n)], "name_zh": [f"区{i}" for i in range(n)],
        "name_en": [f"Zone {i}" for i in range(n)], "kind": kinds, "half_width_km": widths,
        "industries": [["茶"]] * n, "provenance": "illustrative", "source": "test",
    }, geometry=gpd.GeoSeries(shapes_m, crs=GK).to_crs(4326).values, crs=4326))


def box(x0, y0, x1, y1):
    return Polygon([(ORIGIN[0] + x0, ORIGIN[1] + y0), (ORIGIN[0] + x1, ORIGIN[1] + y0),
                    (ORIGIN[0] + x1, ORIGIN[1] + y1), (ORIGIN[0] + x0, ORIGIN[1] + y1)])


def at(x, y):
    return (ORIGIN[0] + x, ORIGIN[1] + y)


def brute_force_pairs(zones, villages):
    """Every (village, zone) pair by a plain loop: polygon covers point, or centreline distance ≤ half-width."""
    crs = GK
    pts = villages.to_crs(crs).geometry.values
    shapes = zones.to_crs(crs).geometry.values
    pairs = set()
    for i, p in enumerate(pts):
        for j, (shape, kind, hw) in enumerate(zip(shapes, zones["kind"], zones["half_width_km"])):
            if kind == "belt":
                if shapely.distance(p, shape) <= hw * 1000.0:
                    pairs.add((i, j))
            elif shapely.covers(shape, p):
                pairs.add((i, j))
    return pairs


# ---------------------------------------------------------------------------------------------- examples
def test_counts_per_zone_and_union_counts_a_village_once():
    zones = make_zones([box(0, 0, 10_000, 10_000), box(5_000, 0, 15_000, 10_000)], ["valley", "valley"])
    villages = make_villages([at(2_000, 5_000), at(7_000, 5_000), at(12_000, 5_000), at(30_000, 5_000)],
                             poor=[100, 200, 300, 400])
    metrics = zone_metrics(zones, villages, 2014)
    assert metrics["villages"].tolist() == [2, 2]
    assert metrics["poor_population"].tolist() == [300, 500]
    union = union_coverage(zones, villages, 2014)
    assert union["poverty_villages_covered"] == 3
    assert union["poor_population_covered"] == 600  # the village in both zones counts once
    assert union["poor_population_share"] == pytest.approx(0.6)
    assert metrics["poor_population"].sum() > union["poor_population_covered"]


def test_village_exactly_on_a_shared_edge_counts_in_both_zones_and_once_in_the_union():
    """A point is exactly on an edge in every CRS only when it is a vertex: both polygons share the vertex."""
    left = Polygon([at(0, 0), at(10_000, 0), at(10_000, 5_000), at(10_000, 10_000), at(0, 10_000)])
    right = Polygon([at(10_000, 0), at(20_000, 0), at(20_000, 10_000), at(10_000, 10_000), at(10_000, 5_000)])
    zones = make_zones([left, right], ["valley", "valley"])
    vertex = zones.geometry.iloc[0].exterior.coords[2]  # the shared vertex, as stored (WGS84)
    villages = validate_villages(make_villages([at(0, 0)]).to_crs(4326).set_geometry([Point(vertex)], crs=4326))
    assert zone_metrics(zones, villages, 2014)["villages"].tolist() == [1, 1]
    assert union_coverage(zones, villages, 2014)["villages_covered"] == 1


def test_a_5_km_belt_is_measured_in_metres_not_degrees():
    """At 32°N a degree of longitude is ~94 km and of latitude ~111 km: a 'degree buffer' would be wrong."""
    line = LineString([at(0, 0), at(0, 50_000)])  # north-south centreline
    zones = make_zones([line], ["belt"], [5.0])
    xy = [at(4_990, 20_000), at(5_010, 20_000), at(-4_990, 30_000), at(-5_010, 30_000), at(0, 55_000 - 10),
          at(0, 55_000 + 10)]
    villages = make_villages(xy)
    inside = zone_membership(zones, villages).covered()
    assert inside.tolist() == [True, False, True, False, True, False]
    # the same test in WGS84 input: results do not depend on the villages' CRS
    assert zone_membership(zones, villages.to_crs(4326)).covered().tolist() == inside.tolist()
    # a buffer of 5 km turned into degrees of latitude (5/111) would wrongly include the point at 5,010 m east
    naive_deg = 5.0 / 111.32
    w = villages.to_crs(4326)
    line_deg = zones.geometry.iloc[0]
    naive = shapely.distance(w.geometry.values, line_deg) <= naive_deg
    assert not naive[0], "a degree-based 5 km belt should miss the village 4,990 m east of the centreline"


def test_areas_in_km2_and_mu_independent_of_crs():
    square = box(0, 0, 10_000, 10_000)
    zones = make_zones([square], ["valley"])
    m = zone_metrics(zones, make_villages([at(1, 1)]), 2014)
    assert m["area_km2"].iloc[0] == pytest.approx(100.0, rel=2e-3)  # GK scale factor near the CM
    assert m["area_10k_mu"].iloc[0] == pytest.approx(15.0, rel=2e-3)  # 100 km² = 150,000 亩 = 15 万亩


def test_gap_list_distance_to_polygon_and_to_belt_corridor():
    zones = make_zones([box(0, 0, 10_000, 10_000), LineString([at(50_000, 0), at(50_000, 10_000)])],
                       ["valley", "belt"], [np.nan, 2.0])
    villages = make_villages([at(13_000, 5_000), at(46_000, 5_000), at(5_000, 5_000)])
    gaps = gap_list(zones, villages, 2014)
    assert gaps["village_id"].tolist() == ["v1", "v0"]  # nearest first
    assert gaps["distance_km"].tolist() == pytest.approx([2.0, 3.0], abs=0.01)
    assert gaps["nearest_zone_id"].tolist() == ["z1", "z0"]


def test_whatif_curve_is_monotone_and_hits_known_widths():
    zones = make_zones([LineString([at(0, 0), at(0, 100_000)])], ["belt"], [5.0])
    villages = make_villages([at(d, 50_000) for d in (500, 3_000, 7_000, 12_000, 30_000)], poor=[10, 20, 30, 40, 50])
    curve = whatif_curve(zones, villages, 2014, widths_km=[0, 1, 5, 10, 15, 20, 30.1])
    assert curve["poor_population_covered"].tolist() == [0, 10, 30, 60, 100, 100, 150]
    assert curve["poor_population_share"].is_monotonic_increasing
    assert curve["poor_population_share"].iloc[-1] == pytest.approx(1.0)


def test_pairing_is_one_to_one_within_a_zone():
    zones = make_zones([box(0, 0, 10_000, 10_000), box(20_000, 0, 30_000, 10_000)], ["valley", "valley"])
    xy = [at(1_000, 1_000), at(1_500, 1_000), at(9_000, 9_000), at(8_000, 8_000),  # zone 0: 2 poor, 2 other
          at(21_000, 1_000), at(29_000, 9_000),  # zone 1: 1 poor, 1 other
          at(25_000, 1_000)]  # zone 1: a second poor village with no free partner
    poverty = [True, True, False, False, True, False, True]
    villages = make_villages(xy, poverty=poverty)
    pairs = pairing(zones, villages, 2014).set_index("village_id")
    assert set(pairs.index) == {"v0", "v1", "v4", "v6"}
    assert pairs.loc["v0", "partner_id"] != pairs.loc["v1", "partner_id"]
    assert {pairs.loc["v0", "partner_id"], pairs.loc["v1", "partner_id"]} == {"v2", "v3"}
    assert pairs.loc[["v4", "v6"], "partner_id"].notna().sum() == 1  # one partner for two needy villages
    assert paired_village_count(pairing(zones, villages, 2014)) == 6


def test_empty_zones_and_empty_villages_behave():
    villages = make_villages([at(0, 0), at(1, 1)])
    union = union_coverage(empty_zones(), villages, 2014)
    assert union["villages_covered"] == 0 and union["poor_population_share"] == 0.0
    gaps = gap_list(empty_zones(), villages, 2014)
    assert len(gaps) == 2 and gaps["distance_km"].isna().all()
    zones = make_zones([box(0, 0, 10, 10)], ["valley"])
    metrics = zone_metrics(zones, empty_villages(), 2014)
    assert metrics["villages"].tolist() == [0] and metrics["poor_population_share"].tolist() == [0.0]
    assert union_coverage(zones, empty_villages(), 2014)["poor_population_total"] == 0
    assert len(gap_list(zones, empty_villages(), 2014)) == 0
    assert len(zone_metrics(empty_zones(), empty_villages(), 2014)) == 0


def test_inputs_are_untouched_and_results_on_the_zones_index():
    zones = make_zones([box(0, 0, 10_000, 10_000)], ["valley"])
    zones.index = ["only"]
    villages = make_villages([at(5, 5)])
    before_z, before_v = zones.copy(), villages.copy()
    metrics = zone_metrics(zones, villages, 2014)
    assert list(metrics.index) == ["only"]
    pd.testing.assert_frame_equal(zones, before_z)
    pd.testing.assert_frame_equal(villages, before_v)


def test_naive_inputs_are_refused():
    zones = make_zones([box(0, 0, 10, 10)], ["valley"])
    naive = make_villages([at(5, 5)]).set_crs(None, allow_override=True)
    with pytest.raises(CRSError, match="villages has no CRS"):
        zone_membership(zones, naive)


def test_year_outside_the_atlas_is_an_error():
    zones = make_zones([box(0, 0, 10, 10)], ["valley"])
    with pytest.raises(ValueError, match="year 2030 is outside 2014-2020"):
        union_coverage(zones, make_villages([at(5, 5)]), 2030)


# ---------------------------------------------------------------------------------------------- Hypothesis
coord = st.floats(min_value=0, max_value=40_000, allow_nan=False).map(lambda v: round(v / 250) * 250)
points_strategy = st.lists(st.tuples(coord, coord), min_size=0, max_size=60)


@st.composite
def zone_sets(draw):
    shapes, kinds, widths = [], [], []
    for _ in range(draw(st.integers(1, 5))):
        if draw(st.booleans()):
            x0, y0 = draw(coord), draw(coord)
            w, h = draw(st.integers(1, 20)) * 1000, draw(st.integers(1, 20)) * 1000
            poly = box(x0, y0, x0 + w, y0 + h)
            if draw(st.booleans()):  # a hole
                poly = poly.difference(box(x0 + w / 4, y0 + h / 4, x0 + w / 2, y0 + h / 2))
            if draw(st.booleans()):  # a multipolygon
                poly = shapely.union(poly, box(x0 + w + 2_000, y0, x0 + w + 4_000, y0 + 2_000))
            shapes.append(poly)
            kinds.append("valley")
            widths.append(np.nan)
        else:
            pts = [at(draw(coord), draw(coord)) for _ in range(draw(st.integers(2, 4)))]
            line = LineString(pts)
            if line.length == 0:
                line = LineString([pts[0], (pts[0][0] + 1000, pts[0][1])])
            shapes.append(line)
            kinds.append("belt")
            widths.append(draw(st.sampled_from([0.5, 1.0, 2.5, 5.0])))
    return make_zones(shapes, kinds, widths)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(zones=zone_sets(), xy=points_strategy, data=st.data())
def test_membership_equals_brute_force(zones, xy, data):
    poor = data.draw(st.lists(st.integers(0, 500), min_size=len(xy), max_size=len(xy)))
    villages = make_villages([at(x, y) for x, y in xy], poor=poor) if xy else empty_villages()
    m = zone_membership(zones, villages)
    assert set(zip(m.village_pos.tolist(), m.zone_pos.tolist())) == (brute_force_pairs(zones, villages) if xy else set())
    metrics = zone_metrics(zones, villages, 2014, membership=m)
    union = union_coverage(zones, villages, 2014, membership=m)
    for column in ("village_share", "poverty_village_share", "poor_population_share"):
        assert ((metrics[column] >= 0) & (metrics[column] <= 1)).all()
    assert 0 <= union["poor_population_share"] <= 1
    assert union["poor_population_covered"] <= metrics["poor_population"].sum()
    assert union["poverty_villages_covered"] <= metrics["poverty_villages"].sum()
    if xy:
        dist = distance_to_zones_m(zones, villages)["distance_m"].to_numpy()
        covered = m.covered()
        assert (dist[covered] <= 1e-6).all()  # inside means distance 0
        assert (dist[~covered] > 0).all()


@settings(max_examples=30, deadline=None)
@given(x0=coord, y0=coord, w=st.integers(1, 30), h=st.integers(1, 30))
def test_area_does_not_depend_on_the_zones_input_crs(x0, y0, w, h):
    zones = make_zones([box(x0, y0, x0 + w * 1000, y0 + h * 1000)], ["valley"])
    villages = make_villages([at(0, 0)])
    reference = zone_metrics(zones, villages, 2014)["area_km2"].iloc[0]
    for crs in (4490, 32648, 3857):
        other = zones.to_crs(crs)
        assert zone_metrics(other, villages, 2014)["area_km2"].iloc[0] == pytest.approx(reference, rel=1e-6)


def test_distances_far_from_the_zones_centre_are_measured_in_their_own_gauss_kruger_zone():
    """全国: zones from Xinjiang to Heilongjiang. A gap in Xinjiang measured with one central meridian for the whole
    country would be off by several per cent; in its own zone it agrees with the geodesic distance."""
    from pyproj import Geod

    west = shapely.box(80.0, 40.0, 80.2, 40.2)  # Xinjiang
    east = shapely.box(126.0, 46.0, 126.2, 46.2)  # Heilongjiang
    zones = validate_zones(gpd.GeoDataFrame({
        "zone_id": ["w", "e"], "name_zh": ["西", "东"], "name_en": ["W", "E"], "kind": "valley",
        "half_width_km": np.nan, "industries": [[], []], "provenance": "user", "source": "test",
    }, geometry=[west, east], crs=4326))
    villages = make_villages([(0, 0), (0, 0)]).set_geometry(gpd.points_from_xy([80.5, 126.5], [40.1, 46.1], crs=4326))
    got = distance_to_zones_m(zones, villages)["distance_m"].to_numpy()
    geod = Geod(ellps="GRS80")
    want = [geod.inv(80.2, 40.1, 80.5, 40.1)[2], geod.inv(126.2, 46.1, 126.5, 46.1)[2]]
    assert got == pytest.approx(want, rel=0.002), (got, want)
