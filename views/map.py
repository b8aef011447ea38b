"""The map page: a full-width map of boundaries, zones/belts and villages of the chosen year; click to inspect; the
selection and the published figures below; a presentation mode ready for a screenshot.

The map's static layers are rendered once per region, data version, belt width, datum, language and choice of
layers (views/cache.static_map); what a year changes (village colours, the choropleth, title and key figures, the
selection) reaches the map as small feature groups, so the map itself never reloads and keeps its view.
"""
from datetime import date

import pandas as pd
import streamlit as st

from geo.coverage.membership import has_outline
from geo.i18n import localized, pick, t
from geo.regions import RegionRef, citation
from geo.villages import campaign_year, placed, village_status
from layers.base import atlas_map, datum_label
from layers.basemaps import basemaps
from layers.boundaries import display_tolerance_deg
from layers.choropleth import choropleth_layer
from layers.display import click_to_wgs84
from layers.legend import LabelDeclutter, MapLabel, illustrative_flag, legend, north_arrow
from layers.points import nearest_village, village_recolour_group
from layers.prerender import PrerenderedLayers
from layers.static import VILLAGES_KEY, is_county_zones
from layers.villages import village_legend_entries
from layers.zones import highlight_layer, zone_legend_entries
from views import cache
from views.indicators import choropleth_values
from views.state import DEFAULT_LAYERS, LAYER_CHOICES, current_view, page_args, remember_view, share_link
from views.widgets import (
    MAP_HEIGHT_PX,
    base_map_options,
    belt_width_control,
    illustrative_notice,
    show_map,
    terrain_for,
)

CHOROPLETH_METRICS = {  # metric -> number format (the choices: views.state.CHOROPLETH_CHOICES)
    "poor_population": "{:,.0f}", "poor_population_share": "{:.1%}", "poverty_villages": "{:,.0f}",
    "poor_per_km2": "{:,.1f}",
}
PRESENT_HEIGHT_PX = 866  # the map in presentation mode: a 1400 x 900 browser window less the page margins
PRESENT_TITLE_PX = 96  # room kept above a fitted region for the title and key figures
CLICK_RADIUS_PX = 8  # a click this close (screen px) to a village's centre selects it
PRESENTATION_CSS = """
<style>
section[data-testid="stSidebar"], div[data-testid="stSidebarCollapsedControl"], header[data-testid="stHeader"],
div[data-testid="stToolbar"] { display: none !important; }
div[data-testid="stMainBlockContainer"], .block-container { padding: 0.4rem 0.5rem 0 0.5rem !important;
  max-width: 100% !important; }
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
        year = campaign_year(year)  # the 2014–2020 record: as at the end of 2020 after it
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
        if z["kind"] == "belt" and z.get("half_width_km") == z.get("half_width_km"):
            st.caption(t("belt_width_now", lang, km=z["half_width_km"]))
        if z["industries"]:
            st.caption(f"{t('industries', lang)}{colon}{pick(lang, '、', ', ').join(z['industries'])}")
        st.caption(f"{t('provenance', lang)}{colon}{t('provenance_' + z['provenance'], lang)}"
                   + (f" · {t('illustrative_short', lang)}" if z["provenance"] == "illustrative" else ""))
    else:
        st.caption(t("click_hint", lang))


def handle_click(result, data, datum) -> None:
    """Turn a new click on the map into a selected village or zone.

    A village is found from the click's position (layers.points.nearest_village, in screen pixels at the map's
    zoom; the click is shifted back to WGS84 first), so that it works whether or not village ids fit in the page;
    otherwise the clicked zone or belt (streamlit-folium's last_active_drawing) is selected.
    """
    result = result or {}
    click, drawing = result.get("last_clicked"), result.get("last_active_drawing")
    previous = st.session_state.get("_last_click") or (None, None)
    token = (repr(click), repr(drawing))
    if token == previous:
        return
    st.session_state["_last_click"] = token
    if click and token[0] != previous[0] and len(data.villages) \
            and "villages" in st.session_state.get("layers", DEFAULT_LAYERS):
        lon, lat = click_to_wgs84(click["lng"], click["lat"], datum)
        shown = data.villages[placed(data.villages)]  # an unplaced village is not on the map
        hit = nearest_village(shown, lon, lat, CLICK_RADIUS_PX, float(result.get("zoom") or 8)) if len(shown) else None
        if hit is not None:
            st.session_state["selected_village"] = data.villages.at[hit, "village_id"]
            return
    if token[1] == previous[1]:
        return
    props = (drawing or {}).get("properties") or {}
    if props.get("village_id") and props["village_id"] in set(data.villages["village_id"]):
        st.session_state["selected_village"] = props["village_id"]
    elif props.get("zone_id") and props["zone_id"] in set(data.zones["zone_id"]):
        st.session_state["selected_zone"] = props["zone_id"]
        st.session_state.pop("selected_village", None)


def key_figures_html(report: dict, lang: str) -> str:
    """Return the union's key figures (covered poverty villages, poor people, share) as one line of HTML."""
    union = report["union"]
    if not union or union.get("poverty_villages_total") in (None, 0) and union.get("poor_population_total") in (None, 0):
        return ""
    share = union.get("poor_population_share")
    return t("present_figures", lang, villages=f"{union['poverty_villages_covered']:,}",
             total=f"{union['poverty_villages_total']:,}", people=f"{union['poor_population_covered']:,}",
             share="—" if share is None else f"{share:.1%}")


def presentation_labels(data, report, region: RegionRef, year: int, lang: str) -> list[MapLabel]:
    """Return the title with the year and the key figures (they change with the year: a feature group's labels)."""
    import html

    figures = key_figures_html(report, lang)
    text = (f'<div style="font-size:20px;font-weight:bold">{html.escape(t("map_title", lang, region=region.name(lang), year=year))}'
            f'{" · " + html.escape(t("illustrative_short", lang)) if data.illustrative else ""}</div>'
            + (f'<div style="font-size:14px;margin-top:2px">{html.escape(figures)}</div>' if figures else ""))
    return [MapLabel(text, css_class="va-title", position="topleft", style="padding:6px 12px;max-width:900px;")]


def source_line(data, datum: str, lang: str) -> str:
    """Return the map's source and date line: boundaries, zones and villages (illustrative or the user's), datum."""
    parts = [t("present_source_boundaries", lang)]
    if len(data.zones) or len(data.villages):
        parts.append(t("present_source_illustrative" if data.illustrative else "present_source_user", lang))
    return t("present_source", lang, sources="；".join(parts) if lang == "zh" else "; ".join(parts),
             datum=datum_label(datum), date=date.today().isoformat())


def legend_entries(data, report, layers, lang: str, gap_ids) -> tuple[list, list]:
    """Return (static rows, choropleth rows) of the legend."""
    rows, choropleth_rows = [], []
    if "zones" in layers and "choropleth" not in layers and not is_county_zones(data):
        rows += zone_legend_entries(data.zones[has_outline(data.zones)], lang)
    if "villages" in layers and len(data.villages):
        rows += village_legend_entries(lang, with_gaps=len(data.zones) > 0)
    return rows, choropleth_rows


def map_page(region: RegionRef | None, year: int, lang: str) -> None:
    """Show a region's map for a year: boundaries, zones, villages, the selection and the published figures."""
    if region is None:
        return
    present = st.session_state.get("present", False)
    if present:
        st.markdown(PRESENTATION_CSS, unsafe_allow_html=True)
        belt_km = st.session_state.get("belt_km")
    else:
        st.header(f"{region.name(lang)}")
        base = cache.region_data(region)
        parts = [region.adcode, t(f"level_{region.level}", lang)]
        parts += [t("divisions", lang, n=len(base.counties))] if len(base.counties) > 1 else []
        st.caption(" · ".join(parts))
        illustrative_notice(base, lang)
        unplaced, outline_less = int((~placed(base.villages)).sum()), int((~has_outline(base.zones)).sum())
        if unplaced or outline_less:
            st.caption(t("map_not_drawn", lang, villages=unplaced, zones=outline_less))
        st.session_state.setdefault("layers", list(DEFAULT_LAYERS))
        c1, c2, c3 = st.columns([3, 1.2, 1.2])
        c1.multiselect(t("layers", lang), LAYER_CHOICES, key="layers", format_func=lambda c: t(f"layer_choice_{c}", lang))
        if "choropleth" in st.session_state["layers"]:
            c2.selectbox(t("choropleth_metric", lang), list(CHOROPLETH_METRICS), key="choropleth_metric",
                         format_func=lambda m: t(m, lang))
        with c3:
            belt_km = belt_width_control(region, lang)
    data = cache.region_data(region, belt_km=belt_km)
    drawn_zones = data.zones[has_outline(data.zones)]  # a zone with members but no outline yet is listed, not drawn
    drawn_villages = data.villages[placed(data.villages)]  # an unplaced village is counted and listed, not drawn
    layers = tuple(st.session_state.get("layers", DEFAULT_LAYERS))
    basemap, datum, token = base_map_options(lang)
    kind = basemaps()[basemap].kind
    wants_terrain = kind == "terrain" or ("terrain" in layers and kind == "tiles")
    terrain, readout = terrain_for(region, lang) if wants_terrain else (None, None)
    static = cache.static_map(data, datum=datum, lang=lang, layers=layers)
    report = cache.report(data, year, lang)
    gap_ids = frozenset(g["village_id"] for g in report["gaps"])

    # the map: the same script from rerun to rerun for one identity (no reload); the view it opens at is fixed then
    identity = (region.key, data.version, data.belt_km, basemap, lang, layers, present)
    anchors = st.session_state.setdefault("_view_anchor", {})
    if identity not in anchors:
        anchors.clear()
        anchors[identity] = None if present else current_view()
    fmap = atlas_map(None, basemap_id=basemap, lang=lang, token=token, view=anchors[identity], canvas=static.canvas,
                     bounds=static.bounds, title_px=PRESENT_TITLE_PX if present else 0, zoom_control=not present,
                     terrain=terrain, readout=readout)
    fmap.add_child(PrerenderedLayers(static.layers))
    fmap.add_child(LabelDeclutter())
    static_rows, _ = legend_entries(data, report, layers, lang, gap_ids)
    if data.illustrative:
        fmap.add_child(illustrative_flag(t("illustrative_badge", lang)))
    if present:
        fmap.add_child(north_arrow(t("north", lang)))
        fmap.add_child(MapLabel(source_line(data, datum, lang), css_class="va-source", position="bottomleft",
                                style="max-width:640px;"))
    dynamic = []
    if "villages" in layers and len(data.villages):
        dynamic.append(village_recolour_group(drawn_villages, campaign_year(year), gap_ids=gap_ids, key=VILLAGES_KEY))
    overlay = None
    if "choropleth" in layers and len(data.zones):
        metric = st.session_state.get("choropleth_metric", "poor_population")
        values, label, fmt = choropleth_values(data, report, metric, year, lang, CHOROPLETH_METRICS)
        group, rows = choropleth_layer(drawn_zones, values.loc[drawn_zones.index],
                                       name=t("layer_choropleth", lang, metric=label), value_label=label, fmt=fmt,
                                       datum=datum, tolerance_deg=display_tolerance_deg(len(data.counties)), lang=lang)
        group.add_child(legend(t("legend_title", lang), [("", label)] + rows + static_rows))
        dynamic.append(group)
    elif static_rows:
        fmap.add_child(legend(t("legend_title", lang), static_rows))
    selected = st.session_state.get("selected_zone")
    if selected and selected in set(drawn_zones["zone_id"]):
        dynamic.append(highlight_layer(drawn_zones[drawn_zones["zone_id"] == selected], clip_to=data.outline,
                                       datum=datum))
    if present:
        import folium

        overlay = folium.FeatureGroup(name="presentation", control=False)
        for label in presentation_labels(data, report, region, year, lang):
            overlay.add_child(label)
        dynamic.append(overlay)
    key = "map-" + "-".join(str(p) for p in identity)
    result = show_map(fmap, key=key, feature_groups=dynamic,
                      returned_objects=["last_clicked", "last_active_drawing", "center", "zoom"],
                      height=PRESENT_HEIGHT_PX if present else MAP_HEIGHT_PX)
    handle_click(result, data, datum)
    if result and result.get("center") and result.get("zoom") is not None:
        remember_view(result["center"]["lat"], result["center"]["lng"], result["zoom"])

    if not present:
        st.caption(t("map_caption", lang))
        left, right = st.columns([1, 1])
        with left:
            inspect_panel(data, report, year, lang)
        with right:
            published_figures(region, year, lang)
    with st.container(key="controls_below"):
        st.toggle(t("presentation", lang), key="present")
        if not present:
            st.code(share_link(), language=None)
            st.caption(t("copy_link", lang))


def published_figures(region: RegionRef, year: int, lang: str) -> None:
    """Show the region's published figures with their sources (title, publisher, date) and, for a figure of another
    year than the page's, that year."""
    st.subheader(t("published_figures", lang))
    if not region.figures:
        st.info(t("no_figures", lang))
        return
    rows = [{
        t("figure", lang): fig.label(lang),
        t("value", lang): fig.display_value(lang, page_year=year),
        t("when", lang): fig.when_text(lang),
        t("source", lang): citation(fig.source, lang),
    } for fig in region.figures]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key="figures_table")
    if any(f.garbled for f in region.figures):
        st.caption("⚠️ " + t("garbled_note", lang))


map_page(**page_args())
