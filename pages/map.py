"""The map page: the region's boundaries on the chosen basemap beside its published figures."""
import pandas as pd
import streamlit as st

from geo.i18n import t
from layers.base import atlas_map
from layers.boundaries import boundary_layer
from pages.common import cached_region_divisions, current_lang, current_region, show_map

lang = current_lang()
region = current_region()
if region is not None:
    outline, counties = cached_region_divisions(region.adcode)
    level = t(f"level_{region.level}", lang)
    st.header(f"{region.name(lang)}")
    parts = [region.adcode, level] + ([t("divisions", lang, n=len(counties))] if len(counties) > 1 else [])
    st.caption(" · ".join(parts))
    map_col, figures_col = st.columns([3, 2])
    with map_col:
        fmap = atlas_map(outline.total_bounds, basemap_id=st.session_state.get("basemap", "osm"), lang=lang)
        tolerance = 0.002 if len(counties) > 20 else 0.0
        if len(counties) > 1:
            boundary_layer(counties, name=t("boundary_layer", lang), weight=1, color="#666666",
                           tolerance_deg=tolerance).add_to(fmap)
        boundary_layer(outline, name=region.name(lang), outline_only=True, weight=3, color="#c0392b",
                       tolerance_deg=tolerance).add_to(fmap)
        show_map(fmap, key=f"map-{region.key}")
        st.caption(t("map_caption", lang))
    with figures_col:
        st.subheader(t("published_figures", lang))
        if not region.figures:
            st.info(t("no_figures", lang))
        else:
            rows = [{
                t("figure", lang): fig.label(lang),
                t("value", lang): fig.display_value(lang),
                t("when", lang): fig.when,
                t("source", lang): fig.source,
            } for fig in region.figures]
            st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key="figures_table")
            if any(f.garbled for f in region.figures):
                st.caption("⚠️ " + t("garbled_note", lang))
