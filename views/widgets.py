"""Widgets every page shares: the one st_folium wrapper, the base map on the chosen basemap, the 示意 notice."""
from __future__ import annotations

import streamlit as st

from geo.i18n import t
from layers.assets import use_local_assets
from layers.base import atlas_map, map_datum
from layers.basemaps import MissingToken, basemaps, default_basemap_id, resolve_token
from layers.static import CANVAS_FROM_FEATURES

MAP_HEIGHT_PX = 640  # the map page's map (CSS px); it spans the page's width
BELT_WIDTHS_KM = tuple(w / 2 for w in range(1, 41))  # belt half-widths offered (km): 0.5 to 20


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


def base_map_options(lang: str) -> tuple[str, str, str | None]:
    """Return (basemap id, display datum, key) of the chosen basemap; a basemap whose key is missing falls back to
    no basemap with a message naming the key."""
    basemap = st.session_state.get("basemap", default_basemap_id())
    b = basemaps()[basemap]
    token = resolve_token(b, secrets())
    if b.token and not token:
        st.warning(t("basemap_key_missing", lang, basemap=b.name(lang), token=b.token))
        basemap = default_basemap_id()
    return basemap, map_datum(basemap), token


def belt_width_control(region, lang: str) -> float | None:
    """Draw the belts' half-width control (km) and return the width chosen; None when the region has no belts.

    It starts at the belts' own (published) half-width, again whenever the region changes; the value is shared by
    the map and coverage pages (views.state.KEPT_WIDGET_KEYS) and by the link (belt=…).
    """
    from geo.region_data import default_belt_km
    from views import cache

    own = default_belt_km(cache.region_data(region).zones)
    state = st.session_state
    if own is None:  # no belts here: no width in the link, and the next region with belts starts at its own
        state["_belt_region"] = region.key
        for key in ("belt_km", "_belt_default"):
            state.pop(key, None)
        return None
    if state.get("_belt_region") != region.key:
        if state.get("_belt_region") is not None or state.get("belt_km") is None:
            state["belt_km"] = own  # a new region: its own width (a link's belt=… applies to the first region)
        state["_belt_region"] = region.key
    state["_belt_default"] = own
    options = sorted(set(BELT_WIDTHS_KM) | {own, float(state["belt_km"])})
    st.select_slider(t("belt_width", lang), options=options, key="belt_km", format_func=lambda w: f"±{w:g} km",
                     help=t("belt_width_help", lang, km=f"{own:g}"))
    return float(state["belt_km"])


def terrain_for(region, lang: str):
    """Return (terrain image, elevation grid) of a region for the offline terrain basemap, or (None, None) with a
    message naming `make dem` when no DEM covers it."""
    from geo.terrain.dem import NoDemError
    from views import cache

    if region is None:
        return None, None
    try:
        return cache.terrain_image(region)
    except NoDemError as exc:
        st.info(t("terrain_no_dem", lang, reason=str(exc)), icon=":material/terrain:")
        return None, None


def base_map(extent, lang: str, *, view: dict | None = None, features: int = 0, region=None,
             with_terrain: bool = False):
    """Return (map, basemap id, display datum) on the chosen basemap; a basemap whose key is missing falls back to
    the offline terrain with a message naming the key. features: how many polygons the page will draw; region: whose
    terrain the offline terrain basemap shows; with_terrain: lay the hillshade over an online basemap too."""
    basemap = st.session_state.get("basemap", default_basemap_id())
    canvas = features >= CANVAS_FROM_FEATURES
    if basemaps()[basemap].token and not resolve_token(basemaps()[basemap], secrets()):
        b = basemaps()[basemap]
        st.warning(t("basemap_key_missing", lang, basemap=b.name(lang), token=b.token))
        basemap = default_basemap_id()
    wanted = basemaps()[basemap].kind == "terrain" or (with_terrain and basemaps()[basemap].kind == "tiles")
    terrain, readout = terrain_for(region, lang) if wanted else (None, None)
    try:
        fmap = atlas_map(extent, basemap_id=basemap, lang=lang, token=resolve_token(basemaps()[basemap], secrets()),
                         view=view, canvas=canvas, terrain=terrain, readout=readout)
    except MissingToken:  # the key vanished between the check and the call
        basemap = "none"
        fmap = atlas_map(extent, basemap_id=basemap, lang=lang, view=view, canvas=canvas)
    return fmap, basemap, map_datum(basemap)
