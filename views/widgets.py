"""Widgets every page shares: the one st_folium wrapper, the base map on the chosen basemap, the 示意 notice."""
from __future__ import annotations

import streamlit as st

from geo.i18n import t
from layers.assets import use_local_assets
from layers.base import atlas_map, map_datum
from layers.basemaps import MissingToken, basemaps, resolve_token

MAP_HEIGHT_PX = 620


def illustrative_notice(data, lang: str) -> None:
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
