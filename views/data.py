"""The data page: import villages or zones (one validation report, then confirm), draw zones on the map, undo."""
import hashlib

import pandas as pd
import streamlit as st

from geo.coverage import zone_metrics
from geo.coverage.membership import ASSIGNED_ZONE_PREFIX, has_outline
from geo.crs import DATUMS
from geo.errors import AccessDenied
from geo.i18n import localized, t
from geo.ingest.coordinates import GK3, GK6
from geo.ingest.files import max_upload_bytes, read_vector
from geo.ingest.villages import (
    HEADER_ALIASES,
    POVERTY_RULE_NONE,
    POVERTY_RULES,
    guess_mapping,
    import_village_file,
    locate_villages,
    read_village_table,
)
from geo.ingest.zones import (
    ZONE_ALIASES,
    guess_zone_mapping,
    import_zone_file,
    zones_from_drawings,
)
from geo.regions import RegionRef
from geo.villages import POOR_COLUMNS, placed
from geo.workspace import summary_text
from geo.zones import DEFAULT_HALF_WIDTH_KM
from layers.boundaries import boundary_layer
from layers.display import click_to_wgs84
from layers.draw import draw_control
from layers.villages import villages_layer
from layers.zones import zones_layer
from views import auth, cache
from views.data_terrain import dem_section, terrain_section
from views.state import page_args
from views.widgets import base_map, show_map

NOT_MAPPED = ""
SOURCE_DRAWN = "drawn on the map"  # change-log sources written by this page (worded in the UI language on show)
SOURCE_DELETED = "deleted on the data page"
SOURCE_REPLACED = "replaced on the data page"
SOURCE_KEYS = {SOURCE_DRAWN: "history_source_drawn", SOURCE_DELETED: "history_source_deleted",
               SOURCE_REPLACED: "history_source_replaced"}
SECTIONS = ("villages", "zones", "draw", "terrain", "dem")
VILLAGE_TYPES = ["csv", "txt", "xlsx", "xlsm", "geojson", "json", "kml", "gpkg", "zip"]
VILLAGE_MODES = ("replace", "place", "indicators")  # import the villages (replacing the region's), place villages
# already saved, or add figures (监测对象户数 …) to the region's villages without replacing them
EXAMPLE_FILE = "heishui_monitoring_2021-2025_yearly_示意.csv"  # data/examples/: the 示意 monitoring file for 黑水
EXAMPLE_REGION = "heishui"
CRS_AUTO = "auto"
# Central meridians a planner may pick for eastings without a zone number: CGCS2000 3° and 6° Gauss-Krüger (EPSG)
GK_CHOICES = [GK3[0] + i for i in range(21)] + [GK6[0] + i for i in range(11)]
UNPLACED_SHOWN = 500  # rows of the unplaced list shown at once
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


def _issue_table(issues, where: str, lang: str) -> pd.DataFrame:
    return pd.DataFrame({
        where: [str(i.row) if i.row else "—" for i in issues],
        t("data_column", lang): [i.column or "—" for i in issues],
        t("data_problem", lang): [i.text(lang) for i in issues],
        t("data_fix", lang): [i.fix_text(lang) for i in issues],
    })


def show_report(report, lang: str) -> None:
    """One report in the UI language: counts; errors first; then warnings grouped by kind with their counts; then
    what reading the file skipped; then every issue row by row."""
    st.subheader(t("data_report", lang, errors=len(report.errors), warnings=len(report.warnings),
                   rows=report.rows_ok))
    if report.unplaced:
        st.caption(t("data_report_unplaced", lang, n=report.unplaced))
    if report.matches:
        st.caption(t("data_report_matches", lang, **report.matches))
    where = t("data_feature" if report.row_label == "feature" else "data_row", lang)
    if report.errors:
        st.error(t("data_errors", lang))
        st.dataframe(_issue_table(report.errors, where, lang), hide_index=True, width="stretch", key="report_errors")
    groups = report.grouped("warning")
    if groups:
        st.warning(t("data_warnings", lang))
        for key, issues in groups:
            rows = [str(i.row) for i in issues if i.row]
            with st.expander(t("data_warning_group", lang, n=len(issues), text=issues[0].text(lang)), expanded=False):
                st.caption(t("data_fix", lang) + ": " + issues[0].fix_text(lang))
                if len(issues) > 1 or rows:
                    st.dataframe(_issue_table(issues, where, lang), hide_index=True, width="stretch",
                                 key=f"report_warnings_{key}")
    if report.notes:
        with st.expander(t("data_notes", lang, n=len(report.notes)), expanded=False):
            st.dataframe(_issue_table(report.notes, where, lang), hide_index=True, width="stretch",
                         key="report_notes")
    if report.issues:
        with st.expander(t("data_all_rows", lang), expanded=False):
            ordered = sorted(report.issues, key=lambda i: (i.row is None, i.row or 0))
            detail = _issue_table(ordered, where, lang)
            detail.insert(0, t("data_severity", lang), [t(f"data_severity_{i.severity}", lang) for i in ordered])
            st.dataframe(detail, hide_index=True, width="stretch", key="report_detail")


def crs_label(choice, readings, lang: str) -> str:
    """Return how a coordinate choice reads: automatic, a detected reading, or a Gauss-Krüger central meridian."""
    if choice == CRS_AUTO:
        return t("data_crs_auto", lang)
    for candidate in readings:
        if candidate.epsg == choice:
            return candidate.description(lang)
    first, width = (GK3[0], 3) if GK3[0] <= choice < GK3[0] + 21 else (GK6[0], 6)
    return t("data_crs_gk", lang, width=width, cm=75 + (choice - first) * width, epsg=choice)


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
        "info", t("data_undone", lang, summary=summary_text(undone, lang)) if undone
        else t("data_nothing_to_undo", lang))


def show_flash() -> None:
    """Show the message a save or an undo left for this run."""
    flash = st.session_state.pop("_data_flash", None)
    if flash:
        {"success": st.success, "info": st.info, "error": st.error}[flash[0]](flash[1])


def villages_section(ws, data, region: RegionRef, year: int, lang: str) -> None:
    mode = st.radio(t("data_village_mode", lang), VILLAGE_MODES, key="data_village_mode", horizontal=True,
                    format_func=lambda m: t(f"data_village_mode_{m}", lang))
    if region.key == EXAMPLE_REGION:
        example_section(ws, data, region, lang)
    upload = st.file_uploader(t("data_upload", lang), type=VILLAGE_TYPES, key="data_upload")
    if mode == "indicators":
        if upload is not None and not too_large(upload, lang):
            import_indicators_upload(ws, data, region, upload, lang)
        return
    datum = datum_choice("data_datum", lang)
    if upload is not None and not too_large(upload, lang):
        import_villages_upload(ws, data, region, upload, datum, mode, lang)
    unplaced_section(ws, data, region, lang)


def example_section(ws, data, region: RegionRef, lang: str) -> None:
    """Offer the illustrative (示意) monitoring file for 黑水, 2021–2025: imported as indicator values of the seed
    villages, flagged illustrative, so the 示意 label follows them onto every page and export."""
    from pathlib import Path

    from geo.ingest.indicators import import_indicator_file

    st.caption(t("data_example_help", lang))
    if st.button(t("data_example_import", lang), key="data_example_import"):
        path = Path(__file__).resolve().parent.parent / "data" / "examples" / EXAMPLE_FILE
        report = import_indicator_file(path.read_bytes(), path.name, region=region.key, villages=data.villages,
                                       provenance="illustrative")
        if report.errors:
            show_report(report, lang)
            return
        version = auth.write(lang, ws.save_indicators, region.key, report.indicators, report.indicator_definitions,
                             source=path.name, action="import")
        if version is not None:
            saved("indicators", version, len(report.indicators), lang)


def unit_inputs(columns, file_key: str, lang: str) -> dict[str, str]:
    """Ask the unit of numeric columns no indicator claims (custom indicators); return {column: unit} given so far."""
    prefix = f"data_unit_{file_key}_"
    for column in columns:
        st.text_input(t("data_unit", lang, column=column), key=prefix + column, help=t("data_unit_help", lang))
    return {key[len(prefix):]: str(value).strip() for key, value in st.session_state.items()
            if str(key).startswith(prefix) and str(value).strip()}


def given_units(file_key: str) -> dict[str, str]:
    prefix = f"data_unit_{file_key}_"
    return {key[len(prefix):]: str(value).strip() for key, value in st.session_state.items()
            if str(key).startswith(prefix) and str(value).strip()}


def import_indicators_upload(ws, data, region: RegionRef, upload, lang: str) -> None:
    """A file of figures keyed by village id, code or name: matched to the region's villages, saved as indicator
    values (the villages stay as they are)."""
    from geo.ingest.indicators import import_indicator_file

    content = upload.getvalue()
    file_key = hashlib.sha1(content).hexdigest()[:10]
    report = import_indicator_file(content, upload.name, region=region.key, villages=data.villages,
                                   units=given_units(file_key))
    show_report(report, lang)
    unit_inputs(report.needs_unit + list(given_units(file_key)), file_key, lang)
    if report.errors or report.indicators is None or not len(report.indicators):
        return
    if st.button(t("data_confirm_indicators", lang, n=len(report.indicators)), key="data_confirm", type="primary"):
        version = auth.write(lang, ws.save_indicators, region.key, report.indicators, report.indicator_definitions,
                             source=upload.name, action="import")
        if version is not None:
            saved("indicators", version, len(report.indicators), lang)


def import_villages_upload(ws, data, region: RegionRef, upload, datum: str, mode: str, lang: str) -> None:
    """Read the upload (sheet picker for a workbook), let the user correct the mapping and the coordinate reading,
    show the one report, and save on confirmation."""
    content = upload.getvalue()
    file_key = hashlib.sha1(content).hexdigest()[:10]
    sheet = st.session_state.get(f"data_sheet_{file_key}")
    try:
        table = read_village_table(content, upload.name, sheet=sheet)
    except Exception:  # read again inside the import, which turns the problem into the report's error
        show_report(import_village_file(content, upload.name, sheet=sheet), lang)
        return
    if len(table.sheet_names) > 1:
        st.selectbox(t("data_sheet", lang), table.sheet_names, key=f"data_sheet_{file_key}",
                     index=table.sheet_names.index(table.sheet) if table.sheet in table.sheet_names else 0)
    mapping = mapping_editor([*HEADER_ALIASES, *POOR_COLUMNS], guess_mapping(table.frame.columns),
                             table.frame.columns, f"map_{file_key}_", lang)  # per file: a new file, a new guess
    crs = st.session_state.get(f"data_crs_{file_key}", CRS_AUTO)
    zones = data.zones[~data.zones["zone_id"].astype(str).str.startswith(ASSIGNED_ZONE_PREFIX)]
    report = import_village_file(content, upload.name, upload=table, mapping=mapping, datum=datum,
                                 region_boundary=data.outline, region_adcode=region.adcode, crs=crs,
                                 region_zones=zones, apply_suggested_codes=st.session_state.get("data_apply_codes",
                                                                                                 False),
                                 region=region.key, units=given_units(file_key),
                                 poverty_rule=st.session_state.get(f"data_poverty_rule_{file_key}",
                                                                   POVERTY_RULE_NONE))
    if any(i.key in ("poverty_status_missing", "poverty_status_assumed") for i in report.warnings):
        st.radio(t("data_poverty_rule", lang), POVERTY_RULES, key=f"data_poverty_rule_{file_key}", horizontal=True,
                 format_func=lambda r: t(f"data_poverty_rule_{r}", lang))  # the next run imports with the choice
    if report.reading is not None or crs != CRS_AUTO:  # projected metres: say how they were read, offer the others
        if report.reading is not None:
            st.info(report.reading.description(lang))
        detected = list(dict.fromkeys(c.epsg for c in report.readings[:8]))
        no_prefix = report.reading is None or report.reading.family in ("gk3", "gk6")  # the user picks the CM
        choices = [CRS_AUTO, *detected, *[c for c in GK_CHOICES if no_prefix and c not in detected]]
        st.selectbox(t("data_crs", lang), choices, key=f"data_crs_{file_key}",
                     format_func=lambda c: crs_label(c, report.readings, lang))
    show_report(report, lang)
    unit_inputs(report.needs_unit + [c for c in given_units(file_key) if c not in report.needs_unit], file_key, lang)
    if report.suggested_codes:
        st.checkbox(t("data_apply_codes", lang, n=len(report.suggested_codes)), key="data_apply_codes")
    if report.villages is None or report.errors:
        return
    if mode == "place":
        own = ws.read("villages", region.key)
        located = locate_villages(data.villages if own is not None and len(own) else None, report)
        if report.errors:
            show_report(report, lang)
            return
        st.caption(t("data_place_ready", lang, n=len(located)))
        if len(located) and st.button(t("data_confirm_place", lang, n=len(located)), key="data_confirm",
                                      type="primary"):
            version = auth.write(lang, ws.save, "villages", region.key, located, source=f"{upload.name} (locations)")
            if version is not None:
                saved("villages", version, len(located), lang)
    elif st.button(t("data_confirm", lang), key="data_confirm", type="primary"):  # villages and their figures:
        version = auth.write(lang, ws.save_import, report, "villages", region.key)  # one write, one undo
        if version is not None:
            saved("villages", version, report.rows_ok, lang)


def unplaced_section(ws, data, region: RegionRef, lang: str) -> None:
    """List the villages without a location; place one by picking it and clicking on the map (saved, undoable)."""
    unplaced = data.villages[~placed(data.villages)]
    if not len(unplaced):
        return
    st.subheader(t("data_unplaced_title", lang, n=len(unplaced), total=len(data.villages)))
    st.caption(t("data_unplaced_help", lang))
    shown = unplaced.iloc[:UNPLACED_SHOWN]
    st.dataframe(pd.DataFrame({
        t("village_name", lang): shown["name"], t("township", lang): shown["township"], t("code", lang): shown["code"],
        t("data_zones_assigned", lang): shown["zones_assigned"].replace("", "—"),
        t("poor_population", lang): shown["poor_2014"],
    }), hide_index=True, width="stretch", key="unplaced_table")
    labels = {row.village_id: f"{row.name}（{row.township or '—'}）" for row in shown.itertuples()}
    chosen = st.selectbox(t("data_place_village", lang), list(labels), key="data_place_village",
                          format_func=labels.get)
    fmap, basemap, datum = base_map(data.outline, lang)
    boundary_layer(data.outline, name=region.name(lang), outline_only=True, weight=3, color="#c0392b",
                   datum=datum).add_to(fmap)
    outlined = data.zones[has_outline(data.zones)]
    if len(outlined):
        zones_layer(outlined, lang=lang, clip_to=data.outline, datum=datum).add_to(fmap)
    result = show_map(fmap, key=f"place_map_{region.key}_{basemap}", returned_objects=["last_clicked"])
    clicked = (result or {}).get("last_clicked")
    if clicked and clicked != st.session_state.get("_place_seen"):
        st.session_state["_place_seen"] = clicked
        lon, lat = click_to_wgs84(clicked["lng"], clicked["lat"], datum)
        st.session_state["_place_point"] = (float(lon), float(lat))
    point = st.session_state.get("_place_point")
    if point is None:
        return
    st.caption(t("data_place_at", lang, lon=point[0], lat=point[1]))
    if st.button(t("data_place_confirm", lang, village=labels[chosen]), key="data_place_confirm", type="primary"):
        import geopandas as gpd
        import shapely

        row = data.villages[data.villages["village_id"] == chosen]
        row = row.set_geometry(gpd.GeoSeries([shapely.Point(*point)], index=row.index, crs=4326))
        version = auth.write(lang, ws.save, "villages", region.key, row, source="placed on the data page")
        if version is not None:
            st.session_state.pop("_place_point", None)
            saved("villages", version, 1, lang)


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
        st.markdown(f"**{t('data_preview_map', lang)}**")
        preview_map(data, report.zones, region, year, lang, key=f"zone_preview_{region.key}")
        metrics = zone_metrics(report.zones, data.villages, year, clip_to=data.outline)
        st.dataframe(coverage_table(metrics, lang), hide_index=True, width="stretch")
        if st.button(t("data_confirm_zones", lang), key="data_confirm_zones", type="primary"):
            version = auth.write(lang, ws.save_import, report, "zones", region.key)
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


def history_table(history: list[dict], lang: str) -> pd.DataFrame:
    """Return the change log, newest first, with headers, layers, sources and counts in the UI language."""
    rows = list(reversed(history))
    return pd.DataFrame({
        t("history_version", lang): [h["version"] for h in rows],
        t("history_time", lang): [h["time"] for h in rows],
        t("history_region", lang): [h["region"] for h in rows],
        t("history_layer", lang): [t(f"history_layer_{h['layer']}", lang) for h in rows],
        t("history_source", lang): [t(SOURCE_KEYS[h["source"]], lang) if h["source"] in SOURCE_KEYS else h["source"]
                                    for h in rows],
        t("history_change", lang): [summary_text(h, lang) for h in rows],
    })


def context_map(data, zones, region: RegionRef, year: int, lang: str):
    """Return (map, basemap, datum) with the region's outline, the zones given and the villages of the year: what
    a planner draws on or imports against."""
    fmap, basemap, datum = base_map(data.outline, lang, features=len(zones), region=region)
    boundary_layer(data.outline, name=region.name(lang), outline_only=True, weight=3, color="#c0392b",
                   datum=datum).add_to(fmap)
    if len(zones):
        zones_layer(zones, lang=lang, clip_to=data.outline, datum=datum).add_to(fmap)
    if len(data.villages):
        villages_layer(data.villages[placed(data.villages)], year, lang=lang, datum=datum).add_to(fmap)
    return fmap, basemap, datum


def preview_map(data, zones, region: RegionRef, year: int, lang: str, *, key: str) -> None:
    """Show imported zones on the map over the region's villages before they are saved."""
    fmap, basemap, _ = context_map(data, zones, region, year, lang)
    show_map(fmap, key=f"{key}_{basemap}_{lang}", height=420)


def drawing_key(feature: dict) -> str:
    return hashlib.sha1(repr(feature.get("geometry")).encode()).hexdigest()[:10]


def draw_section(ws, data, region: RegionRef, year: int, lang: str) -> None:
    """Draw valley polygons and belt lines; name them; see their coverage live; save, replace or delete."""
    st.caption(t("data_draw_help", lang))
    area_kind = st.radio(t("data_draw_kind", lang), ("valley", "park"), key="data_draw_kind", horizontal=True,
                         format_func=lambda k: t(f"zone_kind_{k}", lang))  # what a drawn polygon is; a line: a belt
    drawn: dict = st.session_state.setdefault("drawn_zones", {})  # drawing key -> {"feature", "attributes"}
    fmap, basemap, datum = context_map(data, data.zones, region, year, lang)
    draw_control().add_to(fmap)
    result = show_map(fmap, key=f"draw_map_{region.key}_{basemap}_{lang}", returned_objects=["all_drawings"])
    for feature in (result or {}).get("all_drawings") or []:
        key = drawing_key(feature)
        if key not in drawn:
            kind = "belt" if "LineString" in feature["geometry"]["type"] else area_kind
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
                version = auth.write(lang, ws.save, "zones", region.key, report.zones, source=SOURCE_DRAWN)
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
            version = auth.write(lang, ws.save, "zones", region.key, own.iloc[0:0].drop(columns="region"),
                            source=SOURCE_DELETED, delete_ids=[chosen])
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
                version = auth.write(lang, ws.save, "zones", region.key, report.zones, source=SOURCE_REPLACED)
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
    {"villages": villages_section, "zones": zones_section, "draw": draw_section, "terrain": terrain_section,
     "dem": dem_section}[section](ws, data, region, year, lang)
    st.subheader(t("data_history", lang))
    history = ws.history()  # read after the undo button's callback: an undone version is gone from the log
    if history:
        st.dataframe(history_table(history, lang), hide_index=True, width="stretch", key="history_table")
    st.button(t("data_undo", lang), key="data_undo", on_click=undo, args=(lang, region.key))


data_page(**page_args())
