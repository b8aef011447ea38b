"""The grid engine equals the simple path (and so brute force) exactly, edges and vertices included."""
import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString
from test_coverage import at, box, brute_force_pairs, make_villages, make_zones, zone_sets

from geo.coverage import union_coverage, zone_membership, zone_metrics
from geo.coverage.membership import FAST_PATH_MIN_VILLAGES
from geo.crs import metric_crs

coord = st.floats(min_value=-2_000, max_value=42_000, allow_nan=False)


def same(a, b) -> bool:
    return np.array_equal(a.sorted_pairs(), b.sorted_pairs())


def on_the_edges(zones, rng, k=40):
    """Points exactly on the zones: their vertices and points along their edges, in the metric CRS."""
    shapes = zones.geometry.to_crs(metric_crs(zones)).values
    vertices = shapely.get_coordinates(shapes)
    picks = vertices[rng.integers(0, len(vertices), size=min(k, len(vertices)))]
    along = [shapely.get_coordinates(shapely.line_interpolate_point(shapely.boundary(s) if s.geom_type != "LineString"
                                                                    else s, rng.uniform(), normalized=True))[0]
             for s in shapes[rng.integers(0, len(shapes), size=10)]]
    return np.vstack([picks, np.array(along)])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(zones=zone_sets(), xy=st.lists(st.tuples(coord, coord), min_size=1, max_size=80), seed=st.integers(0, 10**6))
def test_grid_engine_equals_the_simple_path_and_brute_force(zones, xy, seed):
    rng = np.random.default_rng(seed)
    points = np.vstack([np.array([at(x, y) for x, y in xy]), on_the_edges(zones, rng)])
    villages = make_villages(points)
    simple = zone_membership(zones, villages, engine="simple")
    grid = zone_membership(zones, villages, engine="grid")
    assert same(simple, grid)
    assert set(zip(grid.village_pos.tolist(), grid.zone_pos.tolist())) == brute_force_pairs(zones, villages)


def test_crossing_belts_overlapping_valleys_holes_and_multipolygons():
    holed = box(0, 0, 20_000, 20_000).difference(box(5_000, 5_000, 10_000, 10_000))
    multi = shapely.union(box(30_000, 0, 35_000, 5_000), box(40_000, 0, 45_000, 5_000))
    overlapping = box(15_000, 15_000, 25_000, 25_000)
    belt_a = LineString([at(-5_000, 10_000), at(50_000, 10_000)])
    belt_b = LineString([at(20_000, -5_000), at(20_000, 40_000)])
    zones = make_zones([holed, multi, overlapping, belt_a, belt_b], ["valley", "valley", "valley", "belt", "belt"],
                       [np.nan, np.nan, np.nan, 3.0, 1.5])
    rng = np.random.default_rng(1)
    random_points = np.column_stack([rng.uniform(-10_000, 55_000, 20_000) + 500_000,
                                     rng.uniform(-10_000, 45_000, 20_000) + 3_550_000])
    villages = make_villages(np.vstack([random_points, on_the_edges(zones, rng, k=400)]))
    simple = zone_membership(zones, villages, engine="simple")
    grid = zone_membership(zones, villages, engine="grid")
    assert same(simple, grid)
    assert len(simple.village_pos) > 5_000  # the case exercised something
    # villages in two zones (crossing belts, overlapping valleys) count once in the union
    union = union_coverage(zones, villages, 2014, membership=grid)
    assert union["villages_covered"] == len(np.unique(grid.village_pos))


@pytest.mark.parametrize("region", ["heishui", "yaan", "qu", "guizhou"])
def test_engine_on_the_seed_regions(region):
    from geo.region_data import load_region_data

    data = load_region_data(region)
    assert same(zone_membership(data.zones, data.villages, engine="simple"),
                zone_membership(data.zones, data.villages, engine="grid"))


def test_auto_uses_the_grid_for_many_villages_and_results_do_not_change(monkeypatch):
    from geo.coverage import membership as coverage

    zones = make_zones([box(0, 0, 30_000, 30_000), LineString([at(0, 0), at(30_000, 30_000)])], ["valley", "belt"],
                       [np.nan, 2.0])
    rng = np.random.default_rng(7)
    n = FAST_PATH_MIN_VILLAGES + 10
    villages = make_villages(np.column_stack([rng.uniform(500_000, 540_000, n), rng.uniform(3_550_000, 3_590_000, n)]))
    calls = []
    real = coverage.zone_index
    monkeypatch.setattr(coverage, "zone_index", lambda *a, **k: calls.append(1) or real(*a, **k))
    auto = zone_metrics(zones, villages, 2014)
    assert calls, "auto did not take the grid path for a large input"
    simple = zone_metrics(zones, villages, 2014, membership=zone_membership(zones, villages, engine="simple"))
    assert auto[["villages", "poor_population"]].equals(simple[["villages", "poor_population"]])


def test_index_and_projected_villages_are_cached():
    from geo.coverage import membership

    zones = make_zones([box(0, 0, 10_000, 10_000)], ["valley"])
    villages = make_villages([at(5, 5), at(20_000, 5)])
    builds_before = (membership._INDEXES.builds, membership._VILLAGE_XY.builds)
    zone_membership(zones, villages, engine="grid")
    first = (membership._INDEXES.builds, membership._VILLAGE_XY.builds)
    assert first == (builds_before[0] + 1, builds_before[1] + 1), "new inputs must be built once"
    for _ in range(3):
        zone_membership(zones, villages, engine="grid")
    assert (membership._INDEXES.builds, membership._VILLAGE_XY.builds) == first, "same inputs were rebuilt"


def test_bounded_cache_drops_the_least_recently_used_and_is_thread_safe():
    from concurrent.futures import ThreadPoolExecutor

    from geo.memo import BoundedCache

    cache = BoundedCache(max_entries=2)
    assert cache.get_or_make("a", lambda: 1) == 1
    assert cache.get_or_make("b", lambda: 2) == 2
    cache.get_or_make("a", lambda: 99)  # a is now the most recent
    cache.get_or_make("c", lambda: 3)
    assert "b" not in cache and "a" in cache and len(cache) == 2
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: cache.get_or_make(i % 5, lambda: i % 5), range(2_000)))
    assert len(cache) == 2


def test_unknown_engine_is_refused():
    zones = make_zones([box(0, 0, 10, 10)], ["valley"])
    with pytest.raises(ValueError, match="engine 'fast'"):
        zone_membership(zones, make_villages([at(1, 1)]), engine="fast")


def test_villages_in_many_zones_at_once_and_both_thread_splits_agree():
    """Every village in three identical valleys and three crossing belts: the kernels' output buffers must grow
    (more pairs than villages), and splitting the villages over threads changes nothing."""
    from geo.coverage.engine import PARALLEL_MIN_VILLAGES, ZoneIndex

    square = box(0, 0, 10_000, 10_000)
    belts = [LineString([at(-1_000, 5_000), at(11_000, 5_000)]), LineString([at(5_000, -1_000), at(5_000, 11_000)]),
             LineString([at(0, 0), at(10_000, 10_000)])]
    zones = make_zones([square, square, square, *belts], ["valley"] * 3 + ["belt"] * 3,
                       [np.nan, np.nan, np.nan, 30.0, 30.0, 30.0])
    rng = np.random.default_rng(3)
    n = PARALLEL_MIN_VILLAGES + 1_000
    villages = make_villages(np.column_stack([rng.uniform(500_100, 509_900, n), rng.uniform(3_550_100, 3_559_900, n)]))
    grid = zone_membership(zones, villages, engine="grid")
    assert len(grid.village_pos) == 6 * n  # every village in all six zones
    shapes = zones.geometry.to_crs(metric_crs(zones)).values
    index = ZoneIndex.build(shapes, (zones["kind"] == "belt").to_numpy(), np.full(6, 30_000.0))
    xy = shapely.get_coordinates(villages.geometry.to_crs(metric_crs(zones)).values)
    one = index.query(xy[:, 0], xy[:, 1], threads=1)
    two = index.query(xy[:, 0], xy[:, 1], threads=2)
    assert np.array_equal(np.sort(one[0].astype(np.int64) * 8 + one[1]), np.sort(two[0].astype(np.int64) * 8 + two[1]))
    with pytest.raises(ValueError, match="finite"):
        index.query(np.array([np.nan]), np.array([0.0]))
