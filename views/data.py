"""The data page: import villages or zones (one validation report, then confirm), draw zones on the map, undo."""
import hashlib

import pandas as pd
import streamlit as st

from geo.coverage import zone_metrics
from geo.crs import DATUMS
from geo.errors import AccessDenied
from geo.i18n import localized, t
from geo.ingest.files import max_upload_bytes, read_vector
from geo.ingest.villages import HEADER_ALIASES, guess_mapping, import_village_file, read_village_upload
from geo.ingest.zones import (
    ZONE_ALIASES,
    guess_zone_mapping,
    import_zone_file,
    zones_from_drawings,
)
from geo.regions import RegionRef
from geo.villages import POOR_COLUMNS
from geo.zones import DEFAULT_HALF_WIDTH_KM
from layers.boundaries import boundary_layer
from layers.draw import draw_control
from layers.zones import zones_layer
from views import auth, cache
from views.state import page_args
from views.widgets import base_map, show_map

NOT_MAPPED = ""
SECTIONS = ("villages", "zones", "draw")
VILLAGE_TYPES = ["csv", "txt", "xlsx", "xlsm", "geojson", "json", "kml", "gpkg", "zip"]
ZONE_TYPES = ["geojson", "json", "kml", "gpkg", "zip"]


def datum_choice(key: str, lang: str) -> str:
    return st.radio(t("data_datum", lang), list(DATUMS), key=key, horizontal=True,
                    format_func=lambda d: t(f"datum_{d}", lang))


def mapping_editor(fields, guessed: dict, columns, prefix: str, lang: str) -> dict:
    """Let the user correct the guessed column mapping; return {field: column}."""
    mapping = {}
    with st.expander(t("data_mapping", lang), expanded=False):
        options = [NOT_MAPPED, *columns]
        for field in fields:
            chosen = st.selectbox(field, options, key=f"{prefix}{field}",
                                  index=options.index(guessed[field]) if guessed.get(field) in options else 0,
                                  format_func=lambda c: t("data_not_mapped", lang) if c == NOT_MAPPED else c)
            if chosen != NOT_MAPPED:
                mapping[field] = chosen
    return mapping


def show_report(report, lang: str) -> None:
    """One report: counts, then every error and warning with where, what and how to fix it."""
    st.subheader(t("data_report", lang, errors=len(report.errors), warnings=len(report.warnings),
                   rows=report.rows_ok))
    where = t("data_feature" if report.row_label == "feature" else "data_row", lang)
    for title, issues, show in ((t("data_errors", lang), report.errors, st.error),
                                (t("data_warnings", lang), report.warnings, st.warning)):
        if issues:
            show(title)
            st.dataframe(pd.DataFrame({
                where: [str(i.row) if i.row else "—" for i in issues],
                t("data_column", lang): [i.column or "—" for i in issues],
                t("data_problem", lang): [i.text(lang) for i in issues],
                t("data_fix", lang): [i.fix_text(lang) for i in issues],
            }), hide_index=True, width="stretch")


def too_large(upload, lang: str) -> bool:
    if upload.size > max_upload_bytes():
        st.error(t("data_too_large", lang, size=upload.size / 1e6, limit=max_upload_bytes() / 1e6))
        return True
    return False


def saved(layer: str, version: int, rows: int, lang: str) -> None:
    """Say what was saved (after the rerun that shows the new data on this page too)."""
    st.session_state.pop("_view_anchor", None)  # the map fits the new data; every page sees it (views.cache)
    st.session_state["_data_flash"] = ("success", t(f"data_saved_{layer}", lang, version=version, rows=rows))
    st.rerun()


def undo(lang: str, region: str) -> None:
    """Undo the newest change of this region (a button callback: it runs before the page reads the workspace)."""
    try:
        undone = cache.workspace().undo_last(actor=auth.actor(), region=region)
    except AccessDenied as exc:
        st.session_state["_data_flash"] = ("error", t("access_denied", lang, reason=exc))
        return
    st.session_state["_data_flash"] = (
        "info", t("data_undone", lang, summary=undone["summary"]) if undone else t("data_nothing_to_undo", lang))


def write(lang: str, save, *args, **kwargs) -> int | None:
    """Run one workspace write as the session's actor; return its version, or None when the workspace refused it
    (the server's check: nothing changed; the page says why and goes on)."""
    try:
        return save(*args, **kwargs, actor=auth.actor())
    except AccessDenied as exc:
        st.error(t("access_denied", lang, reason=exc))
        return None


def show_flash() -> None:
    """Show the message a save or an undo left for this run."""
    flash = st.session_state.pop("_data_flash", None)
    if flash:
        {"success": st.success, "info": st.info, "error": st.error}[flash[0]](flash[1])


def villages_section(ws, data, region: RegionRef, year: int, lang: str) -> None:
    upload = st.file_uploader(t("data_upload", lang), type=VILLAGE_TYPES, key="data_upload")
    datum = datum_choice("data_datum", lang)
    if upload is None or too_large(upload, lang):
        return
    content = upload.getvalue()
    try:
        read = read_village_upload(content, upload.name)
    except Exception:  # read again inside the import, which turns the problem into the report's error
        read = None
        report = import_village_file(content, upload.name)
    if read is not None:
        table = read[0]
        mapping = mapping_editor([*HEADER_ALIASES, *POOR_COLUMNS], guess_mapping(table.columns), table.columns,
                                 "map_", lang)
        report = import_village_file(content, upload.name, upload=read, mapping=mapping, datum=datum,
                                     region_boundary=data.outline, region_adcode=region.adcode,
                                     apply_suggested_codes=st.session_state.get("data_apply_codes", False))
    show_report(report, lang)
    if report.suggested_codes:
        st.checkbox(t("data_apply_codes", lang, n=len(report.suggested_codes)), key="data_apply_codes")
    if report.villages is not None and not report.errors and st.button(t("data_confirm", lang), key="data_confirm",
                                                                        type="primary"):
            version = write(lang, ws.save_import, report, "villages", region.key)
            if version is not None:
                saved("villages", version, report.rows_ok, lang)


def zones_section(ws, data, region: RegionRef, year: int, lang: str) -> None:
    upload = st.file_uploader(t("data_upload_zones", lang), type=ZONE_TYPES, key="data_upload_zones")
    datum = datum_choice("data_zone_datum", lang)
    half_width = st.number_input(t("data_default_half_width", lang), min_value=0.1, max_value=50.0,
                                 value=DEFAULT_HALF_WIDTH_KM, step=0.5, key="data_half_width")
    if upload is None or too_large(upload, lang):
        return
    content = upload.getvalue()
    mapping = None
    try:
        frame = read_vector(content, upload.name).frame
        mapping = mapping_editor(list(ZONE_ALIASES), guess_zone_mapping(frame),
                                 [c for c in frame.columns if c != "geometry"], "zmap_", lang)
    except Exception:  # the report below says what is wrong with the file
        pass
    report = import_zone_file(content, upload.name, mapping=mapping, datum=datum, region_boundary=data.outline,
                              default_half_width_km=half_width)
    show_report(report, lang)
    if report.zones is not None and not report.errors:
        metrics = zone_metrics(report.zones, data.villages, year, clip_to=data.outline)
        st.dataframe(coverage_table(metrics, lang), hide_index=True, width="stretch")
        if st.button(t("data_confirm_zones", lang), key="data_confirm_zones", type="primary"):
            version = write(lang, ws.save_import, report, "zones", region.key)
            if version is not None:
                saved("zones", version, report.rows_ok, lang)


def coverage_table(metrics: pd.DataFrame, lang: str) -> pd.DataFrame:
    return pd.DataFrame({
        t("zone", lang): localized(metrics, "name", lang),
        t("kind", lang): [t(f"zone_kind_{k}", lang) for k in metrics["kind"]],
        t("villages_count", lang): metrics["villages"],
        t("poverty_villages", lang): metrics["poverty_villages"],
        t("poor_population", lang): metrics["poor_population"],
        t("poor_population_share", lang): metrics["poor_population_share"].map("{:.1%}".format),
        t("area_km2", lang): metrics["area_km2"].map("{:,.1f}".format),
    })


def drawing_key(feature: dict) -> str:
    return hashlib.sha1(repr(feature.get("geometry")).encode()).hexdigest()[:10]


def draw_section(ws, data, region: RegionRef, year: int, lang: str) -> None:
    """Draw valley polygons and belt lines; name them; see their coverage live; save, replace or delete."""
    st.caption(t("data_draw_help", lang))
    drawn: dict = st.session_state.setdefault("drawn_zones", {})  # drawing key -> {"feature", "attributes"}
    fmap, basemap, datum = base_map(data.outline, lang)
    boundary_layer(data.outline, name=region.name(lang), outline_only=True, weight=3, color="#c0392b",
                   datum=datum).add_to(fmap)
    if len(data.zones):
        zones_layer(data.zones, lang=lang, clip_to=data.outline, datum=datum).add_to(fmap)
    draw_control().add_to(fmap)
    result = show_map(fmap, key=f"draw_map_{region.key}_{basemap}", returned_objects=["all_drawings"])
    for feature in (result or {}).get("all_drawings") or []:
        key = drawing_key(feature)
        if key not in drawn:
            kind = "belt" if "LineString" in feature["geometry"]["type"] else "valley"
            number = len(drawn) + 1
            drawn[key] = {"feature": feature, "attributes": {
                "zone_id": f"drawn-{key}", "name_zh": t("data_drawn_name", lang, n=number), "industries": "",
                "half_width_km": DEFAULT_HALF_WIDTH_KM if kind == "belt" else None, "kind": kind}}
    if drawn:
        keys = list(drawn)
        table = pd.DataFrame({
            "name_zh": [drawn[k]["attributes"]["name_zh"] for k in keys],
            "kind": [t(f"zone_kind_{drawn[k]['attributes']['kind']}", lang) for k in keys],
            "industries": [drawn[k]["attributes"]["industries"] for k in keys],
            "half_width_km": [drawn[k]["attributes"]["half_width_km"] for k in keys],
            "remove": [False] * len(keys)}, index=keys)
        edited = st.data_editor(table, key="drawn_editor", hide_index=True, width="stretch", disabled=["kind"],
                                column_config={
                                    "name_zh": st.column_config.TextColumn(t("zone", lang), required=True),
                                    "kind": st.column_config.TextColumn(t("kind", lang)),
                                    "industries": st.column_config.TextColumn(t("industries", lang)),
                                    "half_width_km": st.column_config.NumberColumn(t("half_width_km", lang),
                                                                                   min_value=0.1, max_value=50.0),
                                    "remove": st.column_config.CheckboxColumn(t("data_remove", lang))})
        keep = [k for k in keys if not bool(edited.loc[k, "remove"])]
        for k in keep:
            attributes = drawn[k]["attributes"]
            attributes["name_zh"] = str(edited.loc[k, "name_zh"] or attributes["name_zh"])
            attributes["industries"] = str(edited.loc[k, "industries"] or "")
            if attributes["kind"] == "belt":
                width = edited.loc[k, "half_width_km"]
                attributes["half_width_km"] = float(width) if pd.notna(width) else DEFAULT_HALF_WIDTH_KM
        report = zones_from_drawings([drawn[k]["feature"] for k in keep], [drawn[k]["attributes"] for k in keep],
                                     datum=datum, region_boundary=data.outline)
        if report.errors:
            show_report(report, lang)
        elif report.zones is not None:
            st.markdown(f"**{t('data_live_coverage', lang, year=year)}**")
            metrics = zone_metrics(report.zones, data.villages, year, clip_to=data.outline)
            st.dataframe(coverage_table(metrics, lang), hide_index=True, width="stretch", key="drawn_coverage")
            if st.button(t("data_save_drawn", lang, n=len(report.zones)), key="data_save_drawn", type="primary"):
                version = write(lang, ws.save, "zones", region.key, report.zones, source="drawn on the map")
                if version is not None:
                    drawn.clear()
                    st.session_state.pop("drawn_editor", None)
                    saved("zones", version, report.rows_ok, lang)
    own = ws.read("zones", region.key)
    if own is not None and len(own):
        st.markdown(f"**{t('data_saved_zone_list', lang)}**")
        names = dict(zip(own["zone_id"], own["name_zh"]))
        chosen = st.selectbox(t("zone", lang), list(names), key="data_saved_zone", format_func=names.get)
        c1, c2 = st.columns(2)
        if c1.button(t("data_delete_zone", lang), key="data_delete_zone"):
            version = write(lang, ws.save, "zones", region.key, own.iloc[0:0].drop(columns="region"),
                            source="deleted on the data page", delete_ids=[chosen])
            if version is not None:
                saved("zones", version, 0, lang)
        if drawn and c2.button(t("data_replace_zone", lang), key="data_replace_zone"):
            last = list(drawn)[-1]
            attributes = {**drawn[last]["attributes"], "zone_id": chosen, "name_zh": names[chosen]}
            report = zones_from_drawings([drawn[last]["feature"]], [attributes], datum=datum,
                                         region_boundary=data.outline)
            if report.errors:
                show_report(report, lang)
            else:
                version = write(lang, ws.save, "zones", region.key, report.zones, source="replaced on the data page")
                if version is not None:
                    drawn.pop(last)
                    saved("zones", version, 1, lang)


def data_page(region: RegionRef | None, year: int, lang: str) -> None:
    """Import villages or zones, draw zones, see the change log and undo, for one region's workspace layers."""
    if region is None:
        return
    ws = cache.workspace()
    st.header(f"{t('data_title', lang)} · {region.name(lang)}")
    st.caption(t("data_workspace", lang, path=ws.location))
    if not auth.actor().can_edit(region.key):  # a notice only: the workspace refuses the write itself
        st.info(t("access_cannot_edit", lang, region=region.name(lang)))
    show_flash()
    data = cache.region_data(region)
    section = st.radio(t("data_section", lang), SECTIONS, key="data_section", horizontal=True,
                       format_func=lambda s: t(f"data_section_{s}", lang))
    {"villages": villages_section, "zones": zones_section, "draw": draw_section}[section](ws, data, region, year,
                                                                                         lang)
    st.subheader(t("data_history", lang))
    history = ws.history()
    if history:
        st.dataframe(pd.DataFrame(history), hide_index=True, width="stretch")
    st.button(t("data_undo", lang), key="data_undo", on_click=undo, args=(lang, region.key))


data_page(**page_args())
