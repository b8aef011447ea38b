"""The app in AppTest: start, switch regions and language, see the published figures."""
import pytest
from conftest import add_account, app_test, sign_in_app

SEEDS = [("heishui", "黑水县", "Heishui County"), ("yaan", "雅安市", "Ya'an City"), ("qu", "渠县", "Qu County"),
         ("suining", "绥宁县", "Suining County"), ("guizhou", "贵州省", "Guizhou Province")]


@pytest.fixture(scope="module")
def at():
    app = app_test().run()
    assert not app.exception
    return app


def figure_table(app):
    frames = [df.value for df in app.dataframe]
    assert frames, "the published-figures table is missing"
    return frames[0]


def test_starts_on_heishui_in_chinese(at):
    assert [h.value for h in at.header] == ["黑水县"]
    table = figure_table(at)
    assert "贫困村（识别时）" in table["指标"].tolist()
    assert "64 村" in table["数值"].tolist()
    assert set(table["来源"]) == {"《黑水县厘清六种关系 推动高质量脱贫（脱贫攻坚简报2019第107期）》，四川省扶贫开发局，2020-03-26"}
    assert "4 村（2018 年）" in table["数值"].tolist()  # a figure of another year than the page's says which
    assert at.sidebar.radio(key="lang").value == "zh"


@pytest.mark.parametrize("region_id, name_zh, _", SEEDS)
def test_switching_to_each_seed_region_shows_its_figures(at, region_id, name_zh, _):
    at.selectbox(key="region_choice").set_value(region_id)
    at.run()
    assert not at.exception, at.exception
    assert [h.value for h in at.header] == [name_zh]
    table = figure_table(at)
    from geo.regions import seed_region
    assert len(table) == len(seed_region(region_id).figures)


def test_garbled_figure_shows_as_text_with_a_note(at):
    at.selectbox(key="region_choice").set_value("yaan")
    at.run()
    values = figure_table(at)["数值"].tolist()
    assert "原文乱码：“487畝”（2019 年）" in values  # the page is 2014: the figure says its year
    assert any("乱码" in c.value for c in at.caption)


def test_any_county_by_name(at):
    at.selectbox(key="region_choice").set_value("__other__")
    at.run()
    at.text_input(key="region_query").set_value("福州市鼓楼区")
    at.run()
    assert not at.exception
    assert [h.value for h in at.header] == ["鼓楼区"]
    assert any("350102" in c.value for c in at.caption)


def test_ambiguous_name_shows_the_candidates(at):
    at.selectbox(key="region_choice").set_value("__other__")
    at.text_input(key="region_query").set_value("鼓楼区")
    at.run()
    assert not at.exception
    assert at.error and "320106" in at.error[0].value and "350102" in at.error[0].value


def test_language_switch_keeps_the_region(at):
    at.selectbox(key="region_choice").set_value("qu")
    at.run()
    at.radio(key="lang").set_value("en")
    at.run()
    assert not at.exception
    assert [h.value for h in at.header] == ["Qu County"]
    table = figure_table(at)
    assert "Registered poor population" in table["Figure"].tolist()
    at.radio(key="lang").set_value("zh")
    at.run()
    assert [h.value for h in at.header] == ["渠县"]


def test_sources_page_lists_datasets_and_articles():
    app = app_test().run()
    app.switch_page("views/sources.py").run()
    assert not app.exception
    datasets, articles = (df.value for df in app.dataframe)
    assert "MIT" in datasets["许可"].tolist()
    assert len(articles) == 5 and "003_668dea35054aa90f.txt" in articles["文件"].tolist()


# ------------------------------------------------------------------------------------------- coverage page
@pytest.fixture()
def coverage():
    app = app_test().run()
    app.switch_page("views/coverage.py").run()
    assert not app.exception
    return app


def metric_values(app):
    return [m.value for m in app.metric]


def table_with(app, column):
    """Return the first dataframe on screen that has a column (AppTest finds dataframes by position only)."""
    for frame in app.dataframe:
        if column in frame.value.columns:
            return frame.value
    raise AssertionError(f"no table with a column {column!r}")


def charts(app):
    return app.get("vega_lite_chart")


def test_coverage_page_shows_union_tables_and_charts(coverage):
    assert metric_values(coverage)[:3] == ["64", "9,976", "100.0%"]
    zone_table = table_with(coverage, "主导产业")
    assert len(zone_table) == 6 and zone_table["贫困村"].sum() == 64
    assert "示意" in zone_table["真实 / 示意"].iloc[0]
    assert len(charts(coverage)) == 2  # no belts in 黑水: the elevation bands and the yearly chart
    published = table_with(coverage, "本图计算值")
    assert (published.loc[published["本图计算值"] != "无法计算", "一致"] == "✓").all()
    assert any("示意数据" in w.value for w in coverage.warning)


def test_coverage_page_shows_elevation_by_zone_and_band_and_a_high_cold_threshold(coverage):
    zone_table = table_with(coverage, "主导产业")
    assert {"海拔范围（m）", "相对高差（m）", "平均坡度（°）"} <= set(zone_table.columns)
    assert (zone_table["相对高差（m）"] > 1000).all()  # 黑水's valleys rise from ~2,000 m to over 4,000 m
    bands = table_with(coverage, "海拔分段")
    assert bands["村数"].sum() == 100  # every village counted once
    assert metric_values(coverage)[3] == "100"  # 高寒 from 800 m by default: every 黑水 village lies higher
    coverage.number_input(key="high_cold_threshold").set_value(3000.0).run()
    assert not coverage.exception, coverage.exception
    assert 0 < int(metric_values(coverage)[3]) < 100
    coverage.selectbox(key="region_choice").set_value("suining").run()
    coverage.number_input(key="high_cold_threshold").set_value(800.0).run()
    assert not coverage.exception, coverage.exception
    assert int(metric_values(coverage)[3]) >= 1


def test_year_slider_updates_the_metrics(coverage):
    coverage.select_slider(key="year").set_value(2018).run()
    assert not coverage.exception
    assert metric_values(coverage)[:2] == ["4", "971"]
    assert [h.value for h in coverage.header] == ["黑水县 · 2018"]


def test_region_switch_updates_the_metrics_and_shows_the_whatif_chart(coverage):
    coverage.selectbox(key="region_choice").set_value("yaan").run()
    assert not coverage.exception
    assert metric_values(coverage)[:3] == ["151", "44,000", "80.0%"]
    assert len(charts(coverage)) == 3  # elevation bands, yearly, half-width what-if
    gaps = table_with(coverage, "距最近分区（公里）")
    assert len(gaps) == 264 - 151


@pytest.mark.parametrize("region_id", [r for r, _, _ in SEEDS])
def test_illustrative_label_for_every_seed_region(region_id):
    app = app_test().run()
    app.selectbox(key="region_choice").set_value(region_id).run()
    assert any("示意数据" in w.value for w in app.warning)
    app.switch_page("views/coverage.py").run()
    assert not app.exception
    assert any("示意数据" in w.value for w in app.warning)


def test_region_without_villages_says_so():
    app = app_test().run()
    app.selectbox(key="region_choice").set_value("__other__").run()
    app.text_input(key="region_query").set_value("壤塘县").run()
    app.switch_page("views/coverage.py").run()
    assert not app.exception
    assert any("尚无村庄数据" in i.value for i in app.info)
    assert not app.warning, "no illustrative label where there is no illustrative data"


# ------------------------------------------------------------------------------------------- shareable state
def test_query_params_restore_region_year_zone_and_basemap():
    app = app_test()
    app.query_params.update({"region": "yaan", "year": "2018", "zone": "yaan-tea", "basemap": "none", "lang": "en"})
    app.run()
    assert not app.exception
    assert [h.value for h in app.header] == ["Ya'an City"]
    assert app.select_slider(key="year").value == 2018
    assert app.selectbox(key="basemap").value == "none"
    assert app.session_state["selected_zone"] == "yaan-tea"
    assert [m.label for m in app.metric][:3] == ["Villages", "Poverty villages", "Poor population"]
    from geo.coverage.report import metrics_report
    from geo.region_data import load_region_data
    tea = next(z for z in metrics_report(load_region_data("yaan"), 2018)["zones"] if z["zone_id"] == "yaan-tea")
    assert [m.value for m in app.metric][:3] == [f"{tea['villages']:,}", f"{tea['poverty_villages']:,}",
                                                 f"{tea['poor_population']:,}"]
    assert dict(app.query_params)["year"] in (["2018"], "2018")


def test_any_county_by_code_from_the_link():
    app = app_test()
    app.query_params["region"] = "350102"
    app.run()
    assert not app.exception and [h.value for h in app.header] == ["鼓楼区"]


def test_invalid_link_parameters_are_reported_and_ignored():
    app = app_test()
    app.query_params.update({"year": "1999", "basemap": "bing"})
    app.run()
    assert not app.exception
    assert app.select_slider(key="year").value == 2014
    texts = " ".join(w.value for w in app.sidebar.warning)
    assert "year=1999" in texts and "basemap=bing" in texts


def test_state_is_written_to_the_link():
    app = app_test().run()
    app.selectbox(key="region_choice").set_value("qu").run()
    app.select_slider(key="year").set_value(2019).run()
    params = {k: (v[0] if isinstance(v, list) else v) for k, v in dict(app.query_params).items()}
    assert params["region"] == "qu" and params["year"] == "2019" and params["lang"] == "zh"
    assert any("region=qu" in c.value and "year=2019" in c.value for c in app.code), "no copyable share link"


def test_presentation_mode_hides_the_controls_and_back():
    app = app_test().run()
    assert [h.value for h in app.header] == ["黑水县"]
    app.toggle(key="present").set_value(True).run()
    assert not app.exception
    assert not app.header, "the page header should give way to the map title"
    assert any('data-testid="stSidebar"' in m.value for m in app.markdown), "the sidebar is not hidden"
    assert not app.code, "no share-link box in presentation mode"
    app.toggle(key="present").set_value(False).run()
    assert [h.value for h in app.header] == ["黑水县"]


def test_language_switch_keeps_region_year_and_zone():
    app = app_test()
    app.query_params.update({"region": "heishui", "year": "2016", "zone": "heishui-z2"})
    app.run()
    app.radio(key="lang").set_value("en").run()
    assert not app.exception
    assert [h.value for h in app.header] == ["Heishui County"]
    assert app.select_slider(key="year").value == 2016
    assert app.session_state["selected_zone"] == "heishui-z2"
    assert any("Walnut" in m.value for m in app.markdown)  # the inspected zone's English name


def test_layers_choice_and_choropleth():
    app = app_test().run()
    app.selectbox(key="region_choice").set_value("guizhou").run()
    app.multiselect(key="layers").set_value(["choropleth", "villages"]).run()
    assert not app.exception
    assert app.selectbox(key="choropleth_metric").value == "poor_population"
    params = {k: (v[0] if isinstance(v, list) else v) for k, v in dict(app.query_params).items()}
    assert params["layers"] == "choropleth,villages"


# ------------------------------------------------------------------------------------------------ data page
@pytest.fixture()
def data_page(tmp_path, monkeypatch):
    import streamlit as st

    monkeypatch.setenv("VALLEY_ATLAS_WORKSPACE", str(tmp_path / "workspace.gpkg"))
    st.cache_resource.clear()
    add_account(tmp_path / "workspace.gpkg", "qu-editor", ["editor"], ["qu"])
    app = app_test()
    app.query_params["region"] = "qu"
    app.run()
    sign_in_app(app, "qu-editor")
    app.switch_page("views/data.py").run()
    assert not app.exception, app.exception
    yield app
    st.cache_resource.clear()  # the region data cached from this workspace must not reach other tests


def test_data_page_offers_every_section(data_page):
    app = data_page
    assert app.radio(key="data_section").options == ["导入村庄", "导入沟域 / 产业带", "在地图上绘制", "由地形划分沟域",
                                                     "导入高程（DEM）"]
    for section in ("zones", "draw", "terrain", "dem", "villages"):
        app.radio(key="data_section").set_value(section).run()
        assert not app.exception, app.exception
    assert app.radio(key="data_datum").value == "wgs84"
    app.sidebar.radio(key="lang").set_value("en").run()
    assert not app.exception, app.exception
    assert app.radio(key="data_section").options == ["Import villages", "Import valleys / belts", "Draw on the map",
                                                     "Valleys from the terrain", "Import elevation (DEM)"]
    assert [h.value for h in app.header] == ["Import and draw · Qu County"]


def test_drawn_zones_show_live_coverage_and_save_replace_delete_undo(data_page):
    import shapely

    from geo.workspace import Workspace

    app = data_page
    app.radio(key="data_section").set_value("draw").run()
    valley = {"type": "Feature", "geometry": shapely.geometry.mapping(shapely.box(106.8, 30.7, 107.1, 31.0))}
    belt = {"type": "Feature", "geometry": shapely.geometry.mapping(shapely.LineString([(106.7, 30.9),
                                                                                        (107.2, 30.8)]))}
    app.session_state["drawn_zones"] = {
        "k1": {"feature": valley, "attributes": {"zone_id": "drawn-k1", "name_zh": "新绘分区 1", "industries": "黄花",
                                                 "half_width_km": None, "kind": "valley"}},
        "k2": {"feature": belt, "attributes": {"zone_id": "drawn-k2", "name_zh": "新绘分区 2", "industries": "",
                                               "half_width_km": 3.0, "kind": "belt"}}}
    app.run()
    assert not app.exception, app.exception
    coverage = next(df.value for df in app.dataframe if "贫困人口" in df.value.columns)
    assert coverage["分区"].tolist() == ["新绘分区 1", "新绘分区 2"] and (coverage["村数"] > 0).all()
    assert coverage["类型"].tolist() == ["沟域", "产业带"]
    app.session_state["drawn_zones"].pop("k2")  # keep the valley only for what follows
    app.run()
    app.button(key="data_save_drawn").click().run()
    ws = Workspace()
    saved = ws.read("zones", "qu")
    assert saved["zone_id"].tolist() == ["drawn-k1"] and saved["provenance"].tolist() == ["user"]
    assert not app.session_state["drawn_zones"], "the drawn set is emptied once saved"
    # replace the saved zone's shape with a newly drawn one
    bigger = {"type": "Feature", "geometry": shapely.geometry.mapping(shapely.box(106.7, 30.6, 107.2, 31.1))}
    app.session_state["drawn_zones"] = {"k2": {"feature": bigger, "attributes": {
        "zone_id": "drawn-k2", "name_zh": "新绘分区 2", "industries": "", "half_width_km": None, "kind": "valley"}}}
    app.run()
    app.selectbox(key="data_saved_zone").set_value("drawn-k1")
    app.button(key="data_replace_zone").click().run()
    assert not app.exception, app.exception
    saved = ws.read("zones", "qu")
    assert saved["zone_id"].tolist() == ["drawn-k1"] and saved["name_zh"].tolist() == ["新绘分区 1"]
    assert saved.geometry.iloc[0].bounds == pytest.approx((106.7, 30.6, 107.2, 31.1))
    app.button(key="data_delete_zone").click().run()
    assert ws.read("zones", "qu") is None or len(ws.read("zones", "qu")) == 0
    history = next(df.value for df in app.dataframe if "版本" in df.value.columns)
    assert history["版本"].tolist() == [3, 2, 1] and history["改动"].iloc[0] == "保存 0 个，替换 1 个，删除 1 个"
    app.button(key="data_undo").click().run()  # undo the delete
    assert ws.read("zones", "qu")["zone_id"].tolist() == ["drawn-k1"]
    # the change log read after the undo (issue 14 item 13): the undone version is gone, all in the UI language
    history = next(df.value for df in app.dataframe if "版本" in df.value.columns)
    assert history["版本"].tolist() == [2, 1], history
    assert list(history.columns) == ["版本", "时间", "地区", "图层", "来源", "改动"]
    assert history["来源"].tolist() == ["在数据页替换", "在地图上绘制"] and set(history["图层"]) == {"分区"}
    assert history["改动"].tolist() == ["保存 1 个，替换 1 个", "保存 1 个，替换 0 个"]
    assert any("已撤销：保存 0 个，替换 1 个，删除 1 个" in i.value for i in app.info)


def test_valleys_from_the_terrain_preview_rename_merge_split_save_and_undo(data_page):
    """Derive four valleys of 渠县, see their live coverage, rename one, merge two, split one, save (derived), undo."""
    from geo.workspace import Workspace

    app = data_page
    app.radio(key="data_section").set_value("terrain").run()
    assert not app.exception, app.exception
    app.number_input(key="terrain_count").set_value(4).run()
    app.button(key="terrain_derive").click().run()
    assert not app.exception, app.exception
    assert app.session_state["terrain_request"] == ("qu", "count", 4.0)
    assert any("4 个沟域" in m.value for m in app.markdown)
    from geo.coverage import zone_metrics
    from views.data_terrain import edited_zones

    derived = app.session_state["terrain_edits"]
    assert derived == {"steps": [], "names": {}}
    first, second, third = "terrain-1", "terrain-2", "terrain-3"
    app.session_state["terrain_edits"] = {"steps": [("merge", [first, second]), ("split", third)],
                                          "names": {first: ("示意合并沟", "Merged")}}
    app.run()
    assert not app.exception, app.exception
    assert any("4 个沟域" in m.value for m in app.markdown)  # 4 − 1 merged + 1 split
    app.button(key="terrain_save").click().run()
    assert not app.exception, app.exception
    ws = Workspace()
    saved = ws.read("zones", "qu")
    assert len(saved) == 4 and set(saved["provenance"]) == {"derived"}
    assert saved.loc[saved["zone_id"] == first, "name_zh"].item() == "示意合并沟"
    assert {f"{third}-1", f"{third}-2"} <= set(saved["zone_id"]) and third not in set(saved["zone_id"])
    assert any("已保存到工作区" in s.value for s in app.success)
    # the saved zones tile the county: every village of 渠县 lies in one of them
    from geo.region_data import load_region_data

    data = load_region_data("qu", workspace=ws)
    assert int(zone_metrics(data.zones, data.villages, 2014)["villages"].sum()) == len(data.villages)
    assert edited_zones is not None
    app.button(key="data_undo").click().run()
    again = ws.read("zones", "qu")
    assert again is None or len(again) == 0


def test_the_whole_country_is_a_region_with_its_counties_as_zones():
    app = app_test(timeout=600)
    app.query_params["region"] = "100000"
    app.run()
    assert not app.exception, app.exception
    assert app.selectbox(key="region_choice").value == "100000"
    assert [h.value for h in app.header] == ["全国"]
    app.switch_page("views/coverage.py").run()
    assert not app.exception, app.exception
    assert any("尚无村庄数据" in i.value for i in app.info)  # until the user imports villages
    from geo.region_data import load_region_data

    zones = load_region_data("100000").zones
    assert len(zones) == 2875 and set(zones["kind"]) == {"county"}  # the per-county choropleth's zones
