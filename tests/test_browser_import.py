"""A register without coordinates in a real browser: upload, confirm, counted on the coverage page, one village
placed by clicking on the map, undone (issue 13)."""
import re

import pytest
from conftest import ARTIFACTS, ROOT, browser_sign_in, map_frame

from geo.coverage import union_coverage
from geo.coverage.membership import with_assigned_zones
from geo.ingest.villages import import_village_file
from geo.region_data import load_region_data
from geo.workspace import Workspace

pytestmark = pytest.mark.browser

REGISTER = ROOT / "tests" / "data" / "real_world" / "register_illustrative.xlsx"
YEAR = 2016


def expected_union() -> dict:
    """Return what the coverage page must show for the register (computed by the library, not typed in)."""
    data = load_region_data("heishui")
    villages = import_village_file(REGISTER.read_bytes(), REGISTER.name, region_adcode="513228",
                                   region_zones=data.zones).villages
    return union_coverage(with_assigned_zones(data.zones, villages), villages, YEAR)


def test_a_register_without_coordinates_is_counted_placed_on_the_map_and_undone(editor_server, browser, editor_workspace):
    union = expected_union()
    assert union["poverty_villages_covered"] == union["poverty_villages_total"] > 0
    page = browser.new_page(viewport={"width": 1400, "height": 1400})
    page.goto(f"{editor_server.url}/data?region=heishui", wait_until="domcontentloaded")
    page.get_by_role("heading", name="导入与绘制 · 黑水县").wait_for(timeout=60_000)
    browser_sign_in(page, "hei")
    page.locator("input[type=file]").first.set_input_files(str(REGISTER))
    page.get_by_text("没有坐标列：8 个村庄以“未定位”导入").first.wait_for(timeout=60_000)
    page.get_by_role("button", name="确认导入到工作区").click()
    page.get_by_text("已保存到工作区").wait_for(timeout=60_000)
    saved = Workspace(editor_workspace).read("villages", "heishui")
    assert len(saved) == 8 and saved.geometry.isna().all()
    # counted on the coverage page by their assigned zones, though none has a point
    page.goto(f"{editor_server.url}/coverage?region=heishui&year={YEAR}", wait_until="domcontentloaded")
    page.get_by_role("heading", name=f"黑水县 · {YEAR}").wait_for(timeout=60_000)
    page.locator("[data-testid=stMetricValue]").first.wait_for(timeout=60_000)
    values = page.locator("[data-testid=stMetricValue]").all_inner_texts()
    assert values[:2] == [f"{union['poverty_villages_covered']:,}", f"{union['poor_population_covered']:,}"], values
    page.screenshot(path=str(ARTIFACTS / "import_register_coverage.png"), full_page=True)
    # place one village by clicking on the map of the unplaced list
    page.goto(f"{editor_server.url}/data?region=heishui", wait_until="domcontentloaded")
    browser_sign_in(page, "hei")
    page.get_by_text("未定位村庄：8 个（共 8 个）").wait_for(timeout=60_000)
    frame = map_frame(page)
    frame.locator(".leaflet-container").scroll_into_view_if_needed()
    page.wait_for_timeout(1500)  # let Leaflet settle its view before the click
    box = frame.locator(".leaflet-container").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    try:
        page.get_by_text("点击位置：经度").wait_for(timeout=60_000)
    except Exception:
        page.screenshot(path=str(ARTIFACTS / "import_register_click_failed.png"), full_page=True)
        raise
    page.get_by_role("button", name=re.compile("定位到此处并保存")).click()
    page.get_by_text("已保存到工作区").wait_for(timeout=60_000)
    page.get_by_text("未定位村庄：7 个（共 8 个）").wait_for(timeout=60_000)
    saved = Workspace(editor_workspace).read("villages", "heishui")
    assert saved.geometry.notna().sum() == 1
    point = saved.geometry.dropna().iloc[0]
    outline = load_region_data("heishui").outline.geometry.union_all()
    assert outline.buffer(0.2).contains(point), point  # the map is centred on the county
    page.screenshot(path=str(ARTIFACTS / "import_register_placed.png"), full_page=True)
    # undo: the village is unplaced again
    page.get_by_role("button", name="撤销最近一次保存").click()
    page.get_by_text("已撤销").wait_for(timeout=60_000)
    assert Workspace(editor_workspace).read("villages", "heishui").geometry.isna().all()
    page.close()
