"""The briefing page: a preview of the card, downloads (PNG, PDF, atlas, Excel, GeoPackage, GeoJSON, CSV)."""
import re

import streamlit as st

from briefing.gis import EXPORT_DATUMS
from geo.i18n import localized, t
from geo.regions import RegionRef
from views import auth, cache
from views.state import current_indicator, page_args
from views.widgets import illustrative_notice

ALL_ZONES = ""


def file_name(region_name: str, zone: str, year: int, suffix: str) -> str:
    stem = "_".join(p for p in (region_name, zone, str(year)) if p)
    return re.sub(r"[^\w\u4e00-\u9fff-]+", "_", stem) + suffix


def briefing_page(region: RegionRef | None, year: int, lang: str) -> None:
    """Preview the card of a region (or one zone) in a year; offer every export of the same data."""
    if region is None:
        return
    data = cache.region_data(region)
    indicator = current_indicator()
    st.header(f"{t('briefing_title', lang)} · {region.name(lang)} · {year}")
    illustrative_notice(data, lang)
    names = dict(zip(data.zones["zone_id"], localized(data.zones, "name", lang)))
    c1, c2, c3, c4 = st.columns([2, 1, 1, 1])
    zone_id = c1.selectbox(t("briefing_zone", lang), [ALL_ZONES, *names], key="briefing_zone",
                           format_func=lambda z: t("briefing_zone_all", lang) if z == ALL_ZONES else names[z])
    size = c2.radio(t("briefing_size", lang), ["a4", "16:9"], key="briefing_size",
                    format_func=lambda s: t("briefing_size_a4" if s == "a4" else "briefing_size_16x9", lang))
    review = c3.text_input(t("briefing_review", lang), key="briefing_review", max_chars=40)
    underlay = c4.checkbox(t("briefing_underlay", lang), key="briefing_underlay", value=False)
    grid = c4.checkbox(t("briefing_grid", lang), key="briefing_grid", value=False)
    png = cache.card_bytes(data, year, zone_id=zone_id, size=size, lang=lang, review=review, fmt="png",
                           underlay=underlay, grid=grid, indicator=indicator)
    st.subheader(t("briefing_preview", lang))
    st.image(png, width="stretch")
    zone_label = names.get(zone_id, "")
    d1, d2, d3 = st.columns(3)
    d1.download_button(t("briefing_download_png", lang), png, file_name(region.name(lang), zone_label, year, ".png"),
                       "image/png", key="download_png",
                       on_click=auth.record_export, args=(region.key, "png", year), type="primary")
    d2.download_button(t("briefing_download_pdf", lang),
                       cache.card_bytes(data, year, zone_id=zone_id, size=size, lang=lang, review=review, fmt="pdf",
                                        underlay=underlay, grid=grid, indicator=indicator),
                       file_name(region.name(lang), zone_label, year, ".pdf"), "application/pdf", key="download_pdf",
                       on_click=auth.record_export, args=(region.key, "pdf", year))
    with d3:
        if len(data.zones) and st.button(t("briefing_atlas", lang), key="build_atlas"):
            from briefing.atlas import render_atlas

            bar = st.progress(0.0)

            def progress(done, total):
                bar.progress(done / total, text=t("briefing_atlas_progress", lang, done=done, total=total))

            st.session_state["atlas_pdf"] = ((region.key, data.version, year, lang, indicator),
                                             render_atlas(data, year, lang=lang, progress=progress,
                                                          indicator=indicator))
        built = st.session_state.get("atlas_pdf")
        if built and built[0] == (region.key, data.version, year, lang, indicator):  # never an atlas of older data
            st.download_button(t("briefing_download_atlas", lang), built[1],
                               file_name(region.name(lang), "atlas", year, ".pdf"), "application/pdf",
                               key="download_atlas",
                       on_click=auth.record_export, args=(region.key, "atlas", year))
    st.subheader(t("briefing_gis", lang))
    datum = st.radio(t("briefing_datum", lang), list(EXPORT_DATUMS), key="briefing_datum", horizontal=True,
                     format_func=lambda d: t(f"briefing_datum_{d}", lang))
    exports = cache.table_exports(data, year, lang, datum, indicator)
    e1, e2, e3, e4 = st.columns(4)
    e1.download_button(t("briefing_download_xlsx", lang), exports["xlsx"],
                       file_name(region.name(lang), "", year, ".xlsx"),
                       "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="download_xlsx",
                       on_click=auth.record_export, args=(region.key, "xlsx", year))
    e2.download_button(t("briefing_download_gpkg", lang), exports["gpkg"],
                       file_name(region.name(lang), datum, year, ".gpkg"), "application/geopackage+sqlite3",
                       key="download_gpkg",
                       on_click=auth.record_export, args=(region.key, "gpkg", year))
    e3.download_button(t("briefing_download_geojson", lang), exports["geojson"],
                       file_name(region.name(lang), datum, year, ".geojson.zip"), "application/zip",
                       key="download_geojson",
                       on_click=auth.record_export, args=(region.key, "geojson", year))
    e4.download_button(t("briefing_download_csv", lang), exports["csv"],
                       file_name(region.name(lang), "villages", year, ".csv"), "text/csv", key="download_csv",
                       on_click=auth.record_export, args=(region.key, "csv", year))


briefing_page(**page_args())
