"""What every page shares: the sidebar state (language, region, basemap), cached loaders and the map widget."""
from __future__ import annotations

import streamlit as st

from geo.atlas import RegionData, load_region_data
from geo.boundaries import BoundaryLookupError, region_divisions
from geo.i18n import DEFAULT_LANGUAGE, LANGUAGES, t
from geo.regions import RegionRef, load_registry, resolve_region
from geo.villages import YEARS
from layers.assets import use_local_assets
from layers.basemaps import basemaps

APP_SHELL_MARK = "_ran_through_app"  # set by app.py on every run, checked by every page
OTHER_REGION = "__other__"  # region selectbox value meaning "type a name or code"
LANGUAGE_NAMES = {"zh": "中文", "en": "English"}
MAP_HEIGHT_PX = 620


def mark_app_shell() -> None:
    """Record (in app.py, before the page runs) that this run went through the router and the shared sidebar."""
    st.session_state[APP_SHELL_MARK] = True


def require_app_shell() -> None:
    """Rerun through app.py when Streamlit ran a page file directly.

    Streamlit sees the pages/ folder and, on a fresh server's first run (and on every AppTest run), runs the page
    of the URL as a legacy pages/ script, skipping app.py, its st.navigation and the shared sidebar. st.navigation
    turns that mode off; here we turn it off ourselves and rerun, so a shared link to /coverage opens whole.
    """
    if not st.session_state.pop(APP_SHELL_MARK, False):
        from streamlit.runtime.pages_manager import PagesManager

        PagesManager.uses_pages_directory = False
        st.rerun()


def current_lang() -> str:
    """Return the UI language chosen in the sidebar ('zh' by default)."""
    return st.session_state.get("lang", DEFAULT_LANGUAGE)


def sidebar() -> str:
    """Draw the shared sidebar (language, region, basemap) and return the UI language."""
    with st.sidebar:
        lang = current_lang()
        st.title(t("app_title", lang))
        st.caption(t("app_subtitle", lang))
        st.radio(t("language", lang), LANGUAGES, key="lang", horizontal=True, format_func=LANGUAGE_NAMES.get)
        lang = current_lang()
        seeds = [r.id for r in load_registry().regions]
        names = {r.id: r.name(lang) for r in load_registry().regions}
        names[OTHER_REGION] = t("region_other", lang)
        st.selectbox(t("region", lang), seeds + [OTHER_REGION], key="region_choice", format_func=names.get)
        if st.session_state.get("region_choice") == OTHER_REGION:
            st.text_input(t("region_query", lang), key="region_query", help=t("region_query_help", lang))
        st.select_slider(t("year", lang), options=list(YEARS), key="year", value=st.session_state.get("year", 2014))
        options = list(basemaps())
        st.selectbox(t("basemap", lang), options, key="basemap",
                     format_func=lambda b: basemaps()[b].name(lang))
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


@st.cache_resource(show_spinner=False, max_entries=16)
def cached_region_data(key: str) -> RegionData:
    """Return a region's boundary, zones and villages, loaded once per process (read-only: never mutate it)."""
    return load_region_data(key)


@st.cache_data(show_spinner=False, max_entries=128)
def cached_report(key: str, year: int, lang: str) -> dict:
    """Return a region's coverage report for a year (see geo.report.metrics_report)."""
    from geo.report import metrics_report

    return metrics_report(cached_region_data(key), year, lang=lang)


def illustrative_notice(data: RegionData, lang: str) -> None:
    """Show the 示意 label whenever illustrative data is on screen."""
    if data.illustrative:
        st.warning(t("illustrative_badge", lang), icon=":material/info:")


def show_map(fmap, *, key: str, returned_objects: list[str] | None = None, feature_groups=None):
    """Render a folium map with a stable key, local assets, only the returned objects the page uses, and the
    changing layers passed as feature groups so that the map itself does not reload when they change."""
    from streamlit_folium import st_folium

    use_local_assets(fmap)
    for group in feature_groups or []:
        use_local_assets(group)
    return st_folium(fmap, key=key, height=MAP_HEIGHT_PX, use_container_width=True,
                     returned_objects=returned_objects or [], feature_group_to_add=feature_groups)
