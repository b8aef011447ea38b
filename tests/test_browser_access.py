"""Who may do what, in a real browser against `streamlit run`: a viewer cannot import or undo, an editor of 黑水
cannot edit 雅安, lock-out after N failures, idle timeout; the audit log records each action of the session."""
import os
import subprocess
import sys
import time

import pytest
from conftest import ARTIFACTS, PASSWORD, ROOT, StreamlitServer, browser_sign_in
from test_browser_flows import OWN_VILLAGES, OWN_ZONES

from geo.workspace import Workspace

pytestmark = pytest.mark.browser
ACCOUNTS = [("vera", ["viewer"], ""), ("hei", ["editor"], "heishui"), ("lock", ["editor"], "heishui"),
            ("shen", ["auditor"], ""), ("boss", ["administrator"], "")]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    path = tmp_path_factory.mktemp("access") / "workspace.gpkg"
    for name, roles, regions in ACCOUNTS:  # as an operator would: the command line on the server
        args = [sys.executable, "-m", "geo", "users", "add", name, *[f"--role={r}" for r in roles],
                "--workspace", str(path)] + (["--regions", regions] if regions else [])
        out = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=120,
                             env={**os.environ, "VALLEY_ATLAS_NEW_PASSWORD": PASSWORD})
        assert out.returncode == 0, out.stderr
    return path


@pytest.fixture(scope="module")
def server(workspace):
    srv = StreamlitServer(env={"VALLEY_ATLAS_WORKSPACE": str(workspace), "VALLEY_ATLAS_LOCKOUT_ATTEMPTS": "3"})
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("files")
    (folder / "villages.csv").write_text(OWN_VILLAGES, encoding="utf-8")
    (folder / "用户沟.geojson").write_text(OWN_ZONES, encoding="utf-8")
    return folder


def open_data(page, server, region, name_zh):
    page.goto(f"{server.url}/data?region={region}", wait_until="domcontentloaded")
    page.get_by_role("heading", name=f"导入与绘制 · {name_zh}").wait_for(timeout=90_000)


def import_zones(page, files):
    page.get_by_text("导入沟域 / 产业带").click()
    page.get_by_text("没有半宽的产业带按此半宽（公里）").wait_for(timeout=30_000)
    page.locator("input[type=file]").set_input_files(str(files / "用户沟.geojson"))
    page.get_by_role("button", name="确认导入分区到工作区").click()


def test_a_viewer_cannot_import_or_undo(server, browser, workspace, files):
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    open_data(page, server, "heishui", "黑水县")
    browser_sign_in(page, "vera")
    page.get_by_text("当前账户不能修改 黑水县 的数据").wait_for(timeout=30_000)
    page.locator("input[type=file]").set_input_files(str(files / "villages.csv"))
    page.get_by_role("button", name="确认导入到工作区").click()
    page.get_by_text("没有权限：vera may not import region heishui").wait_for(timeout=60_000)
    page.get_by_role("button", name="撤销最近一次保存").click()
    page.get_by_text("没有权限：vera may not undo region heishui").wait_for(timeout=60_000)
    page.screenshot(path=str(ARTIFACTS / "access_viewer_refused.png"), full_page=True)
    assert Workspace(workspace).history() == [] and Workspace(workspace).read("villages") is None
    page.close()


def test_an_editor_of_heishui_cannot_edit_yaan_but_edits_heishui_and_exports(server, browser, workspace, files):
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    open_data(page, server, "yaan", "雅安市")
    browser_sign_in(page, "hei")
    page.get_by_text("当前账户不能修改 雅安市 的数据").wait_for(timeout=30_000)
    import_zones(page, files)
    page.get_by_text("没有权限：hei may not import region yaan").wait_for(timeout=60_000)
    assert Workspace(workspace).history() == []
    open_data(page, server, "heishui", "黑水县")  # a new page load is a new session: sign in again
    browser_sign_in(page, "hei")
    import_zones(page, files)
    page.get_by_text("已保存到工作区").wait_for(timeout=60_000)
    assert [(h["region"], h["actor"]) for h in Workspace(workspace).history()] == [("heishui", "hei")]
    page.get_by_text("修改记录").first.wait_for(timeout=60_000)
    page.wait_for_timeout(1500)  # let the rerun that shows the saved data finish before the next click
    page.get_by_role("button", name="撤销最近一次保存").click()
    page.get_by_text("已撤销").wait_for(timeout=60_000)
    assert Workspace(workspace).history() == []
    page.locator("[data-testid=stSidebarNav]").get_by_text("简报导出").click()  # same session
    page.get_by_role("button", name="下载 PNG").wait_for(timeout=120_000)
    with page.expect_download(timeout=60_000) as download:
        page.get_by_role("button", name="下载 PNG").click()
    assert download.value.suggested_filename.endswith(".png")
    page.close()


def attempts(workspace, name: str, count: int) -> None:
    """Wait until the server has recorded `count` sign-in attempts of an account (each submit is one rerun)."""
    deadline = time.time() + 60
    while len(Workspace(workspace).access().audit(user=name, action="sign_in")) < count:
        assert time.time() < deadline, f"{name}: fewer than {count} sign-in attempts recorded"
        time.sleep(0.2)


def test_lock_out_after_three_failed_sign_ins(server, browser, workspace):
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    open_data(page, server, "heishui", "黑水县")
    for k in range(3):
        browser_sign_in(page, "lock", "Wrong-Password-1", expect="用户名或密码错误")
        attempts(workspace, "lock", k + 1)
    browser_sign_in(page, "lock", PASSWORD, expect="账户已锁定")
    attempts(workspace, "lock", 4)
    assert page.get_by_text("当前用户").count() == 0 and page.get_by_text("未登录").count() == 1
    page.close()


def test_the_audit_log_records_each_action_of_the_session_and_cannot_be_altered(server, browser, workspace):
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    open_data(page, server, "heishui", "黑水县")
    browser_sign_in(page, "shen")
    page.locator("[data-testid=stSidebarNav]").get_by_text("审计日志").click()
    page.get_by_text("完整性校验通过").wait_for(timeout=60_000)
    page.screenshot(path=str(ARTIFACTS / "access_audit_page.png"), full_page=True)
    records = [(r["user_name"], r["action"], r["region"], r["result"].split(":")[0])
               for r in Workspace(workspace).access().audit() if r["action"] != "account_add"]
    assert records == [
        ("vera", "sign_in", "", "ok"), ("vera", "import", "heishui", "refused"), ("vera", "undo", "heishui", "refused"),
        ("hei", "sign_in", "", "ok"), ("hei", "import", "yaan", "refused"),
        ("hei", "sign_in", "", "ok"), ("hei", "import", "heishui", "ok"), ("hei", "undo", "heishui", "ok"),
        ("hei", "export", "heishui", "ok"),
        ("lock", "sign_in", "", "failed"), ("lock", "sign_in", "", "failed"), ("lock", "sign_in", "", "failed"),
        ("lock", "account_lock", "", "ok"), ("lock", "sign_in", "", "refused"), ("shen", "sign_in", "", "ok")]
    assert Workspace(workspace).access().verify_chain() is None
    # nothing in the app changes a record: the pages only read; the database itself refuses UPDATE and DELETE
    import sqlite3

    with sqlite3.connect(Workspace(workspace).access().location) as con, pytest.raises(sqlite3.IntegrityError):
        con.execute("DELETE FROM va_audit")
    page.close()


def test_an_idle_session_is_signed_out(browser, workspace):
    srv = StreamlitServer(env={"VALLEY_ATLAS_WORKSPACE": str(workspace), "VALLEY_ATLAS_IDLE_SECONDS": "4"})
    try:
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        page.goto(f"{srv.url}/sources?region=heishui", wait_until="domcontentloaded")
        page.locator("[data-testid=stSidebar]").get_by_text("账户登录").wait_for(timeout=90_000)
        browser_sign_in(page, "boss")
        time.sleep(5)
        page.locator("[data-testid=stSidebar]").get_by_text("English").click()  # any action after the timeout
        page.get_by_text("Idle for more than").wait_for(timeout=60_000)
        page.get_by_text("Not signed in").wait_for(timeout=60_000)  # the sidebar offers sign-in again
        page.locator("[data-testid=stSidebar]").get_by_text("Sign in to an account").wait_for(timeout=30_000)
        assert [r["result"] for r in Workspace(workspace).access().audit(action="sign_out")] == ["ok: timeout"]
        page.close()
    finally:
        srv.stop()
