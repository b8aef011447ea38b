"""The one owner of Streamlit caching: every cached result is keyed on the version of the data it was computed from.

`data_version(region)` is a cheap token (a few stat calls and the workspace's revision) read on every rerun; a save
or undo in this session, another session or another process (`python -m geo import … --workspace`) changes it, so
the next rerun of any page computes from the new data — no restart, no stale figure, no lost 示意 label. Results
under an old version are never served again and age out of the bounded caches.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from geo.boundaries import region_divisions
from geo.coverage import coverage_over_years, pairing, whatif_curve
from geo.coverage.report import metrics_report
from geo.region_data import RegionData, default_belt_km, load_region_data, with_belt_width
from geo.regions import RegionRef
from geo.villages import YEARS
from geo.workspace import Workspace

LOADING = ("加载区划边界与图层…（全国 2,875 个区县首次约 1 分钟） / Loading boundaries and layers… "
           "(all 2,875 counties of China: about a minute the first time)")


def workspace() -> Workspace:
    """Return the user's workspace (path from VALLEY_ATLAS_WORKSPACE, else under the user's data folder)."""
    return Workspace()


def data_version(region: RegionRef) -> str:
    """Return the version of a region's data now (bundled files, boundary package, workspace revision)."""
    from geo.region_data import data_version as version_of

    return version_of(region.key, workspace=workspace())


@st.cache_data(show_spinner=False, max_entries=32)
def region_outline_and_counties(adcode: str):
    """Return (outline, counties) of a region in WGS84 (boundaries change only with the package: keyed on adcode)."""
    return region_divisions(adcode)


@st.cache_resource(show_spinner=LOADING, max_entries=16)
def _region_data(key: str, version: str) -> RegionData:
    return load_region_data(key, workspace=workspace())


@st.cache_resource(show_spinner=False, max_entries=16)
def _region_data_at_width(key: str, version: str, belt_km: float) -> RegionData:
    return with_belt_width(_region_data(key, version), belt_km)


def _data(key: str, version: str, belt_km: float | None) -> RegionData:
    """Return the data of a version, with every belt at belt_km (membership computed once per version and width)."""
    return _region_data(key, version) if belt_km is None else _region_data_at_width(key, version, belt_km)


def region_data(region: RegionRef, *, belt_km: float | None = None) -> RegionData:
    """Return a region's boundary, zones and villages as they are now (the workspace's own layers first), with every
    belt at belt_km when given and different from the belts' own (published) half-width.

    Shared by every session (read-only: never mutate it). Its membership is computed once per data version and width.
    """
    data = _region_data(region.key, data_version(region))
    own = default_belt_km(data.zones)
    if belt_km is None or own is None or (data.zones.loc[data.zones["kind"] == "belt", "half_width_km"] == belt_km).all():
        return data
    return _region_data_at_width(region.key, data.version, float(belt_km))


def _args(data: RegionData) -> tuple:
    return data.region.key, data.version, data.belt_km


@st.cache_data(show_spinner=False, max_entries=128)
def _report(key: str, version: str, belt_km: float | None, year: int, lang: str) -> dict:
    out = metrics_report(_data(key, version, belt_km), year, lang=lang)
    if belt_km is not None:  # published vs computed always at the belts' published width
        out["published"] = _report(key, version, None, year, lang)["published"]
    return out


def report(data: RegionData, year: int, lang: str) -> dict:
    """Return the coverage report of the data for a year (see geo.coverage.report.metrics_report); the published vs
    computed check is always at the belts' own (published) half-width."""
    return _report(*_args(data), year, lang)


@st.cache_data(show_spinner=False, max_entries=32)
def _years_table(key: str, version: str, belt_km: float | None) -> pd.DataFrame:
    data = _data(key, version, belt_km)
    return coverage_over_years(data.zones, data.villages, YEARS, membership=data.membership)


def years_table(data: RegionData) -> pd.DataFrame:
    """Return the union coverage for every year of the data."""
    return _years_table(*_args(data))


@st.cache_data(show_spinner=False, max_entries=64)
def _whatif_table(key: str, version: str, year: int) -> pd.DataFrame:
    data = _region_data(key, version)
    return whatif_curve(data.zones, data.villages, year)


def whatif_table(data: RegionData, year: int) -> pd.DataFrame:
    """Return the share of the poor population covered as the belts' half-width varies (independent of the width
    chosen: the curve is over every width)."""
    return _whatif_table(data.region.key, data.version, year)


@st.cache_data(show_spinner=False, max_entries=64)
def _pairing_table(key: str, version: str, belt_km: float | None, year: int) -> pd.DataFrame:
    data = _data(key, version, belt_km)
    return pairing(data.zones, data.villages, year, membership=data.membership)


def pairing_table(data: RegionData, year: int) -> pd.DataFrame:
    """Return each poverty village's partner village in its zone for a year."""
    return _pairing_table(*_args(data), year)


@st.cache_resource(show_spinner=False, max_entries=24)
def _static_map(key: str, version: str, belt_km: float | None, datum: str, lang: str, layers: tuple[str, ...]):
    from layers.static import static_map_layers

    return static_map_layers(_data(key, version, belt_km), datum=datum, lang=lang, layers=layers)


def static_map(data: RegionData, *, datum: str, lang: str, layers: tuple[str, ...]):
    """Return the map's year-independent layers (boundaries, zones, village positions) rendered once per data
    version, belt width, display datum, language and choice of layers (layers.static.StaticMap; shared, read-only)."""
    return _static_map(*_args(data), datum, lang, tuple(layers))


@st.cache_data(show_spinner=False, max_entries=32)
def _card_bytes(key: str, version: str, belt_km: float | None, year: int, zone_id: str, size: str, lang: str, review: str, fmt: str,
                underlay: bool) -> bytes:
    import xyzservices.providers as xyz

    from briefing.card import render_card

    return render_card(_data(key, version, belt_km), year, fmt=fmt, zone_id=zone_id or None, size=size, lang=lang,
                       review_number=review or None, underlay=xyz.OpenStreetMap.Mapnik if underlay else None,
                       dpi=200 if fmt == "png" else 100)


def card_bytes(data: RegionData, year: int, *, zone_id: str, size: str, lang: str, review: str, fmt: str,
               underlay: bool) -> bytes:
    """Return the briefing card (PNG or PDF bytes) of the data."""
    return _card_bytes(*_args(data), year, zone_id, size, lang, review, fmt, underlay)


@st.cache_data(show_spinner=False, max_entries=16)
def _table_exports(key: str, version: str, belt_km: float | None, year: int, lang: str, datum: str) -> dict[str, bytes]:
    from briefing.gis import export_layers, to_geojson_zip, to_geopackage, villages_csv
    from briefing.workbook import render_workbook

    data = _data(key, version, belt_km)
    layers = export_layers(data, year, datum=datum)
    return {"xlsx": render_workbook(data, year, lang=lang), "gpkg": to_geopackage(layers),
            "geojson": to_geojson_zip(layers), "csv": villages_csv(data, year)}


def table_exports(data: RegionData, year: int, lang: str, datum: str) -> dict[str, bytes]:
    """Return the workbook, GeoPackage, GeoJSON (zip) and CSV exports of the data."""
    return _table_exports(*_args(data), year, lang, datum)
