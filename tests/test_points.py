"""The typed-array village layer: payload bytes, quantisation error, the nearest village to a click, the display
datum, and (in Chromium) that 100k villages draw, hover and click right."""
import base64
import functools
import http.server
import json
import math
import os
import threading

import folium
import geopandas as gpd
import numpy as np
import pytest
from conftest import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, metres_between
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from geo.crs import wgs84_to_gcj02
from layers.assets import STATIC_DIR, asset_urls, use_local_assets
from layers.points import (
    TEXT_MAX_BYTES,
    UINT32_MAX_POINTS,
    PointsLayer,
    RecolourPoints,
    coordinate_bits,
    dequantise,
    nearest_village,
    quantisation_error_m,
    quantise,
    village_classes,
    village_point_styles,
    village_points_layer,
)

MB = 1_000_000
GUIZHOU = (103.6, 24.6, 109.6, 29.2)
CHINA = (73.5, 18.1, 135.1, 53.6)


def synthetic_villages(count: int, seed: int = 0, extent=GUIZHOU) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    lon = rng.uniform(extent[0], extent[2], count)
    lat = rng.uniform(extent[1], extent[3], count)
    poor_village = rng.random(count) < 0.3
    return gpd.GeoDataFrame({
        "village_id": [f"v{i}" for i in range(count)], "name": [f"{i}村" for i in range(count)],
        "poverty_village": poor_village, "identified_year": np.where(poor_village, 2014, np.nan),
        "exit_year": np.where(poor_village & (rng.random(count) < 0.5), 2016, np.nan),
        "poor_2016": rng.integers(0, 300, count),
    }, geometry=gpd.points_from_xy(lon, lat), crs=4326)


def the_points_layer(group: folium.FeatureGroup) -> PointsLayer:
    layers = [c for c in group._children.values() if isinstance(c, PointsLayer)]
    assert len(layers) == 1
    return layers[0]


def decoded(layer: PointsLayer) -> dict:
    """Return the layer's page payload with its coordinates dequantised (lon, lat) and classes decoded."""
    payload = json.loads(layer.payload_js)
    dtype = "<u2" if payload["bits"] == 16 else "<u4"
    qx = np.frombuffer(base64.b64decode(payload["x"]), dtype=dtype)
    qy = np.frombuffer(base64.b64decode(payload["y"]), dtype=dtype)
    payload["lon"], payload["lat"] = dequantise(qx, qy, payload["extent"], payload["bits"])
    payload["class_array"] = np.frombuffer(base64.b64decode(payload["classes"]), dtype=np.uint8)
    return payload


def test_a_million_villages_fit_in_8_mb_of_page():
    villages = synthetic_villages(1_000_000)
    fmap = folium.Map(tiles=None)
    group = village_points_layer(villages, 2016)
    group.add_to(fmap)
    size = len(fmap.get_root().render().encode("utf-8"))
    assert size <= 8 * MB, f"{size:,} bytes"
    layer = the_points_layer(group)
    assert layer.count == 1_000_000 and layer.bits == 16
    assert size >= 1_000_000 * 5 * 4 / 3, f"{size:,} bytes: smaller than the coordinates and classes themselves"
    assert not layer.has_names, "a million names cannot fit in the page budget"


def test_small_layers_carry_names_and_ids_and_the_script_is_served_locally():
    villages = synthetic_villages(500)
    fmap = folium.Map(tiles=None)
    village_points_layer(villages, 2016, gap_ids={"v3"}).add_to(fmap)
    use_local_assets(fmap)
    html = fmap.get_root().render()
    layer = the_points_layer(next(c for c in fmap._children.values() if isinstance(c, folium.FeatureGroup)))
    assert layer.has_names and layer.has_ids and layer.bits == 32
    payload = decoded(layer)
    assert payload["names"].split("\n")[3] == "3村" and payload["ids"].split("\n")[3] == "v3"
    assert payload["class_array"][3] >= 3 and (payload["class_array"][np.arange(500) != 3] < 3).all()
    assert "/app/static/js/valley_points.js" in asset_urls(fmap)
    assert (STATIC_DIR / "js" / "valley_points.js").is_file()
    assert all(u.startswith("/app/static/") for u in asset_urls(fmap)), asset_urls(fmap)
    assert "L.valleyPoints(" in html


def test_names_that_would_break_the_page_are_escaped_and_big_texts_are_left_out():
    layer = PointsLayer([104.0, 105.0], [26.0, 27.0], [0, 1], village_point_styles(),
                        names=["</script><b>", "a\nb"])
    assert "</script><b>" not in layer.payload_js
    assert json.loads(layer.payload_js)["names"] == "</script><b>\na b"
    n = TEXT_MAX_BYTES // 10 + 1
    big = PointsLayer(np.full(n, 104.0), np.full(n, 26.0), np.zeros(n, int), village_point_styles(),
                      names=["0123456789"] * n)
    assert not big.has_names


@pytest.mark.parametrize("count, bits", [(1, 32), (UINT32_MAX_POINTS, 32), (UINT32_MAX_POINTS + 1, 16)])
def test_coordinate_bits(count, bits):
    assert coordinate_bits(count) == bits


def test_stated_error_bounds():
    county = (102.5, 31.8, 103.5, 32.6)  # about 黑水县, 1° x 0.8°
    assert quantisation_error_m(county, 16) < 1.0
    assert quantisation_error_m(GUIZHOU, 16) < 7.0
    assert quantisation_error_m(CHINA, 16) < 60.0
    assert quantisation_error_m(CHINA, 32) < 0.002


extents = st.tuples(
    st.floats(73, 134), st.floats(18, 53), st.floats(1e-3, 62), st.floats(1e-3, 36),
).map(lambda e: (e[0], e[1], min(e[0] + e[2], 135.1), min(e[1] + e[3], 53.6)))


@settings(max_examples=300, deadline=None)
@given(extent=extents, fx=st.lists(st.floats(0, 1), min_size=1, max_size=20), fy=st.floats(0, 1),
       bits=st.sampled_from([16, 32]))
def test_any_point_inside_the_extent_comes_back_within_the_bound(extent, fx, fy, bits):
    lon = np.array([extent[0] + f * (extent[2] - extent[0]) for f in fx]).clip(extent[0], extent[2])
    lat = np.full(len(lon), extent[1] + fy * (extent[3] - extent[1])).clip(extent[1], extent[3])
    qx, qy = quantise(lon, lat, extent, bits)
    assert qx.dtype == (np.uint16 if bits == 16 else np.uint32)
    back_lon, back_lat = dequantise(qx, qy, extent, bits)
    step_x, step_y = (extent[2] - extent[0]) / (2**bits - 1), (extent[3] - extent[1]) / (2**bits - 1)
    assert np.all(np.abs(back_lon - lon) <= step_x / 2 * (1 + 1e-6) + 1e-12)
    assert np.all(np.abs(back_lat - lat) <= step_y / 2 * (1 + 1e-6) + 1e-12)
    assert np.all(metres_between(lon, lat, back_lon, back_lat) <= quantisation_error_m(extent, bits) + 1e-6)


def test_points_outside_the_extent_are_refused_with_a_count():
    with pytest.raises(ValueError, match=r"1 of 2 points lie outside the extent .* row 1, lon 110.0"):
        quantise([104.0, 110.0], [26.0, 26.0], GUIZHOU, 16)


def brute_force_nearest(villages, lon, lat, max_px, zoom):
    """The nearest village in screen pixels, one village at a time, through pyproj's Web Mercator (EPSG:3857)."""
    from pyproj import Transformer

    to_mercator = Transformer.from_crs(4326, 3857, always_xy=True)
    metres_per_px = 2 * math.pi * 6378137 / (256 * 2**zoom)
    cx, cy = to_mercator.transform(lon, lat)
    best, best_d = None, math.inf
    for label, point in zip(villages.index, villages.geometry):
        x, y = to_mercator.transform(point.x, point.y)
        d = math.hypot(x - cx, y - cy) / metres_per_px
        if d < best_d:
            best, best_d = label, d
    return (best if best_d <= max_px else None), best_d


@settings(max_examples=150, deadline=None)
@given(coords=st.lists(st.tuples(st.floats(104, 104.05), st.floats(26, 26.05)), min_size=1, max_size=40),
       click=st.tuples(st.floats(104, 104.05), st.floats(26, 26.05)), zoom=st.integers(8, 18),
       max_px=st.floats(1, 12))
def test_nearest_village_is_the_brute_force_nearest_within_the_pixels(coords, click, zoom, max_px):
    villages = gpd.GeoDataFrame({"village_id": [f"v{i}" for i in range(len(coords))]},
                                geometry=gpd.points_from_xy(*zip(*coords)), crs=4326, index=np.arange(len(coords)) * 7)
    expected, distance = brute_force_nearest(villages, *click, max_px, zoom)
    assume(abs(distance - max_px) > 1e-6)  # not on the edge of the search radius
    got = nearest_village(villages, *click, max_px=max_px, zoom=zoom)
    if got != expected:  # only a tie (two villages at the same pixel distance) may differ
        assert got is not None and expected is not None
        _, d_got = brute_force_nearest(villages.loc[[got]], *click, max_px, zoom)
        assert d_got == pytest.approx(distance, abs=1e-6)


def test_nearest_village_reads_projected_villages_and_says_none_when_far():
    villages = synthetic_villages(50, extent=(104.0, 26.0, 104.1, 26.1))
    target = villages.geometry.iloc[17]
    projected = villages.to_crs(32648)
    assert nearest_village(projected, target.x + 1e-6, target.y, max_px=5, zoom=14) == villages.index[17]
    assert nearest_village(villages, 105.0, 27.0, max_px=5, zoom=14) is None
    assert nearest_village(villages.iloc[:0], 104.0, 26.0, max_px=5, zoom=14) is None


def test_points_are_shifted_to_gcj02_for_a_gaode_map():
    villages = synthetic_villages(200)
    wgs = decoded(the_points_layer(village_points_layer(villages, 2016, datum="wgs84")))
    gcj = decoded(the_points_layer(village_points_layer(villages, 2016, datum="gcj02")))
    lon, lat = villages.geometry.x.to_numpy(), villages.geometry.y.to_numpy()
    expected_lon, expected_lat = wgs84_to_gcj02(lon, lat)
    bound = quantisation_error_m(gcj["extent"], gcj["bits"]) + 1e-3
    assert metres_between(gcj["lon"], gcj["lat"], expected_lon, expected_lat).max() <= bound
    assert metres_between(wgs["lon"], wgs["lat"], lon, lat).max() <= bound
    assert metres_between(gcj["lon"], gcj["lat"], lon, lat).min() > 100  # the shift was applied, not only computed


def test_village_classes_follow_status_and_gaps():
    villages = synthetic_villages(300)
    from geo.villages import village_status

    status = village_status(villages, 2016).to_numpy()
    classes = village_classes(villages, 2016, gap_ids={"v0", "v1"})
    assert classes.dtype == np.uint8
    assert (classes[2:][status[2:] == "poverty"] == 0).all() and (classes[2:][status[2:] == "other"] == 2).all()
    assert (classes[2:][status[2:] == "exited"] == 1).all()
    assert classes[0] == 3 + {"poverty": 0, "exited": 1, "other": 2}[status[0]]
    assert len(village_point_styles("en")) == 6


# ---- in Chromium: a standalone page (no Streamlit) with 100k villages --------------------------------------------

@pytest.fixture(scope="module")
def page_of_100k(tmp_path_factory):
    """Serve a standalone map of 100k synthetic villages on 127.0.0.1; yield (url, villages)."""
    folder = tmp_path_factory.mktemp("points-page")
    villages = synthetic_villages(100_000, seed=3)
    fmap = folium.Map(tiles=None, location=[26.9, 106.6], zoom_start=7)
    group = village_points_layer(villages, 2016, key="villages")
    group.add_to(fmap)
    assert the_points_layer(group).has_names
    use_local_assets(fmap)
    (folder / "app").mkdir()
    os.symlink(STATIC_DIR, folder / "app" / "static")
    fmap.save(str(folder / "index.html"))

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=folder))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/index.html", villages
    httpd.shutdown()


PIXEL_AT = """([x, y]) => {
    const canvas = document.querySelector('canvas.leaflet-valley-points'), box = canvas.getBoundingClientRect();
    const ratio = canvas.width / box.width;
    return Array.from(canvas.getContext('2d').getImageData(Math.floor((x - box.left) * ratio),
                                                           Math.floor((y - box.top) * ratio), 1, 1).data);
}"""
SCREEN_OF = """([i]) => {
    const layer = L.valleyPoints.registry.villages, map = layer._map;
    const p = map.latLngToContainerPoint(layer.latLngOf(i)), box = map.getContainer().getBoundingClientRect();
    return [p.x + box.left, p.y + box.top];
}"""


@pytest.mark.browser
def test_100k_villages_draw_and_a_hover_and_a_click_name_the_right_village(page_of_100k):
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail("Debian chromium is not installed (.ci/run installs it): apt-get install chromium fonts-noto-cjk")
    url, villages = page_of_100k
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1200, "height": 800})
        refused, errors = [], []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("http://127.0.0.1")
                   else (refused.append(route.request.url), route.abort()))
        page.goto(url, wait_until="load")
        page.wait_for_function("() => L.valleyPoints.registry.villages && L.valleyPoints.registry.villages.firstDraw")
        assert page.evaluate("() => L.valleyPoints.registry.villages.lastDraw.visible") == 100_000
        # where villages are, the canvas is painted; outside their extent it is blank
        rng = np.random.default_rng(5)
        for i in rng.integers(0, len(villages), 40):
            assert page.evaluate(PIXEL_AT, page.evaluate(SCREEN_OF, [int(i)]))[3] == 255, f"village {i} not drawn"
        box = page.evaluate("() => L.valleyPoints.registry.villages._map.getContainer().getBoundingClientRect()"
                            ".toJSON()")
        assert page.evaluate(PIXEL_AT, [box["left"] + 5, box["top"] + 5])[3] == 0
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "points_100k.png"))
        # zoom to one village: hover names it, a click reports it, and the server finds the same village
        target = int(rng.integers(len(villages)))
        page.evaluate("([i]) => { const l = L.valleyPoints.registry.villages; "
                      "l._map.setView(l.latLngOf(i), 14, {animate: false}); }", [target])
        where = page.evaluate(SCREEN_OF, [target])
        fill = page.evaluate(PIXEL_AT, where)
        page.mouse.move(*where)
        tooltip = page.locator(".va-point-tooltip")
        tooltip.wait_for(timeout=10_000)
        assert tooltip.inner_text().startswith(f"{target}村")
        page.evaluate("() => L.valleyPoints.registry.villages.on('click', e => { window.__clicked = e.layer.toGeoJSON(); })")
        page.mouse.click(*where)
        clicked = page.evaluate("() => window.__clicked")
        page.screenshot(path=str(ARTIFACTS / "points_100k_hover.png"))
        # a year change: new classes only; the same village is redrawn in its new colour
        recolour = RecolourPoints("villages", np.full(len(villages), 0 if the_class(villages, target) else 2))
        page.evaluate(f"() => {{ {recolour._template.module.script(recolour)} }}")
        recoloured = page.evaluate(PIXEL_AT, where)
        browser.close()
    assert clicked["properties"]["village_id"] == f"v{target}" and clicked["properties"]["point_index"] == target
    lon, lat = clicked["geometry"]["coordinates"]
    assert nearest_village(villages, lon, lat, max_px=6, zoom=14) == villages.index[target]
    style = village_point_styles()[the_class(villages, target)]
    assert "#{:02x}{:02x}{:02x}".format(*fill[:3]) == style.color, "the village's centre pixel is not its colour"
    new_color = village_point_styles()[0 if the_class(villages, target) else 2].color
    assert "#{:02x}{:02x}{:02x}".format(*recoloured[:3]) == new_color != style.color
    assert not refused and not errors, (refused, errors)


def the_class(villages, i):
    return int(village_classes(villages.iloc[[i]], 2016)[0])


def test_the_layer_passes_through_streamlit_folium_feature_groups():
    """st_folium(feature_group_to_add=...) renders a group's children as script and loads their JS links."""
    from streamlit_folium import _get_feature_group_string

    fmap = folium.Map(tiles=None)
    group = village_points_layer(synthetic_villages(50), 2016, key="villages")
    script = _get_feature_group_string(group, fmap)
    assert "L.valleyPoints({" in script
    assert ".addTo(feature_group_feature_group_0)" in script
    assert "map_div.addLayer(feature_group_feature_group_0)" in script
    assert "/app/static/js/valley_points.js" in asset_urls(fmap)  # st_folium loads js links from the map's tree


def test_recolouring_sends_only_the_classes():
    villages = synthetic_villages(100_000)
    recolour = RecolourPoints("villages", village_classes(villages, 2018))
    fmap = folium.Map(tiles=None)
    group = folium.FeatureGroup()
    recolour.add_to(group)
    group.add_to(fmap)
    script = recolour._template.module.script(recolour)
    assert 'L.valleyPoints.setClasses("villages", "' in script
    assert len(script) < 100_000 * 4 / 3 + 200  # one byte per village, base64
