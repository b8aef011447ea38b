"""What every page shares: the sidebar state (language, region, basemap), cached loaders and the map widget."""
from __future__ import annotations

import streamlit as st

from geo.atlas import RegionData, load_region_data
from geo.boundaries import COUNTRY_ADCODE, BoundaryLookupError, region_divisions
from geo.i18n import DEFAULT_LANGUAGE, LANGUAGES, t
from geo.regions import RegionRef, load_registry, resolve_region
from geo.villages import YEARS
from layers.assets import use_local_assets
from layers.base import atlas_map, map_datum
from layers.basemaps import MissingToken, basemaps, resolve_token

APP_SHELL_MARK = "_ran_through_app"  # set by app.py on every run, checked by every page
OTHER_REGION = "__other__"  # region selectbox value meaning "type a name or code"
LANGUAGE_NAMES = {"zh": "中文", "en": "English"}
MAP_HEIGHT_PX = 620


def mark_app_shell() -> None:
    """Record (in app.py, before the page runs) that this run went through the router and the shared sidebar."""
    st.session_state[APP_SHELL_MARK] = True


def _leave_legacy_pages_mode() -> None:
    from streamlit.runtime.pages_manager import PagesManager

    PagesManager.uses_pages_directory = False
    st.rerun()


def leave_legacy_pages_mode() -> None:
    """Restart the run through st.navigation when Streamlit started it in its legacy pages/ mode.

    Streamlit sees the pages/ folder and runs a fresh server's first run in its legacy multipage mode: either
    app.py as a legacy "main page" (widgets then live under another page id and lose the values a shared link
    gave them on the next rerun) or, for a link to /coverage, the page file alone without app.py and its sidebar.
    st.navigation turns that mode off for good; app.py (here) and every page (require_app_shell) turn it off
    before drawing anything and rerun, so a shared link opens whole.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        _leave_legacy_pages_mode()


def require_app_shell() -> None:
    """Rerun through app.py when Streamlit ran a page file directly (see leave_legacy_pages_mode)."""
    if not st.session_state.pop(APP_SHELL_MARK, False):
        _leave_legacy_pages_mode()


URL_RESTORED = "_url_restored"  # session flag: the link's query parameters were read once
LAYER_CHOICES = ("zones", "villages", "counties", "choropleth")
DEFAULT_LAYERS = ["zones", "villages", "counties"]


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
    if "year" in params:
        if params["year"].isdigit() and int(params["year"]) in YEARS:
            st.session_state["year"] = int(params["year"])
        else:
            ignored.append(("year", params["year"]))
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
            st.session_state["view"] = {"lat": lat, "lon": lon, "zoom": int(zoom)}
        except ValueError:
            ignored.append(("view", params["view"]))
    if params.get("present") == "1":
        st.session_state["present"] = True
    st.session_state["_url_ignored"] = ignored


def state_query_params() -> dict[str, str]:
    """Return the shareable state (region, year, zone, basemap, layers, view, language, presentation) as parameters."""
    state = st.session_state
    choice = state.get("region_choice", "heishui")
    region = state.get("region_query", "") if choice == OTHER_REGION else choice
    out = {"region": region, "year": str(state.get("year", YEARS[0])), "basemap": state.get("basemap", "osm"),
           "lang": state.get("lang", DEFAULT_LANGUAGE), "layers": ",".join(state.get("layers", DEFAULT_LAYERS))}
    if state.get("selected_zone"):
        out["zone"] = state["selected_zone"]
    view = state.get("view")
    if view:
        out["view"] = f"{view['lat']:.5f},{view['lon']:.5f},{int(view['zoom'])}"
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
        st.session_state.setdefault("year", YEARS[0])
        st.select_slider(t("year", lang), options=list(YEARS), key="year")
        options = list(basemaps())
        st.selectbox(t("basemap", lang), options, key="basemap",
                     format_func=lambda b: basemaps()[b].name(lang))
        for key, value in st.session_state.pop("_url_ignored", []):
            st.warning(t("url_ignored", lang, param=key, value=value))
    return lang


def current_region() -> RegionRef | None:
    """Return the region chosen in the sidebar; show the lookup error and return None when it cannot be found."""
    require_app_shell()
    choice = st.session_state.get("region_choice", "heishui")
    query = st.session_state.get("region_query", "") if choice == OTHER_REGION else choice
    if not query:
        st.info(t("region_query_help", current_lang()))
        return None
    try:
        return resolve_region(query)
    except BoundaryLookupError as exc:
        st.error(f"{t('region_not_found', current_lang())}: {exc}")
        return None


def current_year() -> int:
    """Return the year chosen in the sidebar."""
    return int(st.session_state.get("year", YEARS[0]))


@st.cache_data(show_spinner=False, max_entries=32)
def cached_region_divisions(adcode: str):
    """Return (outline, counties) of a region in WGS84, cached across reruns and sessions."""
    return region_divisions(adcode)


def workspace():
    """Return the user's workspace (path from VALLEY_ATLAS_WORKSPACE, else under the user's data folder)."""
    from geo.workspace import Workspace

    return Workspace()


@st.cache_resource(show_spinner="加载区划边界与图层…（全国 2,875 个区县首次约 1 分钟） / Loading boundaries and layers… "
                             "(all 2,875 counties of China: about a minute the first time)", max_entries=16)
def cached_region_data(key: str) -> RegionData:
    """Return a region's boundary, zones and villages (the workspace's own layers first), loaded once per process
    (read-only: never mutate it; the data page clears this cache after a save)."""
    return load_region_data(key, workspace=workspace())


@st.cache_data(show_spinner=False, max_entries=128)
def cached_report(key: str, year: int, lang: str) -> dict:
    """Return a region's coverage report for a year (see geo.report.metrics_report)."""
    from geo.report import metrics_report

    return metrics_report(cached_region_data(key), year, lang=lang)


def illustrative_notice(data: RegionData, lang: str) -> None:
    """Show the 示意 label whenever illustrative data is on screen."""
    if data.illustrative:
        st.warning(t("illustrative_badge", lang), icon=":material/info:")


def show_map(fmap, *, key: str, returned_objects: list[str] | None = None, feature_groups=None,
             height: int | None = None):
    """Render a folium map with a stable key, local assets, only the returned objects the page uses, and the
    changing layers passed as feature groups so that the map itself does not reload when they change."""
    from streamlit_folium import st_folium

    use_local_assets(fmap)
    for group in feature_groups or []:
        use_local_assets(group)
    return st_folium(fmap, key=key, height=height or MAP_HEIGHT_PX, use_container_width=True,
                     returned_objects=returned_objects or [], feature_group_to_add=feature_groups or None)


def secrets() -> dict:
    try:
        return dict(st.secrets)
    except Exception:  # no secrets file: the environment is the only source of keys
        return {}


CANVAS_FROM_FEATURES = 500  # from this many polygons on the map, Leaflet draws them on a canvas, not as SVG


def base_map(extent, lang: str, *, view: dict | None = None, features: int = 0):
    """Return (map, basemap id, display datum) on the chosen basemap; a basemap whose key is missing falls back to
    no basemap with a message naming the key. features: how many polygons the page will draw."""
    basemap = st.session_state.get("basemap", "osm")
    canvas = features >= CANVAS_FROM_FEATURES
    try:
        fmap = atlas_map(extent, basemap_id=basemap, lang=lang, token=resolve_token(basemaps()[basemap], secrets()),
                         view=view, canvas=canvas)
    except MissingToken:
        b = basemaps()[basemap]
        st.warning(t("basemap_key_missing", lang, basemap=b.name(lang), token=b.token))
        basemap = "none"
        fmap = atlas_map(extent, basemap_id=basemap, lang=lang, view=view, canvas=canvas)
    return fmap, basemap, map_datum(basemap)
