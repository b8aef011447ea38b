"""The map page in AppTest: what a year, a region, a language or a belt width change sends to the map."""
import numpy as np
import pytest
from conftest import app_test

from geo.coverage import zone_membership
from geo.coverage.report import metrics_report
from geo.region_data import default_belt_km, load_region_data, with_belt_width


@pytest.fixture
def sent(monkeypatch):
    """Record what st_folium sends: the map's script (its identity) and the feature groups' script, per run."""
    import streamlit_folium

    out = {"maps": [], "groups": []}
    hash_of = streamlit_folium.generate_js_hash
    group_of = streamlit_folium._get_feature_group_string

    def spy_hash(js, key=None, return_on_hover=False):
        out["maps"].append(js)
        return hash_of(js, key, return_on_hover)

    def spy_group(group, map, idx=0):  # noqa: A002 (streamlit_folium's own argument name)
        text = group_of(group, map, idx)
        if idx == 0:
            out["groups"].append("")
        out["groups"][-1] += text
        return text

    monkeypatch.setattr(streamlit_folium, "generate_js_hash", spy_hash)
    monkeypatch.setattr(streamlit_folium, "_get_feature_group_string", spy_group)
    return out


def test_a_year_change_keeps_the_map_and_sends_only_the_villages_new_classes(sent):
    at = app_test()
    at.query_params.update({"region": "yaan", "year": "2014", "basemap": "none"})
    at.run()
    at.select_slider(key="year").set_value(2018).run()
    assert not at.exception
    first, second = sent["maps"][-2:]
    assert first == second, "the map's script changed with the year: the browser would rebuild the map"
    assert "L.valleyPoints(" in first  # the village positions are in the map, once
    before, after = sent["groups"][-2:]
    assert before != after and "L.valleyPoints.setClasses" in after
    assert "L.valleyPoints(" not in after, "a year change resent the village coordinates"
    assert len(after.encode()) < 20_000  # 569 villages: their classes and the legend/selection, not a map


def test_a_new_region_is_fitted_and_a_saved_view_belongs_to_its_region(sent):
    at = app_test()
    at.query_params.update({"region": "heishui", "basemap": "none", "view": "32.6,103.6,12"})
    at.run()
    assert "32.6" in sent["maps"][-1] and "fitBounds" not in sent["maps"][-1].split("L.valleyPoints(")[0]
    at.selectbox(key="region_choice").set_value("yaan").run()
    assert not at.exception
    assert "fitBounds" in sent["maps"][-1], "雅安 opened at 黑水's view"
    from views.state import current_view, state_query_params  # noqa: F401  (read through the session below)

    assert at.session_state["view"]["region"] == "heishui"  # remembered with its region, not applied to 雅安


def test_switching_language_keeps_region_basemap_layers_and_year(sent):
    at = app_test()
    at.query_params.update({"region": "yaan", "basemap": "none", "year": "2016", "layers": "zones,villages"})
    at.run()
    at.radio(key="lang").set_value("en").run()
    assert not at.exception
    state = at.session_state
    assert (state["region_choice"], state["basemap"], state["year"], list(state["layers"])) == \
        ("yaan", "none", 2016, ["zones", "villages"])
    assert "Tea belt" in sent["maps"][-1]


def test_a_belt_width_recomputes_every_figure_and_published_stays_at_the_default():
    data = load_region_data("yaan")
    assert default_belt_km(data.zones) == 5.0
    wide = with_belt_width(data, 8)
    assert (data.zones["half_width_km"] == 5.0).all(), "the input is untouched"
    expected = zone_membership(data.zones, data.villages, half_width_km=8, engine="simple")
    assert np.array_equal(wide.membership.sorted_pairs(), expected.sorted_pairs())
    at_5, at_8 = metrics_report(data, 2014), metrics_report(wide, 2014)
    assert at_8["union"]["poverty_villages_covered"] > at_5["union"]["poverty_villages_covered"] == 151
    assert all(b["area_km2"] > a["area_km2"] for a, b in zip(at_5["zones"], at_8["zones"]))
    with pytest.raises(ValueError, match="half-width"):
        with_belt_width(data, 0)


def test_the_coverage_page_at_another_width_checks_published_figures_at_the_published_width():
    at = app_test()
    at.query_params.update({"region": "yaan", "year": "2014", "belt": "8"})
    at.run()
    at.switch_page("views/coverage.py").run()
    assert not at.exception
    assert at.select_slider(key="belt_km").value == 8.0
    assert int(at.metric[0].value) > 151
    at_8 = at.dataframe[-1].value  # published vs computed, the last table of the page
    at.select_slider(key="belt_km").set_value(5.0).run()
    assert at.metric[0].value == "151"
    at_5 = at.dataframe[-1].value
    assert at_8.equals(at_5), "published vs computed must stay at the published ±5 km"
    assert "✓" in set(at_5.iloc[:, 3])


def test_the_width_variant_is_computed_once_per_data_version_and_width():
    from views import cache

    data = cache._region_data("yaan", "v-test")
    a = cache._region_data_at_width("yaan", "v-test", 8.0)
    b = cache._region_data_at_width("yaan", "v-test", 8.0)
    assert a is b and a is not data and a.belt_km == 8.0
    assert a.membership is b.membership


def test_a_select_box_value_sent_as_a_label_of_either_language_names_its_option():
    from views.map import CHOROPLETH_METRICS
    from views.state import CHOROPLETH_CHOICES, as_option, option_labels

    labels = option_labels()
    assert set(CHOROPLETH_CHOICES) == set(CHOROPLETH_METRICS)
    assert as_option("basemap", "无底图（离线）", labels) == as_option("basemap", "None (offline)", labels) == "none"
    assert as_option("layers", ["沟域 / 产业带", "Villages"], labels) == ["zones", "villages"]
    assert as_option("region_choice", "雅安市", labels) == as_option("region_choice", "Ya'an City", labels) == "yaan"
    assert as_option("region_choice", "yaan", labels) == "yaan" and as_option("year", 2016, labels) == 2016
