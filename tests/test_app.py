"""The app in AppTest: start, switch regions and language, see the published figures."""
import pytest

from conftest import app_test, rerun

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
    assert set(table["来源"]) == {"000_3031640f769f7549.txt"}
    assert at.sidebar.radio(key="lang").value == "zh"


@pytest.mark.parametrize("region_id, name_zh, _", SEEDS)
def test_switching_to_each_seed_region_shows_its_figures(at, region_id, name_zh, _):
    at.selectbox(key="region_choice").set_value(region_id)
    rerun(at)
    assert not at.exception, at.exception
    assert [h.value for h in at.header] == [name_zh]
    table = figure_table(at)
    from geo.regions import seed_region
    assert len(table) == len(seed_region(region_id).figures)


def test_garbled_figure_shows_as_text_with_a_note(at):
    at.selectbox(key="region_choice").set_value("yaan")
    rerun(at)
    values = figure_table(at)["数值"].tolist()
    assert "原文乱码：“487畝”" in values
    assert any("乱码" in c.value for c in at.caption)


def test_any_county_by_name(at):
    at.selectbox(key="region_choice").set_value("__other__")
    rerun(at)
    at.text_input(key="region_query").set_value("福州市鼓楼区")
    rerun(at)
    assert not at.exception
    assert [h.value for h in at.header] == ["鼓楼区"]
    assert any("350102" in c.value for c in at.caption)


def test_ambiguous_name_shows_the_candidates(at):
    at.selectbox(key="region_choice").set_value("__other__")
    at.text_input(key="region_query").set_value("鼓楼区")
    rerun(at)
    assert not at.exception
    assert at.error and "320106" in at.error[0].value and "350102" in at.error[0].value


def test_language_switch_keeps_the_region(at):
    at.selectbox(key="region_choice").set_value("qu")
    rerun(at)
    at.radio(key="lang").set_value("en")
    rerun(at)
    assert not at.exception
    assert [h.value for h in at.header] == ["Qu County"]
    table = figure_table(at)
    assert "Registered poor population" in table["Figure"].tolist()
    at.radio(key="lang").set_value("zh")
    rerun(at)
    assert [h.value for h in at.header] == ["渠县"]


def test_sources_page_lists_datasets_and_articles():
    app = app_test().run()
    app.switch_page("pages/sources.py").run()
    assert not app.exception
    datasets, articles = (df.value for df in app.dataframe)
    assert "MIT" in datasets["许可"].tolist()
    assert len(articles) == 5 and "003_668dea35054aa90f.txt" in articles["文件"].tolist()
