"""The grid index of many zones is kept on disk and read back identical (issue 17: the national index)."""
import geopandas as gpd
import numpy as np
import shapely

from geo.coverage import membership
from geo.memo import BoundedCache


def grid_of_squares(n_side: int) -> gpd.GeoDataFrame:
    """Return n_side² square zones of 0.01° over 104-105°E, 26-27°N (kind 'county'), in WGS84."""
    step = 1.0 / n_side
    boxes = [shapely.box(104 + i * step, 26 + j * step, 104 + (i + 1) * step, 26 + (j + 1) * step)
             for i in range(n_side) for j in range(n_side)]
    return gpd.GeoDataFrame({"zone_id": [f"z{k}" for k in range(len(boxes))], "kind": "county",
                             "half_width_km": np.nan}, geometry=boxes, crs=4326)


def test_a_large_index_is_written_once_and_read_back_with_identical_results(tmp_path, monkeypatch):
    monkeypatch.setenv("VALLEY_ATLAS_CACHE", str(tmp_path))
    monkeypatch.setattr(membership, "_INDEXES", BoundedCache(max_entries=2))
    zones = grid_of_squares(25)  # 625 zones: at least INDEX_ON_DISK_FROM_ZONES
    assert len(zones) >= membership.INDEX_ON_DISK_FROM_ZONES
    rng = np.random.default_rng(3)
    villages = gpd.GeoDataFrame(geometry=gpd.points_from_xy(rng.uniform(103.9, 105.1, 25_000),
                                                            rng.uniform(25.9, 27.1, 25_000)), crs=4326)
    built = membership.zone_membership(zones, villages, engine="grid")
    files = list(tmp_path.glob("indexes/engine-*/*.pickle"))
    assert len(files) == 1
    monkeypatch.setattr(membership, "_INDEXES", BoundedCache(max_entries=2))  # a new process: memory empty
    read = membership.zone_membership(zones, villages, engine="grid")
    simple = membership.zone_membership(zones, villages, engine="simple")
    assert np.array_equal(built.sorted_pairs(), simple.sorted_pairs())
    assert np.array_equal(read.sorted_pairs(), simple.sorted_pairs())


def test_a_damaged_index_file_is_built_again(tmp_path, monkeypatch):
    monkeypatch.setenv("VALLEY_ATLAS_CACHE", str(tmp_path))
    monkeypatch.setattr(membership, "_INDEXES", BoundedCache(max_entries=2))
    zones = grid_of_squares(25)
    villages = gpd.GeoDataFrame(geometry=gpd.points_from_xy([104.5, 104.01], [26.5, 26.99]), crs=4326)
    first = membership.zone_membership(zones, villages, engine="grid")
    (path,) = tmp_path.glob("indexes/engine-*/*.pickle")
    path.write_bytes(b"not a pickle")
    monkeypatch.setattr(membership, "_INDEXES", BoundedCache(max_entries=2))
    again = membership.zone_membership(zones, villages, engine="grid")
    assert np.array_equal(first.sorted_pairs(), again.sorted_pairs())
