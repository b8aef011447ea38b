"""The briefing page: a preview of the card, downloads (PNG, PDF, atlas, Excel, GeoPackage, GeoJSON, CSV)."""
import re

import streamlit as st

from briefing.card import render_card
from geo.i18n import t
from pages.common import cached_region_data, current_lang, current_region, current_year, illustrative_notice

lang = current_lang()
year = current_year()
region = current_region()
ALL_ZONES = ""


@st.cache_data(show_spinner=False, max_entries=32)
def card_bytes(key: str, year: int, zone_id: str, size: str, lang: str, review: str, fmt: str, underlay: bool) -> bytes:
    import xyzservices.providers as xyz

    data = cached_region_data(key)
    return render_card(data, year, fmt=fmt, zone_id=zone_id or None, size=size, lang=lang,
                       review_number=review or None, underlay=xyz.OpenStreetMap.Mapnik if underlay else None,
                       dpi=200 if fmt == "png" else 100)


@st.cache_data(show_spinner=False, max_entries=16)
def table_exports(key: str, year: int, lang: str, datum: str) -> dict[str, bytes]:
    from briefing.gis import export_layers, to_geojson_zip, to_geopackage, villages_csv
    from briefing.workbook import render_workbook

    data = cached_region_data(key)
    layers = export_layers(data, year, datum=datum)
    return {"xlsx": render_workbook(data, year, lang=lang), "gpkg": to_geopackage(layers),
            "geojson": to_geojson_zip(layers), "csv": villages_csv(data, year)}


def file_name(region_name: str, zone: str, year: int, suffix: str) -> str:
    stem = "_".join(p for p in (region_name, zone, str(year)) if p)
    return re.sub(r"[^\w\u4e00-\u9fff-]+", "_", stem) + suffix


if region is not None:
    data = cached_region_data(region.key)
    st.header(f"{t('briefing_title', lang)} · {region.name(lang)} · {year}")
    illustrative_notice(data, lang)
    names = dict(zip(data.zones["zone_id"], data.zones["name_zh" if lang == "zh" else "name_en"]))
    c1, c2, c3, c4 = st.columns([2, 1, 1, 1])
    zone_id = c1.selectbox(t("briefing_zone", lang), [ALL_ZONES, *names], key="briefing_zone",
                           format_func=lambda z: t("briefing_zone_all", lang) if z == ALL_ZONES else names[z])
    size = c2.radio(t("briefing_size", lang), ["a4", "16:9"], key="briefing_size",
                    format_func=lambda s: t("briefing_size_a4" if s == "a4" else "briefing_size_16x9", lang))
    review = c3.text_input(t("briefing_review", lang), key="briefing_review", max_chars=40)
    underlay = c4.checkbox(t("briefing_underlay", lang), key="briefing_underlay", value=False)
    png = card_bytes(region.key, year, zone_id, size, lang, review, "png", underlay)
    st.subheader(t("briefing_preview", lang))
    st.image(png, width="stretch")
    zone_label = names.get(zone_id, "")
    d1, d2, d3 = st.columns(3)
    d1.download_button(t("briefing_download_png", lang), png, file_name(region.name(lang), zone_label, year, ".png"),
                       "image/png", key="download_png", type="primary")
    d2.download_button(t("briefing_download_pdf", lang),
                       card_bytes(region.key, year, zone_id, size, lang, review, "pdf", underlay),
                       file_name(region.name(lang), zone_label, year, ".pdf"), "application/pdf", key="download_pdf")
    with d3:
        if len(data.zones) and st.button(t("briefing_atlas", lang), key="build_atlas"):
            from briefing.atlas import render_atlas

            bar = st.progress(0.0)

            def progress(done, total):
                bar.progress(done / total, text=t("briefing_atlas_progress", lang, done=done, total=total))

            st.session_state["atlas_pdf"] = (region.key, year, lang, render_atlas(data, year, lang=lang,
                                                                                  progress=progress))
        built = st.session_state.get("atlas_pdf")
        if built and built[:3] == (region.key, year, lang):
            st.download_button(t("briefing_download_atlas", lang), built[3],
                               file_name(region.name(lang), "atlas", year, ".pdf"), "application/pdf",
                               key="download_atlas")
    st.subheader(t("briefing_gis", lang))
    datum = st.radio(t("briefing_datum", lang), ["wgs84", "gcj02"], key="briefing_datum", horizontal=True,
                     format_func=lambda d: t(f"briefing_datum_{d}", lang))
    exports = table_exports(region.key, year, lang, datum)
    e1, e2, e3, e4 = st.columns(4)
    e1.download_button(t("briefing_download_xlsx", lang), exports["xlsx"],
                       file_name(region.name(lang), "", year, ".xlsx"),
                       "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="download_xlsx")
    e2.download_button(t("briefing_download_gpkg", lang), exports["gpkg"],
                       file_name(region.name(lang), datum, year, ".gpkg"), "application/geopackage+sqlite3",
                       key="download_gpkg")
    e3.download_button(t("briefing_download_geojson", lang), exports["geojson"],
                       file_name(region.name(lang), datum, year, ".geojson.zip"), "application/zip",
                       key="download_geojson")
    e4.download_button(t("briefing_download_csv", lang), exports["csv"],
                       file_name(region.name(lang), "villages", year, ".csv"), "text/csv", key="download_csv")
