"""Sign-in, roles and audit in the app (AppTest): the server refuses what a session may not do, whatever it sends."""
import time

import geopandas as gpd
import pytest
import shapely
from conftest import add_account, app_test, sign_in_app

from geo.workspace import Workspace


@pytest.fixture()
def workspace(tmp_path, monkeypatch):
    import streamlit as st

    path = tmp_path / "workspace.gpkg"
    monkeypatch.setenv("VALLEY_ATLAS_WORKSPACE", str(path))
    st.cache_resource.clear()
    yield path
    st.cache_resource.clear()


def open_data_page(region="heishui"):
    app = app_test()
    app.query_params["region"] = region
    app.run()
    return app


def test_with_no_account_the_app_says_how_to_create_the_first_administrator(workspace):
    app = open_data_page()
    assert not app.exception, app.exception
    assert any("python -m geo users add" in i.value and "--role administrator" in i.value for i in app.sidebar.info)


def test_a_viewer_is_refused_by_the_server_when_it_saves_deletes_or_undoes(workspace):
    Workspace(workspace).save("zones", "heishui", gpd.GeoDataFrame(
        {"zone_id": ["z1"], "name_zh": ["沟"], "name_en": ["Gou"], "kind": ["valley"], "half_width_km": [None],
         "industries": ["[]"], "provenance": ["user"], "source": ["setup"]},
        geometry=[shapely.box(102.9, 32.0, 103.0, 32.1)], crs=4326), source="setup")
    add_account(workspace, "vera", ["viewer"])
    app = sign_in_app(open_data_page(), "vera")
    app.switch_page("views/data.py").run()
    assert any("当前用户：**vera**" in m.value for m in app.sidebar.markdown)
    assert any("不能修改" in i.value for i in app.info)
    app.radio(key="data_section").set_value("draw").run()
    # a crafted request: the drawn zones and the save click arrive as a browser would send them
    app.session_state["drawn_zones"] = {"k1": {"feature": {"type": "Feature", "geometry": shapely.geometry.mapping(
        shapely.box(102.8, 32.0, 103.1, 32.2))}, "attributes": {"zone_id": "drawn-k1", "name_zh": "新绘分区 1",
                                                              "industries": "", "half_width_km": None,
                                                              "kind": "valley"}}}
    app.run()
    app.button(key="data_save_drawn").click().run()
    assert any("vera may not save region heishui" in e.value for e in app.error)
    app.button(key="data_delete_zone").click().run()
    assert any("vera may not delete region heishui" in e.value for e in app.error)
    app.button(key="data_undo").click().run()
    assert any("vera may not undo region heishui" in e.value for e in app.error)
    ws = Workspace(workspace)
    assert ws.read("zones", "heishui")["zone_id"].tolist() == ["z1"] and len(ws.history()) == 1
    assert [r["action"] for r in ws.access().audit(result="refused")] == ["save", "delete", "undo"]


def test_an_editor_of_heishui_cannot_edit_yaan(workspace):
    add_account(workspace, "hei", ["editor"], ["heishui"])
    for region, allowed in (("yaan", False), ("heishui", True)):
        app = sign_in_app(open_data_page(region), "hei")
        app.switch_page("views/data.py").run()
        app.radio(key="data_section").set_value("draw").run()
        x, y = (103.0, 32.05) if region == "heishui" else (103.0, 30.0)
        app.session_state["drawn_zones"] = {"k1": {"feature": {"type": "Feature", "geometry": shapely.geometry.mapping(
            shapely.box(x - 0.1, y - 0.1, x + 0.1, y + 0.1))}, "attributes": {
            "zone_id": "drawn-k1", "name_zh": "新绘分区 1", "industries": "", "half_width_km": None, "kind": "valley"}}}
        app.run()
        app.button(key="data_save_drawn").click().run()
        assert not app.exception, app.exception
        assert any("hei may not save region yaan" in e.value for e in app.error) is not allowed
    ws = Workspace(workspace)
    assert [(h["region"], h["actor"]) for h in ws.history()] == [("heishui", "hei")]


def test_lock_out_after_n_failed_sign_ins(workspace, monkeypatch):
    monkeypatch.setenv("VALLEY_ATLAS_LOCKOUT_ATTEMPTS", "3")
    add_account(workspace, "hei", ["editor"], ["heishui"])
    app = open_data_page()
    for _ in range(3):
        sign_in_app(app, "hei", "Wrong-Password-1")
        assert any("用户名或密码错误" in e.value for e in app.sidebar.error)
    sign_in_app(app, "hei")  # the right password: still locked
    assert any("已锁定" in e.value for e in app.sidebar.error)
    assert not any("当前用户" in m.value for m in app.sidebar.markdown)


def test_an_idle_session_is_signed_out(workspace, monkeypatch):
    monkeypatch.setenv("VALLEY_ATLAS_IDLE_SECONDS", "2")
    add_account(workspace, "hei", ["editor"], ["heishui"])
    app = sign_in_app(open_data_page(), "hei")
    assert any("当前用户：**hei**" in m.value for m in app.sidebar.markdown)
    time.sleep(2.5)
    app.run()
    assert any("已自动退出登录" in w.value for w in app.sidebar.warning)
    assert not any("当前用户" in m.value for m in app.sidebar.markdown)
    assert [r["result"] for r in Workspace(workspace).access().audit(action="sign_out")] == ["ok: timeout"]


def test_anonymous_browsing_can_be_turned_off(workspace, monkeypatch):
    monkeypatch.setenv("VALLEY_ATLAS_ANONYMOUS", "0")
    add_account(workspace, "vera", ["viewer"])
    app = open_data_page()
    assert any("需要登录" in i.value for i in app.info) and not app.header
    sign_in_app(app, "vera")
    assert app.header  # the page runs once signed in


def test_a_reset_password_must_be_changed_before_anything_else(workspace):
    add_account(workspace, "hei", ["editor"], ["heishui"])
    from geo.access import Actor

    Workspace(workspace).access().reset_password("hei", "Temporary-Pass-99",
                                                 by=Actor("boss", frozenset({"administrator"})))
    app = sign_in_app(open_data_page(), "hei", "Temporary-Pass-99")
    assert any("请先设置新密码" in w.value for w in app.warning) and not app.header
    app.text_input(key="pw_old").input("Temporary-Pass-99")
    app.text_input(key="pw_new").input("Brand-New-Pass-2026")
    app.text_input(key="pw_again").input("Brand-New-Pass-2026")
    next(b for b in app.button if b.label == "保存新密码").click()
    app.run()
    assert app.header and not any("请先设置新密码" in w.value for w in app.warning)


def test_the_audit_page_is_for_auditors_and_the_accounts_page_for_administrators(workspace):
    add_account(workspace, "shen", ["auditor"])
    add_account(workspace, "boss", ["administrator"])
    add_account(workspace, "hei", ["editor"], ["heishui"])
    app = sign_in_app(open_data_page(), "hei")
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app.switch_page("views/audit.py")  # not registered for an editor: the server has no such page for hei
    app = sign_in_app(open_data_page(), "shen")
    app.switch_page("views/audit.py").run()
    assert not app.exception, app.exception
    table = app.dataframe[0].value
    assert {"sign_in", "account_add"} <= set(table["action"]) and "完整性校验通过" in app.success[0].value
    app.selectbox(key="audit_result").set_value("refused").run()
    assert set(app.dataframe[0].value["result"].str.split(":").str[0]) <= {"refused"}
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app.switch_page("views/accounts.py")
    app = sign_in_app(open_data_page(), "boss")
    app.switch_page("views/accounts.py").run()
    app.text_input(key="acc_name").input("lisi")
    app.multiselect(key="acc_roles").select("viewer")
    next(b for b in app.button if b.label == "创建").click()
    app.run()
    assert any("已创建账户 lisi" in s.value for s in app.success)
    assert "lisi" in [u["name"] for u in Workspace(workspace).access().users()]
