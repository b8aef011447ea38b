"""What only a browser shows: the map draws with the county outline, and Chinese text renders as glyphs."""
import os
import shutil

import pytest
from conftest import ARTIFACTS, CHROMIUM, StreamlitServer, add_account, browser_sign_in, map_frame

pytestmark = pytest.mark.browser
CJK_FAMILIES = ("Noto Sans CJK", "Noto Serif CJK", "WenQuanYi", "Noto Sans SC")


@pytest.fixture(scope="module")
def server():
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.fail("Debian chromium is not installed (.ci/run installs it): apt-get install chromium fonts-noto-cjk")
    add_account(os.environ["VALLEY_ATLAS_WORKSPACE"], "tester", ["editor"], ["suining", "heishui"])  # writes need one
    srv = StreamlitServer()
    yield srv
    srv.stop()


def test_map_draws_the_county_outline_with_chinese_labels(server, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(server.url, wait_until="domcontentloaded")
    page.get_by_role("heading", name="黑水县").wait_for(timeout=60_000)
    frame = map_frame(page)
    outline = frame.locator("path.leaflet-interactive")
    outline.first.wait_for(timeout=30_000)
    assert outline.count() >= 1
    box = outline.first.bounding_box()
    assert box and box["width"] > 200 and box["height"] > 150, f"outline too small to be the county: {box}"
    badge = frame.locator(".va-datum-badge")
    assert badge.inner_text() == "坐标系：WGS84"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "map_heishui.png"), full_page=True)
    fonts = fonts_used_for_heading(page)
    assert any(family.startswith(CJK_FAMILIES) for family in fonts), f"Chinese heading drawn with {fonts}"
    assert not errors, errors
    page.close()


def fonts_used_for_heading(page):
    from conftest import fonts_rendering

    return fonts_rendering(page, "h2")


def test_map_draws_zones_villages_legend_and_the_illustrative_flag(server, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(server.url, wait_until="domcontentloaded")
    page.get_by_role("heading", name="黑水县").wait_for(timeout=60_000)
    frame = map_frame(page)
    labels = frame.locator(".va-zone-label")
    labels.first.wait_for(timeout=30_000)
    assert labels.count() == 6
    assert "果蔬中蜂民俗沟" in labels.all_inner_texts()[0] or "果蔬中蜂民俗沟" in " ".join(labels.all_inner_texts())
    # 6 zones + 1 outline as SVG paths; the 100 villages on one canvas (layers/points.py), all drawn
    frame.locator("path.leaflet-interactive").nth(6).wait_for(timeout=30_000)
    frame.locator("canvas.leaflet-valley-points").wait_for(timeout=30_000)
    drawn = frame.locator("body").evaluate("""() => new Promise(done => {
        var tries = 0, poll = setInterval(function () {
            var l = L.valleyPoints.registry.villages;
            if ((l && l.lastDraw && l.lastDraw.visible) || ++tries > 100) { clearInterval(poll); done(l.lastDraw.visible); }
        }, 100);
    })""")
    assert drawn == 100
    legend_text = frame.locator(".va-legend").inner_text()
    assert "贫困村" in legend_text and "图例" in legend_text
    assert "示意" in frame.locator(".va-illustrative").inner_text()
    page.screenshot(path=str(ARTIFACTS / "map_heishui_zones.png"), full_page=True)
    page.close()


def test_shared_link_to_coverage_opens_whole_on_a_fresh_server(browser):
    """A fresh server's first run goes through Streamlit's legacy pages/ mode: the page must still get the sidebar."""
    fresh = StreamlitServer()
    try:
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(f"{fresh.url}/coverage", wait_until="domcontentloaded")
        page.get_by_role("heading", name="黑水县 · 2014").wait_for(timeout=60_000)
        page.get_by_text("地区", exact=True).first.wait_for(timeout=30_000)  # the shared sidebar is there
        assert page.get_by_text("common", exact=True).count() == 0, "pages/common.py shown as a page"
        page.screenshot(path=str(ARTIFACTS / "coverage_heishui.png"), full_page=True)
        page.close()
    finally:
        fresh.stop()


def test_clicking_a_zone_shows_its_metrics_and_the_map_keeps_its_view(server, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{server.url}/?region=heishui&year=2014", wait_until="domcontentloaded")
    page.get_by_role("heading", name="黑水县").wait_for(timeout=60_000)
    frame = map_frame(page)
    frame.locator(".va-zone-label").first.wait_for(state="attached", timeout=30_000)
    page.wait_for_timeout(1500)
    # move the map as a user would, and mark the page so that a reload would show
    inner = page.frame_locator("iframe[title*='streamlit_folium']").first.locator("body")
    inner.evaluate("() => { window.__still_here = true; window.map.setView([32.10, 102.95], 10); }")
    page.wait_for_timeout(2500)
    view_before = inner.evaluate("() => [window.map.getCenter().lat, window.map.getCenter().lng, window.map.getZoom()]")
    # click the zone under the map's centre (a polygon, not a village: fire the click on the zone layer itself)
    zone_id = inner.evaluate("""() => {
        let hit = null;
        window.map.eachLayer(l => {
            if (!hit && l.feature && l.feature.properties && l.feature.properties.zone_id && l.getBounds &&
                l.getBounds().contains(window.map.getCenter())) { hit = l; }
        });
        hit.fire('click', {latlng: window.map.getCenter(), target: hit, sourceTarget: hit, layer: hit});
        return hit.feature.properties.zone_id;
    }""")
    page.get_by_text("分区：").first.wait_for(timeout=30_000)
    page.locator("[data-testid=stMetric]", has_text="贫困村").first.wait_for(timeout=30_000)
    assert f"zone={zone_id}" in page.url
    page.wait_for_timeout(1500)
    assert inner.evaluate("() => window.__still_here === true"), "the map reloaded after the click"
    view_after = inner.evaluate("() => [window.map.getCenter().lat, window.map.getCenter().lng, window.map.getZoom()]")
    assert view_after == pytest.approx(view_before, abs=1e-6)
    page.close()


def test_map_draws_with_the_network_unreachable(server, browser):
    """An intranet: every request that is not to the app is refused. The map still draws (outline, zones)."""
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    refused = []

    def only_the_app(route):
        if route.request.url.startswith(server.url):
            route.continue_()
        else:
            refused.append((route.request.resource_type, route.request.url))
            route.abort()

    page.route("**/*", only_the_app)
    page.goto(f"{server.url}/?region=heishui&basemap=none", wait_until="domcontentloaded")
    page.get_by_role("heading", name="黑水县").wait_for(timeout=60_000)
    frame = map_frame(page)
    frame.locator("path.leaflet-interactive").nth(6).wait_for(timeout=30_000)
    frame.locator("canvas.leaflet-valley-points").wait_for(timeout=30_000)
    assert frame.locator(".va-zone-label").count() == 6
    needed = [(kind, url) for kind, url in refused if kind in ("script", "stylesheet", "font", "xhr", "fetch")]
    assert not needed, f"the app needed assets from outside: {needed}"
    assert not refused, f"basemap 'none' still asked the outside for {refused[:5]}"
    page.close()


def test_presentation_mode_screenshot_has_chinese_legend_glyphs(server, browser):
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    page.goto(f"{server.url}/?region=yaan&year=2014&present=1&basemap=none", wait_until="domcontentloaded")
    frame = map_frame(page)
    frame.locator(".va-legend").wait_for(timeout=30_000)
    frame.locator(".va-title").wait_for(timeout=30_000)
    assert not page.locator("section[data-testid='stSidebar']").is_visible()
    assert "雅安市" in frame.locator(".va-title").inner_text()
    page.wait_for_timeout(1000)
    page.screenshot(path=str(ARTIFACTS / "presentation_yaan.png"))
    from conftest import fonts_rendering_in_frame
    for selector, glyphs in ((".va-legend summary", 2), (".va-title", 8)):  # "图例"; "雅安市 · 2014 年 · 覆盖情况"
        fonts = fonts_rendering_in_frame(page, selector)
        cjk = sum(n for family, n in fonts.items() if family.startswith(CJK_FAMILIES))
        assert cjk >= glyphs, f"{selector} drawn with {fonts}"
    page.close()


def test_briefing_page_downloads_the_png(server, browser, tmp_path):
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page.goto(f"{server.url}/briefing?region=yaan&year=2014", wait_until="domcontentloaded")
    button = page.get_by_role("button", name="下载 PNG")
    button.wait_for(timeout=90_000)
    with page.expect_download(timeout=60_000) as info:
        button.click()
    download = info.value
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    assert download.suggested_filename.endswith(".png") and "雅安市" in download.suggested_filename
    from PIL import Image
    image = Image.open(path)
    assert image.size == (2338, 1654)
    page.screenshot(path=str(ARTIFACTS / "briefing_yaan.png"), full_page=True)
    page.close()


def test_upload_a_csv_see_the_report_confirm_and_see_it_in_the_metrics(server, browser, tmp_path):
    csv = tmp_path / "我的村庄.csv"
    csv.write_text("村名,经度,纬度,户籍人口,贫困村,2014\n"
                   "上传村甲,102.99,32.07,800,是,120\n上传村乙,103.10,32.10,600,否,30\n"
                   "上传村丙,330,32.10,600,否,30\n", encoding="gbk")
    page = browser.new_page(viewport={"width": 1400, "height": 1200})
    page.goto(f"{server.url}/data?region=suining", wait_until="domcontentloaded")
    page.get_by_role("heading", name="导入与绘制 · 绥宁县").wait_for(timeout=60_000)
    browser_sign_in(page, "tester")
    page.locator("input[type=file]").set_input_files(str(csv))
    page.get_by_text("检查结果：1 个错误").wait_for(timeout=60_000)
    page.get_by_text("错误（必须修正后才能导入）").wait_for(timeout=30_000)  # the table itself is drawn on a canvas
    page.get_by_role("button", name="撤销最近一次保存").wait_for(timeout=30_000)  # the page has finished drawing
    assert page.get_by_role("button", name="确认导入到工作区").count() == 0, "errors must block the import"
    # another file with other headers, in the same session: its own columns are guessed afresh
    english = tmp_path / "villages_en.csv"
    english.write_text("name,lng,lat,rural_population,2014\nVillage A,110.15,26.58,800,120\n", encoding="utf-8")
    page.locator("input[type=file]").set_input_files(str(english))
    page.get_by_text("检查结果：0 个错误").wait_for(timeout=60_000)
    page.close()
    # the fixed file, in a new session: the report is clean and the import can be confirmed
    csv.write_text("村名,经度,纬度,户籍人口,贫困村,2014\n"
                   "上传村甲,110.15,26.58,800,是,120\n上传村乙,110.10,26.60,600,否,30\n", encoding="gbk")
    page = browser.new_page(viewport={"width": 1400, "height": 1200})
    page.goto(f"{server.url}/data?region=suining", wait_until="domcontentloaded")
    page.get_by_role("heading", name="导入与绘制 · 绥宁县").wait_for(timeout=60_000)
    browser_sign_in(page, "tester")
    page.locator("input[type=file]").set_input_files(str(csv))
    page.get_by_text("检查结果：0 个错误").wait_for(timeout=60_000)
    page.get_by_role("button", name="确认导入到工作区").click()
    page.get_by_text("已保存到工作区").wait_for(timeout=60_000)
    page.goto(f"{server.url}/coverage?region=suining&year=2014", wait_until="domcontentloaded")
    page.get_by_role("heading", name="绥宁县 · 2014").wait_for(timeout=60_000)
    page.get_by_text("共 150").wait_for(timeout=30_000)  # 120 + 30 poor people, the imported file's
    assert page.get_by_text("示意数据").count() == 0, "user data must not carry the 示意 label"
    page.screenshot(path=str(ARTIFACTS / "data_import_suining.png"), full_page=True)
    page.goto(f"{server.url}/data?region=suining", wait_until="domcontentloaded")  # leave the shared workspace as
    browser_sign_in(page, "tester")
    page.get_by_role("button", name="撤销最近一次保存").click()  # it was, for the tests that follow
    page.get_by_text("已撤销").wait_for(timeout=60_000)
    page.close()


def test_draw_a_valley_zone_see_its_coverage_save_it_and_undo(server, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1300})
    page.goto(f"{server.url}/data?region=heishui&year=2014", wait_until="domcontentloaded")
    page.get_by_role("heading", name="导入与绘制 · 黑水县").wait_for(timeout=60_000)
    browser_sign_in(page, "tester")
    page.get_by_text("在地图上绘制").click()
    frame = map_frame(page)
    tool = frame.locator("a.leaflet-draw-draw-polygon")
    tool.wait_for(timeout=30_000)  # Leaflet.draw came from the app's own static files
    box = frame.locator(".leaflet-container").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    tool.click()
    for dx, dy in ((-120, -90), (120, -90), (120, 90), (-120, 90)):
        page.mouse.click(cx + dx, cy + dy)
        page.wait_for_timeout(150)
    page.mouse.click(cx - 120, cy - 90)  # back on the first vertex closes the polygon
    page.get_by_text("所绘分区的覆盖情况（2014 年）").wait_for(timeout=60_000)
    page.screenshot(path=str(ARTIFACTS / "draw_zone_heishui.png"), full_page=True)
    page.get_by_role("button", name="保存所绘的 1 个分区到工作区").click()
    page.get_by_text("已保存到工作区").wait_for(timeout=60_000)
    page.get_by_text("工作区中已保存的分区").wait_for(timeout=60_000)
    page.get_by_role("button", name="撤销最近一次保存").click()  # leave the shared workspace as it was
    page.get_by_text("已撤销").wait_for(timeout=60_000)
    page.close()


def test_the_whole_country_draws_on_a_canvas(server, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{server.url}/?region=100000&basemap=none", wait_until="domcontentloaded")
    page.get_by_role("heading", name="全国").wait_for(timeout=300_000)  # 2,875 boundaries: a minute when cold
    frame = map_frame(page)
    frame.locator("canvas").first.wait_for(timeout=120_000)  # thousands of polygons: one canvas, not SVG paths
    assert frame.locator("path.leaflet-interactive").count() == 0
    page.wait_for_timeout(1500)
    page.screenshot(path=str(ARTIFACTS / "national.png"))
    page.close()
