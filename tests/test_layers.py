"""Layer builders: what a user would see in the map HTML."""
import json
import re

import numpy as np
import pytest
from conftest import geojson_payloads

from geo.boundaries import load_boundary
from layers.assets import LOCAL_ASSETS, STATIC_DIR, MissingLocalAsset, asset_urls, use_local_assets
from layers.base import atlas_map
from layers.basemaps import basemaps
from layers.boundaries import boundary_layer


def render(fmap) -> str:
    return fmap.get_root().render()


@pytest.fixture(scope="module")
def heishui():
    return load_boundary("513228")


def test_boundary_layer_puts_wgs84_coordinates_in_the_html(heishui):
    fmap = atlas_map(heishui, lang="zh")
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
    html = render(atlas_map(heishui, lang=lang))
    assert "va-datum-badge" in html and json.dumps(text) in html


def test_every_script_and_stylesheet_is_served_by_the_app(heishui):
    fmap = atlas_map(heishui)
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
        assert basemap.kind in {"tiles", "terrain", "none"}
        if basemap.kind == "tiles":
            assert basemap.url and "{z}" in basemap.url and basemap.attribution
        else:
            assert basemap.url is None


def test_the_default_basemap_is_the_offline_terrain():
    from layers.basemaps import default_basemap_id

    assert default_basemap_id() == "terrain"
    assert basemaps()["terrain"].kind == "terrain" and basemaps()["terrain"].name("zh") == "地形（离线）"
    assert [b.id for b in basemaps().values() if b.default] == ["terrain"]


def test_none_basemap_has_no_tiles(heishui):
    html = render(atlas_map(heishui, basemap_id="none"))
    assert "tile.openstreetmap" not in html and "L.tileLayer" not in html
    html = render(atlas_map(heishui, basemap_id="osm"))
    assert "L.tileLayer" in html


# ------------------------------------------------------------------------------------------- datums on the map
def first_vertex(html):
    payloads = geojson_payloads(html)
    coords = payloads[0]["features"][0]["geometry"]["coordinates"]
    while isinstance(coords[0], list):
        coords = coords[0]
    return coords


@pytest.mark.parametrize("basemap_id, expected_shift_m", [("osm", 0.0), ("tianditu_vec", 0.0), ("gaode", 310.0)])
def test_overlays_are_shifted_to_the_basemap_datum(heishui, basemap_id, expected_shift_m):
    from conftest import metres_between

    from geo.crs import wgs84_to_gcj02

    fmap = atlas_map(heishui, basemap_id=basemap_id, token="test-key")
    boundary_layer(heishui, name="x", datum=basemaps()[basemap_id].datum).add_to(fmap)
    lon, lat = first_vertex(render(fmap))
    ours = heishui.geometry.iloc[0].geoms[0].exterior.coords[0]
    shift = metres_between(ours[0], ours[1], lon, lat)
    assert abs(shift - expected_shift_m) < 40, f"{basemap_id}: vertex moved {shift:.0f} m"
    if basemap_id == "gaode":
        g_lon, g_lat = wgs84_to_gcj02(ours[0], ours[1])
        assert abs(lon - g_lon) < 2e-5 and abs(lat - g_lat) < 2e-5


def test_village_and_zone_layers_follow_the_datum():
    from geo.region_data import load_region_data
    from layers.villages import village_records
    from layers.zones import zones_layer

    data = load_region_data("heishui")
    wgs = village_records(data.villages, 2014, datum="wgs84")
    gcj = village_records(data.villages, 2014, datum="gcj02")
    from conftest import metres_between
    d = metres_between(wgs[0][1], wgs[0][0], gcj[0][1], gcj[0][0])
    assert 250 < d < 400
    fmap = atlas_map(data.outline, basemap_id="gaode")
    zones_layer(data.zones, datum="gcj02").add_to(fmap)
    html = render(fmap)
    assert "GCJ-02" in html  # the datum badge says so


def test_click_on_a_gaode_map_is_shifted_back():
    from geo.crs import wgs84_to_gcj02
    from layers.display import click_to_wgs84

    g_lon, g_lat = wgs84_to_gcj02(103.0, 32.0)
    lon, lat = click_to_wgs84(float(g_lon), float(g_lat), "gcj02")
    assert abs(lon - 103.0) < 1e-9 and abs(lat - 32.0) < 1e-9
    assert click_to_wgs84(103.0, 32.0, "wgs84") == (103.0, 32.0)


def test_tianditu_without_a_key_says_how_to_configure_it(heishui, monkeypatch):
    from layers.basemaps import MissingToken, basemap_layers, resolve_token

    monkeypatch.delenv("TIANDITU_TOKEN", raising=False)
    assert resolve_token(basemaps()["tianditu_vec"]) is None
    with pytest.raises(MissingToken, match="TIANDITU_TOKEN"):
        atlas_map(heishui, basemap_id="tianditu_vec")
    monkeypatch.setenv("TIANDITU_TOKEN", "abc123")
    token = resolve_token(basemaps()["tianditu_vec"])
    assert token == "abc123"
    layers = basemap_layers("tianditu_img", token=token)
    assert len(layers) == 2 and all("tk=abc123" in layer.tiles for layer in layers)  # imagery + annotation
    assert resolve_token(basemaps()["tianditu_vec"], {"TIANDITU_TOKEN": "s3cret"}) == "abc123"  # env wins
    monkeypatch.delenv("TIANDITU_TOKEN")
    assert resolve_token(basemaps()["tianditu_vec"], {"TIANDITU_TOKEN": "s3cret"}) == "s3cret"


def test_every_provider_has_url_attribution_and_datum():
    ids = set(basemaps())
    assert {"osm", "tianditu_vec", "tianditu_img", "gaode", "none"} <= ids
    assert basemaps()["gaode"].datum == "gcj02" and basemaps()["tianditu_vec"].datum == "cgcs2000"


def test_choropleth_classes_and_legend():
    import pandas as pd

    from geo.region_data import load_region_data
    from layers.choropleth import YLORRD_5, choropleth_layer, classify

    classes, bounds = classify(pd.Series([1, 2, 3, 10, 11, 12, 50, 51, 100, 101]))
    assert len(bounds) == 5 and bounds[-1] == 101 and classes.min() == 0 and classes.max() == 4
    data = load_region_data("heishui")
    values = pd.Series(range(6), index=data.zones.index, dtype=float)
    group, rows = choropleth_layer(data.zones, values, name="c", value_label="v", lang="zh")
    assert len(rows) == 5
    fmap = atlas_map(data.outline)
    group.add_to(fmap)
    html = render(fmap)
    assert YLORRD_5[-1] in html and YLORRD_5[0] in html


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_choropleth_tooltips_name_zones_in_the_ui_language(lang):
    import pandas as pd

    from geo.region_data import load_region_data
    from layers.choropleth import choropleth_layer

    data = load_region_data("heishui")
    group, _ = choropleth_layer(data.zones, pd.Series(range(6), index=data.zones.index, dtype=float), name="c",
                                value_label="v", lang=lang)
    fmap = atlas_map(data.outline)
    group.add_to(fmap)
    names = {p["name"] for payload in geojson_payloads(render(fmap)) for p in
             (f["properties"] for f in payload.get("features", [])) if "name" in p}
    assert names == set(data.zones[f"name_{lang}"])


def test_county_boundaries_carry_name_labels():
    from geo.boundaries import region_divisions

    outline, counties = region_divisions("511800")
    fmap = atlas_map(outline)
    boundary_layer(counties, name="区县", labels=True).add_to(fmap)
    html = render(fmap)
    assert html.count('class=\\"va-county-label\\"') + html.count('class="va-county-label"') == 8
    assert "\\u5929\\u5168\\u53bf" in html or "天全县" in html


# ------------------------------------------------------------------------------------------- offline terrain
@pytest.fixture(scope="module")
def heishui_terrain(heishui):
    from geo.terrain.dem import region_dem
    from geo.terrain.hillshade import display_elevation, terrain_image

    dem = region_dem(heishui)
    return terrain_image(dem, outline=heishui, colors=256), display_elevation(dem)


def test_terrain_basemap_inlines_its_image_under_every_layer(heishui, heishui_terrain):
    """No request leaves the page: the image is a data: URL, in a pane under the overlay pane, no tile layer."""
    image, readout = heishui_terrain
    fmap = atlas_map(heishui, basemap_id="terrain", terrain=image, readout=readout)
    boundary_layer(heishui, name="x").add_to(fmap)
    html = render(fmap)
    assert "L.tileLayer" not in html
    assert re.search(r'L\.imageOverlay\(\s*"data:image/png;base64,', html)
    assert '"pane": "va-terrain"' in html and "createPane" in html
    assert "va-elevation" in html  # the read-out on hover
    urls = re.findall(r'https?://[^"\s\')]+', html)
    assert not [u for u in urls if "leaflet" not in u and "w3.org" not in u and "/app/static" not in u], urls[:5]
    assert len(image.png) < 300_000, "the inlined image should stay small (a palette PNG)"


@pytest.mark.parametrize("datum, shift_m", [("wgs84", 0.0), ("gcj02", 310.0)])
def test_terrain_image_bounds_follow_the_display_datum(heishui_terrain, datum, shift_m):
    from conftest import metres_between

    from layers.terrain import display_image_bounds

    image, _ = heishui_terrain
    (south, west), _ = image.bounds
    (s2, w2), _ = display_image_bounds(image.bounds, datum)
    assert abs(metres_between(west, south, w2, s2) - shift_m) < 40


def test_terrain_overlay_over_gaode_is_shifted_and_translucent(heishui, heishui_terrain):
    image, readout = heishui_terrain
    html = render(atlas_map(heishui, basemap_id="gaode", terrain=image, readout=readout))
    assert "L.tileLayer" in html and "data:image/png;base64," in html
    assert '"opacity": 0.5' in html
    bounds = json.loads(re.search(r'L\.imageOverlay\(\s*"data:image/png;base64,[^"]+",\s*(\[\[.*?\]\])', html,
                                  re.S).group(1))
    from conftest import metres_between

    (south, west), _ = image.bounds
    assert 250 < metres_between(west, south, bounds[0][1], bounds[0][0]) < 400  # moved to GCJ-02 like the outline


def test_terrain_image_fades_outside_the_region(heishui_terrain):
    import io

    from PIL import Image

    image, _ = heishui_terrain
    picture = Image.open(io.BytesIO(image.png)).convert("RGBA")
    alpha = np.asarray(picture)[..., 3]
    assert alpha[0, 0] < 200 and alpha[alpha.shape[0] // 2, alpha.shape[1] // 2] >= 250  # palette: ±a few
    assert 512 <= max(picture.size) <= 1024
