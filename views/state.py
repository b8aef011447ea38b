"""The shared state every page reads: language, region, year and basemap from the sidebar, and the shareable link."""
from __future__ import annotations

import streamlit as st

from geo.boundaries import COUNTRY_ADCODE, BoundaryLookupError
from geo.i18n import DEFAULT_LANGUAGE, LANGUAGES, t
from geo.indicators import FIRST_YEAR
from geo.indicators import current_year as this_year
from geo.regions import RegionRef, load_registry, resolve_region
from geo.villages import YEARS
from geo.zones import MAX_HALF_WIDTH_KM
from layers.basemaps import basemaps, default_basemap_id

OTHER_REGION = "__other__"  # region selectbox value meaning "type a name or code"
LANGUAGE_NAMES = {"zh": "中文", "en": "English"}
URL_RESTORED = "_url_restored"  # session flag: the link's query parameters were read once
LAYER_CHOICES = ("zones", "villages", "counties", "choropleth", "terrain")  # terrain: hillshade over online tiles
DEFAULT_LAYERS = ["zones", "villages", "counties"]
DEFAULT_INDICATOR = "poor_population"  # the 2014–2020 registered poor population: what the atlas showed before
CHOROPLETH_CHOICES = ("poor_population", "poor_population_share", "poverty_villages", "poor_per_km2")
# Widget values that outlive a page (Streamlit forgets a widget's value on a page that does not draw it) and a change
# of language. A select box's value comes back from the browser as its label; after a change of language — and in
# any rerun the browser sends before it has the new labels (a map reporting its view just then) — that label is in
# the other language, matches no option, and Streamlit would fall back to the first option (issue 14.2: the layers
# emptied, the basemap back to OpenStreetMap, the region back to the first). Each run therefore writes these values
# back as session values, labels of either language turned into the option they name.
KEPT_WIDGET_KEYS = ("region_choice", "region_query", "year", "basemap", "layers", "choropleth_metric", "belt_km",
                    "present", "indicator")


def option_labels() -> dict[str, dict[str, object]]:
    """Return, per select widget, its options' labels in every language mapped to the option."""
    from geo.indicators import load_indicators

    out: dict[str, dict[str, object]] = {"region_choice": {}, "basemap": {}, "layers": {}, "choropleth_metric": {},
                                         "indicator": {}}
    for lang in LANGUAGES:
        for r in load_registry().regions:
            out["region_choice"][r.name(lang)] = r.id
        out["region_choice"][t("region_country", lang)] = COUNTRY_ADCODE
        out["region_choice"][t("region_other", lang)] = OTHER_REGION
        for b in basemaps().values():
            out["basemap"][b.name(lang)] = b.id
        for choice in LAYER_CHOICES:
            out["layers"][t(f"layer_choice_{choice}", lang)] = choice
        for metric in CHOROPLETH_CHOICES:
            out["choropleth_metric"][t(metric, lang)] = metric
        for indicator in load_indicators().ids:
            out["indicator"][load_indicators().get(indicator).name(lang)] = indicator
    return out


def as_option(key: str, value, labels: dict[str, dict[str, object]]):
    """Return a widget's value with any option label (of either language) replaced by the option it names."""
    names = labels.get(key)
    if not names:
        return value
    if isinstance(value, (list, tuple)):
        return [names.get(v, v) if isinstance(v, str) else v for v in value]
    return names.get(value, value) if isinstance(value, str) else value


def keep_widget_values() -> None:
    """Carry the kept widgets' values into this run whatever the page or language (see KEPT_WIDGET_KEYS)."""
    state = st.session_state
    labels = option_labels()
    for key in KEPT_WIDGET_KEYS:
        if key in state:
            state[key] = as_option(key, state[key], labels)


def default_region() -> str:
    """Return the region a new session opens on: the registry's first seed region."""
    return load_registry().regions[0].id


def restore_state_from_url() -> None:
    """On a session's first run, copy the link's query parameters into the widgets' state (invalid ones ignored)."""
    if st.session_state.get(URL_RESTORED):
        return
    st.session_state[URL_RESTORED] = True
    params = st.query_params
    ignored = []
    seeds = {r.id for r in load_registry().regions}
    if "lang" in params:
        if params["lang"] in LANGUAGES:
            st.session_state["lang"] = params["lang"]
        else:
            ignored.append(("lang", params["lang"]))
    if "region" in params:
        if params["region"] in seeds:
            st.session_state["region_choice"] = params["region"]
        elif params["region"] in (COUNTRY_ADCODE, "全国"):
            st.session_state["region_choice"] = COUNTRY_ADCODE
        else:
            st.session_state["region_choice"] = OTHER_REGION
            st.session_state["region_query"] = params["region"]
    if "year" in params:  # checked against the region's years once the sidebar knows the region
        if params["year"].isdigit() and FIRST_YEAR <= int(params["year"]) <= this_year():
            st.session_state["_url_year"] = int(params["year"])
        else:
            ignored.append(("year", params["year"]))
    if "indicator" in params:
        st.session_state["_url_indicator"] = params["indicator"]
    if "basemap" in params:
        if params["basemap"] in basemaps():
            st.session_state["basemap"] = params["basemap"]
        else:
            ignored.append(("basemap", params["basemap"]))
    if "layers" in params:
        chosen = [v for v in params["layers"].split(",") if v in LAYER_CHOICES]
        st.session_state["layers"] = chosen
    if "zone" in params:
        st.session_state["selected_zone"] = params["zone"]
    if "view" in params:
        try:
            lat, lon, zoom = (float(v) for v in params["view"].split(","))
            st.session_state["view"] = {"lat": lat, "lon": lon, "zoom": int(zoom), "region": region_param()}
        except ValueError:
            ignored.append(("view", params["view"]))
    if "belt" in params:
        try:
            width = float(params["belt"])
            if not 0 < width <= MAX_HALF_WIDTH_KM:
                raise ValueError(width)
            st.session_state["belt_km"] = width
        except ValueError:
            ignored.append(("belt", params["belt"]))
    if params.get("present") == "1":
        st.session_state["present"] = True
    st.session_state["_url_ignored"] = ignored


def region_param() -> str:
    """Return the region as the link names it: a seed id, 100000 for 全国, or the name or code typed."""
    choice = st.session_state.get("region_choice", default_region())
    return st.session_state.get("region_query", "") if choice == OTHER_REGION else choice


def current_view() -> dict | None:
    """Return the remembered map view ({lat, lon, zoom}) when it was taken on the region shown now, else None."""
    view = st.session_state.get("view")
    return view if view and view.get("region") == region_param() else None


def remember_view(lat: float, lon: float, zoom: float) -> None:
    """Remember the map's view, with the region it belongs to."""
    st.session_state["view"] = {"lat": lat, "lon": lon, "zoom": int(zoom), "region": region_param()}


def state_query_params() -> dict[str, str]:
    """Return the shareable state (region, year, zone, basemap, layers, view, belt width, language, presentation)
    as parameters; the view only with the region it was taken on."""
    state = st.session_state
    region = region_param()
    out = {"region": region, "year": str(state.get("year", YEARS[0])), "basemap": state.get("basemap", default_basemap_id()),
           "lang": state.get("lang", DEFAULT_LANGUAGE), "layers": ",".join(state.get("layers", DEFAULT_LAYERS))}
    if state.get("indicator", DEFAULT_INDICATOR) != DEFAULT_INDICATOR:
        out["indicator"] = state["indicator"]
    if state.get("selected_zone"):
        out["zone"] = state["selected_zone"]
    view = current_view()
    if view:
        out["view"] = f"{view['lat']:.5f},{view['lon']:.5f},{int(view['zoom'])}"
    if state.get("belt_km") is not None and state.get("_belt_default") != state.get("belt_km"):
        out["belt"] = f"{float(state['belt_km']):g}"
    if state.get("present"):
        out["present"] = "1"
    return {k: v for k, v in out.items() if v}


def write_state_to_url() -> None:
    """Put the shareable state in the address bar (only when it changed)."""
    wanted = state_query_params()
    if dict(st.query_params) != wanted:
        st.query_params.from_dict(wanted)


def share_link() -> str:
    """Return a link that reopens the current view."""
    from urllib.parse import urlencode

    base = (st.context.url or "").split("?")[0]
    return f"{base}?{urlencode(state_query_params())}"


def current_lang() -> str:
    """Return the UI language chosen in the sidebar ('zh' by default)."""
    return st.session_state.get("lang", DEFAULT_LANGUAGE)


def sidebar() -> str:
    """Draw the shared sidebar (language, region, basemap) and return the UI language."""
    restore_state_from_url()
    keep_widget_values()
    with st.sidebar:
        lang = current_lang()
        st.title(t("app_title", lang))
        st.caption(t("app_subtitle", lang))
        st.radio(t("language", lang), LANGUAGES, key="lang", horizontal=True, format_func=LANGUAGE_NAMES.get)
        lang = current_lang()
        seeds = [r.id for r in load_registry().regions]
        names = {r.id: r.name(lang) for r in load_registry().regions}
        names[COUNTRY_ADCODE] = t("region_country", lang)
        names[OTHER_REGION] = t("region_other", lang)
        st.selectbox(t("region", lang), seeds + [COUNTRY_ADCODE, OTHER_REGION], key="region_choice",
                     format_func=names.get)
        if st.session_state.get("region_choice") == OTHER_REGION:
            st.text_input(t("region_query", lang), key="region_query", help=t("region_query_help", lang))
        years, indicators, names = _region_choices(lang)
        ignored = st.session_state.setdefault("_url_ignored", [])
        wanted = st.session_state.pop("_url_year", None)
        if wanted is not None:
            if wanted in years:
                st.session_state["year"] = wanted
            else:
                ignored.append(("year", str(wanted)))
        if st.session_state.get("year") not in years:  # a new region without the year chosen before
            st.session_state["year"] = years[0] if st.session_state.get("year", 0) < years[0] else years[-1]
        st.select_slider(t("year", lang), options=years, key="year")
        wanted = st.session_state.pop("_url_indicator", None)
        if wanted is not None:
            if wanted in indicators:
                st.session_state["indicator"] = wanted
            else:
                ignored.append(("indicator", wanted))
        if st.session_state.get("indicator") not in indicators:
            st.session_state["indicator"] = DEFAULT_INDICATOR
        st.selectbox(t("indicator", lang), indicators, key="indicator", format_func=names.get,
                     help=t("indicator_help", lang))
        options = list(basemaps())
        st.session_state.setdefault("basemap", default_basemap_id())  # the offline terrain: needs nothing outside
        st.selectbox(t("basemap", lang), options, key="basemap",
                     format_func=lambda b: basemaps()[b].name(lang))
        for key, value in st.session_state.pop("_url_ignored", []):
            st.warning(t("url_ignored", lang, param=key, value=value))
    return lang


def _region_choices(lang: str) -> tuple[list[int], list[str], dict[str, str]]:
    """Return the years the chosen region's data has, its indicators with values (the default first) and their
    names with units — 2014–2020 and the built-ins when the region cannot be loaded."""
    from geo.indicators import indicators_of, load_indicators

    registry, years, held = load_indicators(), list(YEARS), []
    region = _region_quietly()
    if region is not None:
        from views import cache

        try:
            data = cache.region_data(region)
            registry, years = data.registry, cache.region_years(region)
            held = indicators_of(data.indicators)
        except Exception:  # the page itself shows why the region cannot be loaded
            pass
    indicators = [DEFAULT_INDICATOR] + [i for i in registry.ids if i in held and i != DEFAULT_INDICATOR]
    names = {i: f"{registry.get(i).name(lang)}（{registry.get(i).unit(lang)}）" if lang == "zh" else
             f"{registry.get(i).name(lang)} ({registry.get(i).unit(lang)})" for i in indicators}
    return years, indicators, names


def _region_quietly() -> RegionRef | None:
    choice = st.session_state.get("region_choice", default_region())
    query = st.session_state.get("region_query", "") if choice == OTHER_REGION else choice
    try:
        return resolve_region(query) if query else None
    except BoundaryLookupError:
        return None


def current_indicator() -> str:
    """Return the indicator chosen in the sidebar (the registered poor population by default)."""
    return st.session_state.get("indicator", DEFAULT_INDICATOR)


def current_region() -> RegionRef | None:
    """Return the region chosen in the sidebar; show the lookup error and return None when it cannot be found."""
    choice = st.session_state.get("region_choice", default_region())
    query = st.session_state.get("region_query", "") if choice == OTHER_REGION else choice
    if not query:
        st.info(t("region_query_help", current_lang()))
        return None
    try:
        return resolve_region(query)
    except BoundaryLookupError as exc:
        lang = current_lang()
        st.error(f"{t('region_not_found', lang)}{'：' if lang == 'zh' else ': '}{exc.text(lang)}")
        return None


def current_year() -> int:
    """Return the year chosen in the sidebar."""
    return int(st.session_state.get("year", YEARS[0]))


def page_args() -> dict:
    """Return the arguments every page function takes: the region (None when it cannot be found), year, language."""
    return {"region": current_region(), "year": current_year(), "lang": current_lang()}
