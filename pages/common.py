"""What every page shares: the sidebar state (language, region, basemap), cached loaders and the map widget."""
from __future__ import annotations

import streamlit as st

from geo.boundaries import BoundaryLookupError, region_divisions
from geo.i18n import DEFAULT_LANGUAGE, LANGUAGES, t
from geo.regions import RegionRef, load_registry, resolve_region
from layers.basemaps import basemaps

OTHER_REGION = "__other__"  # region selectbox value meaning "type a name or code"
LANGUAGE_NAMES = {"zh": "中文", "en": "English"}
MAP_HEIGHT_PX = 620


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
        options = list(basemaps())
        st.selectbox(t("basemap", lang), options, key="basemap",
                     format_func=lambda b: basemaps()[b].name(lang))
    return lang


def current_region() -> RegionRef | None:
    """Return the region chosen in the sidebar; show the lookup error and return None when it cannot be found."""
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


@st.cache_data(show_spinner=False, max_entries=32)
def cached_region_divisions(adcode: str):
    """Return (outline, counties) of a region in WGS84, cached across reruns and sessions."""
    return region_divisions(adcode)


def show_map(fmap, *, key: str, returned_objects: list[str] | None = None, feature_groups=None):
    """Render a folium map with a stable key and only the returned objects the page uses."""
    from streamlit_folium import st_folium

    return st_folium(fmap, key=key, height=MAP_HEIGHT_PX, use_container_width=True,
                     returned_objects=returned_objects or [], feature_group_to_add=feature_groups)
