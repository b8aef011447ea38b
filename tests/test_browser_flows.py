"""What a user does in sequence, in a real browser: data changed from outside the page is what the page shows next."""
import os
import subprocess
import sys

import pytest
from conftest import ARTIFACTS, PASSWORD, ROOT, browser_sign_in

pytestmark = pytest.mark.browser

OWN_VILLAGES = ("村名,经度,纬度,户籍人口,贫困村,2014,2015,2016,2017,2018,2019,2020\n"
                "用户村甲,102.99,32.07,800,是,120,100,80,60,40,0,0\n"
                "用户村乙,103.10,32.10,600,是,90,80,70,50,30,0,0\n"
                "用户村丙,102.80,31.95,500,否,10,8,6,4,3,0,0\n")
OWN_ZONES = ('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"名称": "用户沟", '
             '"产业": "中药材"}, "geometry": {"type": "Polygon", "coordinates": [[[102.95, 32.0], [103.15, 32.0], '
             '[103.15, 32.15], [102.95, 32.15], [102.95, 32.0]]]}}]}')


def metric_values(page) -> list[str]:
    page.locator("[data-testid=stMetricValue]").nth(2).wait_for(timeout=60_000)  # the union's three figures
    page.wait_for_timeout(500)
    return page.locator("[data-testid=stMetricValue]").all_inner_texts()


def open_coverage(page, editor_server, year=2018):
    page.goto(f"{editor_server.url}/coverage?region=heishui&year={year}", wait_until="domcontentloaded")
    page.get_by_role("heading", name=f"黑水县 · {year}").wait_for(timeout=60_000)


def test_an_import_from_the_command_line_a_save_and_an_undo_are_seen_at_the_next_rerun(editor_server, browser,
                                                                                         editor_workspace, tmp_path):
    villages = tmp_path / "villages.csv"
    villages.write_text(OWN_VILLAGES, encoding="utf-8")
    zones = tmp_path / "用户沟.geojson"
    zones.write_text(OWN_ZONES, encoding="utf-8")
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    open_coverage(page, editor_server)
    assert metric_values(page)[:2] == ["4", "971"]
    page.get_by_text("示意数据").first.wait_for(timeout=30_000)
    # another process imports into the same workspace; the open page reloads: no server restart
    out = subprocess.run([sys.executable, "-m", "geo", "import", "villages", str(villages), "--region", "heishui",
                          "--workspace", str(editor_workspace), "--user", "hei"], cwd=ROOT, capture_output=True, text=True,
                         timeout=300, env={**os.environ, "VALLEY_ATLAS_PASSWORD": PASSWORD})
    assert out.returncode == 0, out.stderr
    page.reload(wait_until="domcontentloaded")
    page.get_by_role("heading", name="黑水县 · 2018").wait_for(timeout=60_000)
    page.get_by_text("共 73").wait_for(timeout=60_000)  # 40 + 30 + 3 poor people in 2018, the imported file's
    assert metric_values(page)[:2] == ["2", "73"]
    assert page.get_by_text("示意数据").count() >= 1, "the zones are still illustrative: 示意 stays"
    # a save on the data page (zones from a file): nothing illustrative is left
    page.goto(f"{editor_server.url}/data?region=heishui", wait_until="domcontentloaded")
    page.get_by_role("heading", name="导入与绘制 · 黑水县").wait_for(timeout=60_000)
    browser_sign_in(page, "hei")
    page.get_by_text("导入沟域 / 产业带").click()
    page.get_by_text("没有半宽的产业带按此半宽（公里）").wait_for(timeout=30_000)  # the zones section has replaced the villages'
    uploader = page.locator("[data-testid=stFileUploader]").filter(has_text="上传沟域或产业带文件")
    uploader.locator("input[type=file]").set_input_files(str(zones))
    page.get_by_role("button", name="确认导入分区到工作区").click()
    page.get_by_text("已保存到工作区").wait_for(timeout=60_000)
    open_coverage(page, editor_server)
    page.get_by_text("共 73").wait_for(timeout=60_000)
    assert metric_values(page)[:2] == ["2", "70"]  # 甲 and 乙 lie in the user's valley, 丙 does not
    assert page.get_by_text("示意数据").count() == 0, "user zones and villages: no 示意 label"
    page.screenshot(path=str(ARTIFACTS / "flow_coverage_after_save.png"), full_page=True)
    # undo on the data page: the illustrative zones are back, and so is the label
    page.goto(f"{editor_server.url}/data?region=heishui", wait_until="domcontentloaded")
    browser_sign_in(page, "hei")
    page.get_by_role("button", name="撤销最近一次保存").click()
    page.get_by_text("已撤销").wait_for(timeout=60_000)
    open_coverage(page, editor_server)
    page.get_by_text("共 73").wait_for(timeout=60_000)
    assert metric_values(page)[:2] == ["2", "73"]
    page.get_by_text("示意数据").first.wait_for(timeout=30_000)
    page.close()
