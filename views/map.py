"""The map page: boundaries, zones/belts and villages of the chosen year; click to inspect; published figures."""
import numpy as np
import pandas as pd
import streamlit as st

from geo.coverage.membership import has_outline
from geo.i18n import localized, pick, t
from geo.regions import RegionRef, citation
from geo.villages import placed
from layers.basemaps import default_basemap_id
from layers.boundaries import boundary_layer, display_tolerance_deg
from layers.choropleth import choropleth_layer
from layers.display import click_to_wgs84
from layers.legend import MapLabel, illustrative_flag, legend
from layers.villages import village_legend_entries, villages_layer
from layers.zones import highlight_layer, zone_legend_entries, zones_layer
from views import cache
from views.indicators import choropleth_values
from views.state import DEFAULT_LAYERS, LAYER_CHOICES, page_args, share_link
from views.widgets import base_map, illustrative_notice, show_map

CHOROPLETH_METRICS = {  # metric -> number format
    "poor_population": "{:,.0f}", "poor_population_share": "{:.1%}", "poverty_villages": "{:,.0f}",
    "poor_per_km2": "{:,.1f}",
}
PRESENTATION_CSS = """
<style>
section[data-testid="stSidebar"], div[data-testid="stSidebarCollapsedControl"], header[data-testid="stHeader"],
div[data-testid="stToolbar"] { display: none !important; }
div[data-testid="stMainBlockContainer"], .block-container { padding-top: 0.5rem !important; max-width: 100% !important; }
</style>
"""


def inspect_panel(data, report, year: int, lang: str):
    """Show the metrics of the selected zone, or the record of the selected village."""
    st.subheader(t("panel_title", lang))
    zone_id = st.session_state.get("selected_zone")
    village_id = st.session_state.get("selected_village")
    zones = {z["zone_id"]: z for z in report["zones"]}
    if village_id and village_id in set(data.villages["village_id"]):
        row = data.villages.loc[data.villages["village_id"] == village_id].iloc[0]
        from geo.villages import village_status

        status = village_status(data.villages.loc[[row.name]], year).iloc[0]
        position = data.villages.index.get_loc(row.name)
        m = data.membership
        names = localized(data.zones, "name", lang).to_numpy()
        in_zones = "、".join(names[m.zone_pos[m.village_pos == position]]) or t("outside_zones", lang)
        st.markdown(f"**{t('panel_village', lang)}{pick(lang, '：', ': ')}{row['name']}**")
        st.dataframe(pd.DataFrame({"": [
            t("status", lang), t("poor_population", lang), t("rural_population", lang), t("identified_year", lang),
            t("exit_year", lang), t("in_zones", lang), t("township", lang), t("code", lang), t("provenance", lang)],
            " ": [t(f"status_{status}", lang), f"{int(row[f'poor_{year}']):,}", f"{int(row['rural_population']):,}",
                  "—" if pd.isna(row["identified_year"]) else str(row["identified_year"]),
                  t("not_exited", lang) if pd.isna(row["exit_year"]) else str(row["exit_year"]),
                  in_zones, row["township"] or "—", row["code"] or "—",
                  t(f"provenance_{row['provenance']}", lang)]}), hide_index=True, width="stretch", key="village_panel")
    elif zone_id and zone_id in zones:
        z = zones[zone_id]
        colon = pick(lang, "：", ": ")
        st.markdown(f"**{t('panel_zone', lang)}{colon}{z['name']}** · {t('zone_kind_' + z['kind'], lang)}")
        c1, c2, c3 = st.columns(3)
        c1.metric(t("villages_count", lang), f"{z['villages']:,}")
        c2.metric(t("poverty_villages", lang), f"{z['poverty_villages']:,}")
        c3.metric(t("poor_population", lang), f"{z['poor_population']:,}")
        st.caption(
            f"{t('poor_population_share', lang)} {z['poor_population_share']:.1%} · "
            f"{t('area_km2', lang)} {z['area_km2']:,.1f} · {t('area_10k_mu', lang)} {z['area_10k_mu']:,.2f}")
        if z["industries"]:
            st.caption(f"{t('industries', lang)}{colon}{pick(lang, '、', ', ').join(z['industries'])}")
        st.caption(f"{t('provenance', lang)}{colon}{t('provenance_' + z['provenance'], lang)}"
                   + (f" · {t('illustrative_short', lang)}" if z["provenance"] == "illustrative" else ""))
    else:
        st.caption(t("click_hint", lang))


def handle_click(result, data, datum):
    """Turn the map's last clicked feature into a selected zone or village (clicks are shifted back to WGS84)."""
    clicked = (result or {}).get("last_active_drawing")
    if not clicked or clicked == st.session_state.get("_last_click"):
        return
    st.session_state["_last_click"] = clicked
    props = clicked.get("properties") or {}
    if props.get("village_id"):
        st.session_state["selected_village"] = props["village_id"]
    elif props.get("zone_id") and props["zone_id"] in set(data.zones["zone_id"]):
        st.session_state["selected_zone"] = props["zone_id"]
        st.session_state.pop("selected_village", None)
    elif clicked.get("geometry", {}).get("type") == "Point" and len(data.villages):
        lon, lat = click_to_wgs84(*clicked["geometry"]["coordinates"][:2], datum)  # clustered villages: nearest
        shown = data.villages[placed(data.villages)]  # unplaced villages are not on the map
        if len(shown):
            pts = shown.geometry
            nearest = int(np.argmin((pts.x - lon) ** 2 + (pts.y - lat) ** 2))
            st.session_state["selected_village"] = shown["village_id"].iloc[nearest]


def remember_view(result) -> None:
    if result and result.get("center") and result.get("zoom") is not None:
        st.session_state["view"] = {"lat": result["center"]["lat"], "lon": result["center"]["lng"],
                                    "zoom": int(result["zoom"])}


def map_page(region: RegionRef | None, year: int, lang: str) -> None:
    """Show a region's map for a year: boundaries, zones, villages, a side panel and the published figures."""
    if region is None:
        return
    data = cache.region_data(region)
    outline, counties = data.outline, data.counties
    drawn_zones = data.zones[has_outline(data.zones)]  # a zone with members but no outline yet is listed, not drawn
    drawn_villages = data.villages[placed(data.villages)]  # an unplaced village is counted and listed, not drawn
    present = st.session_state.get("present", False)
    if present:
        st.markdown(PRESENTATION_CSS, unsafe_allow_html=True)
    else:
        level = t(f"level_{region.level}", lang)
        st.header(f"{region.name(lang)}")
        parts = [region.adcode, level] + ([t("divisions", lang, n=len(counties))] if len(counties) > 1 else [])
        st.caption(" · ".join(parts))
        illustrative_notice(data, lang)
        if len(drawn_villages) < len(data.villages) or len(drawn_zones) < len(data.zones):
            st.caption(t("map_not_drawn", lang, villages=len(data.villages) - len(drawn_villages),
                         zones=len(data.zones) - len(drawn_zones)))
        st.session_state.setdefault("layers", list(DEFAULT_LAYERS))
        c1, c2 = st.columns([3, 1])
        c1.multiselect(t("layers", lang), LAYER_CHOICES, key="layers", format_func=lambda c: t(f"layer_choice_{c}", lang))
        if "choropleth" in st.session_state["layers"]:
            c2.selectbox(t("choropleth_metric", lang), list(CHOROPLETH_METRICS), key="choropleth_metric",
                         format_func=lambda m: t(m, lang))
    layers = st.session_state.get("layers", DEFAULT_LAYERS)
    basemap = st.session_state.get("basemap", default_basemap_id())
    map_col, side_col = st.columns([3, 2]) if not present else (st.container(), None)
    with map_col:
        identity = (region.key, basemap, lang, tuple(layers), st.session_state.get("choropleth_metric"), present)
        anchors = st.session_state.setdefault("_view_anchor", {})
        if identity not in anchors:  # the view when this map was built: constant while the map stays the same
            anchors.clear()
            anchors[identity] = st.session_state.get("view")
        fmap, basemap, datum = base_map(outline, lang, view=anchors[identity],
                                        features=max(len(counties), len(data.zones)), region=region,
                                        with_terrain="terrain" in layers)
        tolerance = display_tolerance_deg(len(counties))
        is_county_zones = len(data.zones) and (data.zones["kind"] == "county").all()
        if "counties" in layers and len(counties) > 1 and not is_county_zones:
            boundary_layer(counties, name=t("layer_counties", lang), weight=1, color="#666666",
                           tolerance_deg=tolerance, datum=datum, labels=len(counties) <= 20).add_to(fmap)
        boundary_layer(outline, name=region.name(lang), outline_only=True, weight=3, color="#c0392b",
                       tolerance_deg=tolerance, datum=datum).add_to(fmap)
        report = cache.report(data, year, lang)
        entries = []
        if "choropleth" in layers and len(data.zones):
            metric = st.session_state.get("choropleth_metric", "poor_population")
            values, label, fmt = choropleth_values(data, report, metric, year, lang, CHOROPLETH_METRICS)
            group, rows = choropleth_layer(drawn_zones, values.loc[drawn_zones.index], name=t("layer_choropleth", lang, metric=label),
                                           value_label=label, fmt=fmt, datum=datum,
                                           tolerance_deg=tolerance, lang=lang)
            group.add_to(fmap)
            entries += [("", label)] + rows
        elif "zones" in layers:
            zones_layer(drawn_zones, lang=lang, clip_to=outline, tolerance_deg=tolerance, datum=datum).add_to(fmap)
            entries += zone_legend_entries(drawn_zones, lang)
        gap_ids = frozenset(g["village_id"] for g in report["gaps"])
        if "villages" in layers and len(data.villages):
            entries += village_legend_entries(lang, with_gaps=bool(gap_ids) and len(data.zones) > 0)
        if entries:
            fmap.add_child(legend(t("legend_title", lang), entries))
        if data.illustrative:
            fmap.add_child(illustrative_flag(t("illustrative_badge", lang)))
        if present:
            fmap.add_child(MapLabel(t("map_title", lang, region=region.name(lang), year=year), css_class="va-title",
                                    position="topleft", style="font-size:18px;font-weight:bold;padding:4px 10px;"))
        dynamic = []
        if "villages" in layers:
            dynamic.append(villages_layer(drawn_villages, year, lang=lang, gap_ids=gap_ids, datum=datum))
        selected = st.session_state.get("selected_zone")
        if selected and selected in set(drawn_zones["zone_id"]):
            dynamic.append(highlight_layer(drawn_zones[drawn_zones["zone_id"] == selected], clip_to=outline,
                                           datum=datum))
        key = "map-" + "-".join(str(p) for p in identity)
        result = show_map(fmap, key=key, feature_groups=dynamic,
                          returned_objects=["last_active_drawing", "center", "zoom"],
                          height=860 if present else None)
        handle_click(result, data, datum)
        remember_view(result)
        if not present:
            st.caption(t("map_caption", lang))
    if side_col is not None:
        with side_col:
            inspect_panel(data, report, year, lang)
            st.subheader(t("published_figures", lang))
            if not region.figures:
                st.info(t("no_figures", lang))
            else:
                rows = [{
                    t("figure", lang): fig.label(lang),
                    t("value", lang): fig.display_value(lang, page_year=year),
                    t("when", lang): fig.when_text(lang),
                    t("source", lang): citation(fig.source, lang),
                } for fig in region.figures]
                st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key="figures_table")
                if any(f.garbled for f in region.figures):
                    st.caption("⚠️ " + t("garbled_note", lang))
    with st.container(key="controls_below"):
        st.toggle(t("presentation", lang), key="present")
        if not present:
            st.code(share_link(), language=None)
            st.caption(t("copy_link", lang))


map_page(**page_args())
