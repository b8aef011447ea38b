"""The living atlas in a real browser: import the 示意 monitoring example on the data page, pick 2024 and the
monitored-people indicator, see the choropleth on the map and the card on the briefing page."""
import pytest
from conftest import ARTIFACTS, browser_sign_in, map_frame

pytestmark = pytest.mark.browser


def test_import_the_example_then_the_2024_choropleth_and_card(editor_server, browser, editor_workspace):
    from geo.workspace import Workspace

    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    page.goto(f"{editor_server.url}/data?region=heishui", wait_until="domcontentloaded")
    page.get_by_role("heading", name="导入与绘制 · 黑水县").wait_for(timeout=60_000)
    browser_sign_in(page, "hei")
    page.get_by_role("button", name="导入示意监测数据（黑水 2021—2025）").click()
    page.get_by_text("已保存到工作区").wait_for(timeout=120_000)
    assert len(Workspace(editor_workspace).read_indicators("heishui")[0]) == 7000
    # the map: 2024, monitored people, the choropleth layer (a link carries all three)
    page.goto(f"{editor_server.url}/?region=heishui&year=2024&indicator=monitored_people&layers=choropleth,villages",
              wait_until="domcontentloaded")
    frame = map_frame(page)
    legend = frame.locator(".va-legend")
    legend.wait_for(timeout=60_000)
    assert "监测对象人数（人） · 2024" in legend.inner_text()
    assert frame.locator("path.leaflet-interactive").count() >= 6  # the six valleys, filled by class
    page.get_by_text("示意").first.wait_for(timeout=30_000)
    page.wait_for_timeout(1500)
    page.screenshot(path=str(ARTIFACTS / "living_map_2024_monitored_people.png"), full_page=True)
    # the card: same year and indicator
    page.goto(f"{editor_server.url}/briefing?region=heishui&year=2024&indicator=monitored_people",
              wait_until="domcontentloaded")
    page.get_by_role("heading", name="简报导出 · 黑水县 · 2024").wait_for(timeout=60_000)
    image = page.locator("[data-testid=stImage] img").first
    image.wait_for(timeout=120_000)
    assert page.evaluate("img => img.naturalWidth", image.element_handle()) > 1000
    page.screenshot(path=str(ARTIFACTS / "living_card_2024_monitored_people.png"), full_page=True)
    page.close()
