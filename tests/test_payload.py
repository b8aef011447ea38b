"""Map payload budgets, in bytes of map HTML (never time): the national county layer, one county, 100k villages."""
import numpy as np
import pytest

from geo.boundaries import division_index, load_boundaries, load_boundary
from layers.base import atlas_map
from layers.boundaries import boundary_layer, display_tolerance_deg
from layers.villages import CLUSTER_THRESHOLD, villages_layer

MB = 1_000_000


def html_bytes(fmap) -> int:
    return len(fmap.get_root().render().encode("utf-8"))


@pytest.fixture(scope="module")
def all_counties():
    codes = division_index().query("level == 'county'")["adcode"].tolist()
    return load_boundaries(codes)


def test_all_counties_of_china_fit_in_5_mb(all_counties):
    assert len(all_counties) == 2875
    fmap = atlas_map(load_boundary("100000"), basemap_id="none")
    boundary_layer(all_counties, name="区县", tolerance_deg=display_tolerance_deg(len(all_counties))).add_to(fmap)
    size = html_bytes(fmap)
    assert size <= 5 * MB, f"{size:,} bytes"
    assert size > 1 * MB, "suspiciously small: were the counties drawn?"


def test_one_county_fits_in_1_mb():
    county = load_boundary("513228")
    fmap = atlas_map(county, basemap_id="none")
    boundary_layer(county, name="黑水县", tolerance_deg=display_tolerance_deg(1), labels=True).add_to(fmap)
    assert html_bytes(fmap) <= 1 * MB


def test_100k_villages_cost_at_most_2_5_mb():
    from geo.region_data import load_region_data

    data = load_region_data("guizhou")
    rng = np.random.default_rng(0)
    big = data.villages.iloc[rng.integers(0, len(data.villages), 100_000)].reset_index(drop=True)
    big["village_id"] = [f"v{i}" for i in range(len(big))]
    assert len(big) > CLUSTER_THRESHOLD
    fmap = atlas_map(data.outline, basemap_id="none")
    villages_layer(big, 2014).add_to(fmap)
    size = html_bytes(fmap)
    assert size <= 2.5 * MB, f"{size:,} bytes"
    assert "markerClusterGroup" in fmap.get_root().render() or "MarkerCluster" in fmap.get_root().render()


def test_the_national_per_county_choropleth_fits_in_5_mb(all_counties):
    import pandas as pd

    from geo.region_data import county_zones
    from layers.choropleth import choropleth_layer

    zones = county_zones(all_counties)
    values = pd.Series(np.random.default_rng(0).integers(0, 5000, len(zones)), index=zones.index)
    fmap = atlas_map(load_boundary("100000"), basemap_id="none")
    group, rows = choropleth_layer(zones, values, name="贫困人口", value_label="贫困人口",
                                   tolerance_deg=display_tolerance_deg(len(zones)), lang="zh")
    group.add_to(fmap)
    size = html_bytes(fmap)
    assert 1 * MB < size <= 5 * MB, f"{size:,} bytes"
    assert len(rows) == 5
