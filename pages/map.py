"""The map page: boundaries, zones/belts and villages of the chosen year beside the region's published figures."""
import pandas as pd
import streamlit as st

from geo.i18n import t
from layers.base import atlas_map
from layers.boundaries import boundary_layer
from layers.legend import illustrative_flag, legend
from layers.villages import village_legend_entries, villages_layer
from layers.zones import zone_legend_entries, zones_layer
from pages.common import (
    cached_region_data, cached_report, current_lang, current_region, current_year, illustrative_notice, show_map,
)

COUNTY_SIMPLIFY_DEG = 0.002  # ~200 m: display simplification when a region has many counties

lang = current_lang()
year = current_year()
region = current_region()
if region is not None:
    data = cached_region_data(region.key)
    outline, counties = data.outline, data.counties
    level = t(f"level_{region.level}", lang)
    st.header(f"{region.name(lang)}")
    parts = [region.adcode, level] + ([t("divisions", lang, n=len(counties))] if len(counties) > 1 else [])
    st.caption(" · ".join(parts))
    illustrative_notice(data, lang)
    map_col, figures_col = st.columns([3, 2])
    with map_col:
        basemap = st.session_state.get("basemap", "osm")
        tolerance = COUNTY_SIMPLIFY_DEG if len(counties) > 20 else 0.0
        fmap = atlas_map(outline.total_bounds, basemap_id=basemap, lang=lang)
        if len(counties) > 1 and (data.zones["kind"] != "county").all():
            boundary_layer(counties, name=t("layer_counties", lang), weight=1, color="#666666",
                           tolerance_deg=tolerance).add_to(fmap)
        boundary_layer(outline, name=region.name(lang), outline_only=True, weight=3, color="#c0392b",
                       tolerance_deg=tolerance).add_to(fmap)
        zones_layer(data.zones, lang=lang, clip_to=outline, tolerance_deg=tolerance).add_to(fmap)
        report = cached_report(region.key, year, lang)
        gap_ids = frozenset(g["village_id"] for g in report["gaps"])
        entries = zone_legend_entries(data.zones, lang)
        if len(data.villages):
            entries += village_legend_entries(lang, with_gaps=bool(gap_ids) and len(data.zones) > 0)
        if entries:
            fmap.add_child(legend(t("legend_title", lang), entries))
        if data.illustrative:
            fmap.add_child(illustrative_flag(t("illustrative_badge", lang)))
        villages = villages_layer(data.villages, year, lang=lang, gap_ids=gap_ids)
        show_map(fmap, key=f"map-{region.key}-{basemap}-{lang}", feature_groups=[villages])
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
