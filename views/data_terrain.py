"""The data page's terrain sections: valley zones derived from the land, and the user's own DEM.

Section functions called from views/data.py (its SECTIONS): `terrain_section` derives valley zones from the
region's DEM (count or minimum catchment area, progress), previews them on a map with live coverage, lets the user
rename and merge them, and saves them as the region's zones (provenance "derived"; undoable). `dem_section`
imports a GeoTIFF in any CRS as the region's DEM (stored in the workspace, used instead of the bundled DEM).
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from geo.coverage import zone_metrics
from geo.crs import area_km2
from geo.i18n import t
from geo.regions import RegionRef
from geo.terrain.dem import NoDemError
from geo.zones import validate_zones
from layers.boundaries import boundary_layer
from layers.zones import zones_layer
from views import auth, cache
from views.widgets import base_map, show_map

REQUEST = "terrain_request"  # session: (region key, mode, value) of the derivation on show
EDITS = "terrain_edits"  # session: {"steps": [("merge", ids) or ("split", id)], "names": {id: (zh, en)}}
DEFAULT_COUNT = 6
DEM_TYPES = ["tif", "tiff"]


def _derivation(region: RegionRef, mode: str, value: float, lang: str):
    """Return the derived zones for a request (cached; a progress bar while it is computed the first time)."""
    bar = st.progress(0.0, text=t("terrain_progress", lang, step="…"))

    def progress(fraction: float, step: str) -> None:
        bar.progress(min(max(fraction, 0.0), 1.0), text=t("terrain_progress", lang, step=step))

    kwargs = {"count": int(value)} if mode == "count" else {"min_area_km2": float(value)}
    try:
        zones = cache.derived_zones(region, progress=progress, **kwargs)
    finally:
        bar.empty()
    return zones


def edited_zones(zones, edits: dict, dem=None):
    """Return derived zones with the user's merges, splits (which need the DEM) and names applied, in the order
    made (pure: the cached frame is untouched)."""
    from geo.terrain.valleys import merge_valley_zones, split_valley_zone

    out = zones
    for step in edits.get("steps", []):
        if step[0] == "merge":
            present = [z for z in step[1] if z in set(out["zone_id"])]
            if len(present) >= 2:
                out = merge_valley_zones(out, present)
        elif step[0] == "split" and dem is not None and step[1] in set(out["zone_id"]):
            out = split_valley_zone(out, step[1], dem)
    out = out.copy()
    for zone_id, (name_zh, name_en) in edits.get("names", {}).items():
        hit = out["zone_id"] == zone_id
        out.loc[hit, "name_zh"] = name_zh
        out.loc[hit, "name_en"] = name_en
    return out


def terrain_section(ws, data, region: RegionRef, year: int, lang: str) -> None:
    """Derive valley zones from the DEM, preview them with live coverage, rename and merge, save as the zones."""
    st.caption(t("terrain_help", lang))
    try:
        cache.region_dem(region)
    except NoDemError as exc:
        st.warning(t("terrain_no_dem", lang, reason=str(exc)))
        return
    c1, c2, c3 = st.columns([2, 2, 1])
    mode = c1.radio(t("terrain_mode", lang), ["count", "min_area"], key="terrain_mode", horizontal=True,
                    format_func=lambda m: t(f"terrain_mode_{m}", lang))
    if mode == "count":
        value = c2.number_input(t("terrain_count", lang), min_value=2, max_value=30, value=DEFAULT_COUNT, step=1,
                                key="terrain_count")
    else:
        area = float(area_km2(data.outline).sum())  # default: an eighth of the region
        value = c2.number_input(t("terrain_min_area", lang), min_value=1.0, max_value=100_000.0,
                                value=float(round(area / 8, -1) or 10.0), step=10.0, key="terrain_min_area")
    if c3.button(t("terrain_derive", lang), key="terrain_derive", type="primary"):
        st.session_state[REQUEST] = (region.key, mode, float(value))
        st.session_state[EDITS] = {"steps": [], "names": {}}
    request = st.session_state.get(REQUEST)
    if not request or request[0] != region.key:
        return
    try:
        derived = _derivation(region, request[1], request[2], lang)
    except ValueError as exc:  # e.g. more zones than the terrain gives
        st.error(str(exc))
        return
    edits = st.session_state.setdefault(EDITS, {"steps": [], "names": {}})
    dem = cache.region_dem(region)
    try:
        zones = edited_zones(derived, edits, dem)
    except ValueError as exc:  # a zone too small to split: say so and drop that step
        st.warning(t("terrain_split_refused", lang, reason=str(exc)))
        edits["steps"].pop()
        zones = edited_zones(derived, edits, dem)
    _preview_map(zones, data, region, lang)
    metrics = zone_metrics(zones, data.villages, year, clip_to=data.outline) if len(data.villages) else None
    st.markdown(f"**{t('terrain_table', lang, n=len(zones), year=year)}**")
    table = pd.DataFrame({
        "name_zh": zones["name_zh"], "name_en": zones["name_en"],
        "area_km2": zones["area_km2"], "elevation": [f"{a:,.0f}–{b:,.0f}" for a, b in
                                                     zip(zones["elevation_min_m"], zones["elevation_max_m"])],
        "relief_m": zones["relief_m"], "slope_mean_deg": zones["slope_mean_deg"],
        "villages": metrics["villages"].to_numpy() if metrics is not None else 0,
        "poor": metrics["poor_population"].to_numpy() if metrics is not None else 0,
        "share": (metrics["poor_population_share"].to_numpy() * 100) if metrics is not None else 0.0,
        "merge": False}, index=zones["zone_id"].to_numpy())
    edited = st.data_editor(table, key="terrain_editor", hide_index=True, width="stretch",
                            disabled=["area_km2", "elevation", "relief_m", "slope_mean_deg", "villages", "poor",
                                      "share"],
                            column_config={
                                "name_zh": st.column_config.TextColumn(t("terrain_name_zh", lang), required=True),
                                "name_en": st.column_config.TextColumn(t("terrain_name_en", lang)),
                                "area_km2": st.column_config.NumberColumn(t("area_km2", lang), format="%.1f"),
                                "elevation": st.column_config.TextColumn(t("terrain_elevation_range", lang)),
                                "relief_m": st.column_config.NumberColumn(t("relief_m", lang), format="%.0f"),
                                "slope_mean_deg": st.column_config.NumberColumn(t("slope_mean_deg", lang),
                                                                                format="%.1f"),
                                "villages": st.column_config.NumberColumn(t("villages_count", lang)),
                                "poor": st.column_config.NumberColumn(t("poor_population", lang), format="%d"),
                                "share": st.column_config.NumberColumn(t("poor_population_share", lang),
                                                                       format="%.1f%%"),
                                "merge": st.column_config.CheckboxColumn(t("terrain_merge_pick", lang))})
    current = zones.set_index("zone_id")[["name_zh", "name_en"]]
    changed = {}
    for z in edited.index.intersection(current.index):
        names = tuple(_text(edited.loc[z, c]) or current.loc[z, c] for c in ("name_zh", "name_en"))
        if names != tuple(current.loc[z]):
            changed[z] = names
    if changed:
        edits["names"].update(changed)
        zones = edited_zones(derived, edits, dem)
    picked = [z for z in edited.index if edited.loc[z, "merge"] is True or edited.loc[z, "merge"] == 1]
    b1, b4, b2, b3 = st.columns(4)
    if b1.button(t("terrain_merge", lang, n=len(picked)), key="terrain_merge", disabled=len(picked) < 2):
        edits["steps"].append(("merge", picked))
        st.session_state.pop("terrain_editor", None)
        st.rerun()
    if b4.button(t("terrain_split", lang), key="terrain_split", disabled=len(picked) != 1,
                 help=t("terrain_split_help", lang)):
        edits["steps"].append(("split", picked[0]))
        st.session_state.pop("terrain_editor", None)
        st.rerun()
    if b2.button(t("terrain_reset", lang), key="terrain_reset", disabled=not (edits["steps"] or edits["names"])):
        st.session_state[EDITS] = {"steps": [], "names": {}}
        st.session_state.pop("terrain_editor", None)
        st.rerun()
    if b3.button(t("terrain_save", lang, n=len(zones)), key="terrain_save", type="primary"):
        frame = validate_zones(zones.drop(columns=[c for c in zones.columns if c not in _ZONE_COLUMNS]),
                               name="derived zones")
        version = auth.write(lang, ws.save, "zones", region.key, frame, source=frame["source"].iloc[0],
                             replace_region=True)
        if version is None:
            return
        st.session_state.pop(REQUEST, None)
        st.session_state.pop(EDITS, None)
        st.session_state.pop("_view_anchor", None)  # as views/data.py saved(): every page sees the new zones
        st.session_state["_data_flash"] = ("success", t("data_saved_zones", lang, version=version, rows=len(frame)))
        st.rerun()


def _text(value) -> str:
    """Return an edited cell as text ("" for an empty or missing cell)."""
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value).strip()


_ZONE_COLUMNS = ("zone_id", "name_zh", "name_en", "kind", "half_width_km", "industries", "provenance", "source",
                 "color", "geometry")


def _preview_map(zones, data, region: RegionRef, lang: str) -> None:
    fmap, basemap, datum = base_map(data.outline, lang, region=region)
    boundary_layer(data.outline, name=region.name(lang), outline_only=True, weight=3, color="#c0392b",
                   datum=datum).add_to(fmap)
    zones_layer(zones, lang=lang, clip_to=data.outline, datum=datum).add_to(fmap)
    show_map(fmap, key=f"terrain_map_{region.key}_{basemap}_{len(zones)}_{hash(tuple(zones['zone_id']))}",
             returned_objects=[])


def dem_section(ws, data, region: RegionRef, year: int, lang: str) -> None:
    """Import a DEM GeoTIFF (any CRS) as the region's elevation; it replaces the bundled DEM for this region."""
    current = ws.dems().get(region.key)
    if current:
        st.info(t("dem_current_user", lang, file=current["file"], crs=current["crs"], time=current["time"]))
    else:
        try:
            dem = cache.region_dem(region)
            st.info(t("dem_current_bundled", lang, source=dem.source))
        except NoDemError as exc:
            st.warning(t("terrain_no_dem", lang, reason=str(exc)))
    st.caption(t("dem_help", lang))
    upload = st.file_uploader(t("dem_upload", lang), type=DEM_TYPES, key="dem_upload")
    if upload is None:
        return
    from geo.terrain.dem import check_user_dem

    with tempfile.TemporaryDirectory(prefix="valley-atlas-dem-") as folder:
        path = Path(folder) / Path(upload.name).name
        path.write_bytes(upload.getvalue())
        try:
            summary = check_user_dem(path, data.outline)
        except NoDemError as exc:
            st.error(t("dem_refused", lang, reason=str(exc)))
            return
        st.success(t("dem_checked", lang, **{k: summary[k] for k in ("crs", "width", "height", "cell_m", "min_m",
                                                                       "max_m")}))
        if st.button(t("dem_confirm", lang), key="dem_confirm", type="primary"):
            version = auth.write(lang, ws.save_dem, region.key, path, source=upload.name, crs=summary["crs"])
            if version is None:
                return
            st.session_state.pop("_view_anchor", None)
            st.session_state["_data_flash"] = ("success", t("dem_saved", lang, version=version))
            st.rerun()
