"""The living atlas in AppTest: the example monitoring file imported from the data page, then any year and
indicator on the coverage page, the map's choropleth and the briefing page."""
import pytest
from conftest import add_account, app_test, sign_in_app


@pytest.fixture()
def heishui(tmp_path, monkeypatch):
    import streamlit as st

    monkeypatch.setenv("VALLEY_ATLAS_WORKSPACE", str(tmp_path / "workspace.gpkg"))
    st.cache_resource.clear()
    st.cache_data.clear()
    add_account(tmp_path / "workspace.gpkg", "hei-editor", ["editor"], ["heishui"])
    app = app_test()
    app.query_params["region"] = "heishui"
    app.run()
    sign_in_app(app, "hei-editor")
    app.switch_page("views/data.py").run()
    assert not app.exception, app.exception
    yield app
    st.cache_resource.clear()
    st.cache_data.clear()


def test_the_example_import_brings_years_to_2025_and_any_indicator(heishui, tmp_path):
    from geo.workspace import Workspace

    app = heishui
    assert app.sidebar.select_slider(key="year").options[-1] == "2020"
    options = app.sidebar.selectbox(key="indicator").options
    assert options[0] == "建档立卡贫困人口（人）" and not any("监测" in o for o in options)
    app.button(key="data_example_import").click().run()
    assert not app.exception, app.exception
    rows, _ = Workspace(tmp_path / "workspace.gpkg").read_indicators("heishui")
    assert len(rows) == 7000 and set(rows["provenance"]) == {"illustrative"}
    assert app.sidebar.select_slider(key="year").options[-1] == "2025"
    assert "监测对象人数（人）" in app.sidebar.selectbox(key="indicator").options
    app.sidebar.select_slider(key="year").set_value(2024)
    app.sidebar.selectbox(key="indicator").set_value("monitored_people")
    app.switch_page("views/coverage.py").run()
    assert not app.exception, app.exception
    metrics = {m.label: m.value for m in app.metric}
    import pandas as pd

    from geo.indicators import values_at
    from geo.region_data import load_region_data

    data = load_region_data("heishui", workspace=Workspace(tmp_path / "workspace.gpkg"))
    total = pd.Series(values_at(data.indicators, data.villages["village_id"], "monitored_people", 2024)).sum()
    assert metrics["全区域"] == f"{total:,.0f}"
    assert any("示意" in (c.value or "") for c in [*app.caption, *app.warning, *app.info, *app.markdown])
    # a year without values says so
    app.sidebar.select_slider(key="year").set_value(2018)
    app.run()
    assert any("2018 年无" in i.value for i in app.info)
    # the map's choropleth by the chosen indicator
    app.sidebar.select_slider(key="year").set_value(2024)
    app.session_state["layers"] = ["choropleth", "villages"]
    app.switch_page("views/map.py").run()
    assert not app.exception, app.exception
    app.switch_page("views/briefing.py").run()
    assert not app.exception, app.exception
