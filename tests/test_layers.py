"""Layer builders: what a user would see in the map HTML."""
import json
import re

import numpy as np
import pytest

from conftest import geojson_payloads

from geo.boundaries import load_boundary
from layers.assets import STATIC_DIR, LOCAL_ASSETS, MissingLocalAsset, asset_urls, use_local_assets
from layers.base import atlas_map
from layers.basemaps import basemaps
from layers.boundaries import boundary_layer


def render(fmap) -> str:
    return fmap.get_root().render()


@pytest.fixture(scope="module")
def heishui():
    return load_boundary("513228")


def test_boundary_layer_puts_wgs84_coordinates_in_the_html(heishui):
    fmap = atlas_map(heishui.total_bounds, lang="zh")
    boundary_layer(heishui, name="行政区界线").add_to(fmap)
    html = render(fmap)
    [data] = geojson_payloads(html)
    coords = np.array(data["features"][0]["geometry"]["coordinates"][0][0])
    # longitude/latitude degrees at 黑水, never projected metres
    assert coords[:, 0].min() > 102 and coords[:, 0].max() < 104
    assert coords[:, 1].min() > 31.5 and coords[:, 1].max() < 32.7
    # our WGS84 vertex, not the GCJ-02 one of the package
    ours = np.array(heishui.geometry.iloc[0].geoms[0].exterior.coords[0])
    assert np.abs(coords[0] - ours).max() < 1e-5
    assert data["features"][0]["properties"] == {"adcode": "513228", "name": "黑水县"}


@pytest.mark.parametrize("lang, text", [("zh", "坐标系：WGS84"), ("en", "Datum: WGS84")])
def test_map_shows_its_datum(heishui, lang, text):
    html = render(atlas_map(heishui.total_bounds, lang=lang))
    assert "va-datum-badge" in html and json.dumps(text) in html


def test_every_script_and_stylesheet_is_served_by_the_app(heishui):
    fmap = atlas_map(heishui.total_bounds)
    html = render(fmap)
    urls = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
    assert urls, "no asset URLs found: the scan is broken"
    assert all(u.startswith("/app/static/") for u in urls), urls
    for url in asset_urls(fmap):
        assert (STATIC_DIR / url.removeprefix("/app/static/")).exists(), url


def test_local_asset_table_points_at_files_that_exist():
    for name, path in LOCAL_ASSETS.items():
        if path is not None:
            assert (STATIC_DIR / path).exists(), name


def test_unknown_cdn_asset_is_refused():
    import folium

    fmap = folium.Map(tiles=None)

    class Plugin(folium.MacroElement):
        default_js = [("mystery", "https://cdn.example/mystery.js")]

    fmap.add_child(Plugin())
    with pytest.raises(MissingLocalAsset, match="mystery"):
        use_local_assets(fmap)


def test_basemap_registry_entries_are_complete():
    for basemap in basemaps().values():
        assert basemap.datum in {"wgs84", "cgcs2000", "gcj02", "bd09"}
        if basemap.id != "none":
            assert basemap.url and "{z}" in basemap.url and basemap.attribution


def test_none_basemap_has_no_tiles(heishui):
    html = render(atlas_map(heishui.total_bounds, basemap_id="none"))
    assert "tile.openstreetmap" not in html and "L.tileLayer" not in html
    html = render(atlas_map(heishui.total_bounds, basemap_id="osm"))
    assert "L.tileLayer" in html
