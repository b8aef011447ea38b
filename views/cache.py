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
from geo.region_data import RegionData, load_region_data
from geo.regions import RegionRef
from geo.villages import YEARS
from geo.workspace import Workspace

LOADING = ("加载区划边界与图层…（全国 2,875 个区县首次约 1 分钟） / Loading boundaries and layers… "
           "(all 2,875 counties of China: about a minute the first time)")


def workspace() -> Workspace:
    """Return the app's workspace (VALLEY_ATLAS_WORKSPACE: a GeoPackage path or a postgresql:// URL; else the file
    under the user's data folder). Every write must name the session's actor (require_actor)."""
    import os

    return _workspace(os.environ.get("VALLEY_ATLAS_WORKSPACE", ""))


@st.cache_resource(show_spinner=False, max_entries=4)
def _workspace(location: str) -> Workspace:
    return Workspace(location or None, require_actor=True)


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


def region_data(region: RegionRef) -> RegionData:
    """Return a region's boundary, zones and villages as they are now (the workspace's own layers first).

    Shared by every session (read-only: never mutate it). Its membership is computed once per data version.
    """
    return _region_data(region.key, data_version(region))


@st.cache_data(show_spinner=False, max_entries=128)
def _report(key: str, version: str, year: int, lang: str) -> dict:
    return metrics_report(_region_data(key, version), year, lang=lang)


def report(data: RegionData, year: int, lang: str) -> dict:
    """Return the coverage report of the data for a year (see geo.coverage.report.metrics_report)."""
    return _report(data.region.key, data.version, year, lang)


@st.cache_data(show_spinner=False, max_entries=32)
def _years_table(key: str, version: str) -> pd.DataFrame:
    data = _region_data(key, version)
    return coverage_over_years(data.zones, data.villages, YEARS, membership=data.membership)


def years_table(data: RegionData) -> pd.DataFrame:
    """Return the union coverage for every year of the data."""
    return _years_table(data.region.key, data.version)


@st.cache_data(show_spinner=False, max_entries=64)
def _whatif_table(key: str, version: str, year: int) -> pd.DataFrame:
    data = _region_data(key, version)
    return whatif_curve(data.zones, data.villages, year)


def whatif_table(data: RegionData, year: int) -> pd.DataFrame:
    """Return the share of the poor population covered as the belts' half-width varies."""
    return _whatif_table(data.region.key, data.version, year)


@st.cache_data(show_spinner=False, max_entries=64)
def _pairing_table(key: str, version: str, year: int) -> pd.DataFrame:
    data = _region_data(key, version)
    return pairing(data.zones, data.villages, year, membership=data.membership)


def pairing_table(data: RegionData, year: int) -> pd.DataFrame:
    """Return each poverty village's partner village in its zone for a year."""
    return _pairing_table(data.region.key, data.version, year)


@st.cache_data(show_spinner=False, max_entries=32)
def _card_bytes(key: str, version: str, year: int, zone_id: str, size: str, lang: str, review: str, fmt: str,
                underlay: bool) -> bytes:
    import xyzservices.providers as xyz

    from briefing.card import render_card

    return render_card(_region_data(key, version), year, fmt=fmt, zone_id=zone_id or None, size=size, lang=lang,
                       review_number=review or None, underlay=xyz.OpenStreetMap.Mapnik if underlay else None,
                       dpi=200 if fmt == "png" else 100)


def card_bytes(data: RegionData, year: int, *, zone_id: str, size: str, lang: str, review: str, fmt: str,
               underlay: bool) -> bytes:
    """Return the briefing card (PNG or PDF bytes) of the data."""
    return _card_bytes(data.region.key, data.version, year, zone_id, size, lang, review, fmt, underlay)


@st.cache_data(show_spinner=False, max_entries=16)
def _table_exports(key: str, version: str, year: int, lang: str, datum: str) -> dict[str, bytes]:
    from briefing.gis import export_layers, to_geojson_zip, to_geopackage, villages_csv
    from briefing.workbook import render_workbook

    data = _region_data(key, version)
    layers = export_layers(data, year, datum=datum)
    return {"xlsx": render_workbook(data, year, lang=lang), "gpkg": to_geopackage(layers),
            "geojson": to_geojson_zip(layers), "csv": villages_csv(data, year)}


def table_exports(data: RegionData, year: int, lang: str, datum: str) -> dict[str, bytes]:
    """Return the workbook, GeoPackage, GeoJSON (zip) and CSV exports of the data."""
    return _table_exports(data.region.key, data.version, year, lang, datum)
