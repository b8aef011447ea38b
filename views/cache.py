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
from geo.villages import YEARS, campaign_year  # noqa: F401  (campaign_year: the pages use it from here)
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
    belts = data.zones.loc[data.zones["kind"] == "belt", "half_width_km"]
    if belt_km is None or own is None or (belts == belt_km).all():
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
    """Return the coverage report of the data for a year (see geo.coverage.report.metrics_report): a year after
    2020 gets the report as at the end of 2020 (campaign_year); the published vs computed check is always at the
    belts' own (published) half-width."""
    return _report(*_args(data), campaign_year(year), lang)


@st.cache_data(show_spinner=False, max_entries=64)
def _indicator_views(key: str, version: str, belt_km: float | None, indicator: str, year: int) -> dict:
    from geo.coverage.indicators import (
        coverage_by_class,
        indicator_change,
        indicator_gaps,
        indicator_over_years,
        indicator_union,
        indicator_zone_values,
    )
    from geo.villages import PLANNING_CLASS_COLUMN

    data = _data(key, version, belt_km)
    table, registry, membership = data.indicators, data.registry, data.membership
    out = {
        "zones": indicator_zone_values(data.zones, data.villages, table, indicator, year, membership=membership,
                                       registry=registry),
        "union": indicator_union(data.zones, data.villages, table, indicator, year, membership=membership,
                                 registry=registry),
        "gaps": indicator_gaps(data.zones, data.villages, table, indicator, year, membership=membership),
        "change": indicator_change(data.zones, data.villages, table, indicator, year, membership=membership,
                                   registry=registry),
        "years": indicator_over_years(data.zones, data.villages, table, indicator, membership=membership,
                                      registry=registry),
        "classes": None,
    }
    if PLANNING_CLASS_COLUMN in data.villages.columns:
        out["classes"] = coverage_by_class(data.villages, membership, table=table, indicator=indicator, year=year,
                                           registry=registry)
    return out


def indicator_views(data: RegionData, indicator: str, year: int) -> dict:
    """Return the coverage of an indicator in a year: per zone, the union, the gaps, the change on the previous
    year, the yearly series and (with planning classes) coverage by class (geo.coverage.indicators)."""
    return _indicator_views(*_args(data), indicator, int(year))


def region_years(region: RegionRef) -> list[int]:
    """Return the years a region's data has (2014–2020 always; later years when the workspace holds values)."""
    data = region_data(region)
    return sorted(set(YEARS) | set(data.indicator_years()))


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
    return whatif_curve(data.zones, data.villages, campaign_year(year))


def whatif_table(data: RegionData, year: int) -> pd.DataFrame:
    """Return the share of the poor population covered as the belts' half-width varies (independent of the width
    chosen: the curve is over every width)."""
    return _whatif_table(data.region.key, data.version, year)


@st.cache_data(show_spinner=False, max_entries=64)
def _pairing_table(key: str, version: str, belt_km: float | None, year: int) -> pd.DataFrame:
    data = _data(key, version, belt_km)
    return pairing(data.zones, data.villages, campaign_year(year), membership=data.membership)


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
def _card_bytes(key: str, version: str, belt_km: float | None, year: int, zone_id: str, size: str, lang: str,
                review: str, fmt: str, underlay: bool, grid: bool = False, dem_key: str = "",
                indicator: str | None = None) -> bytes:
    import xyzservices.providers as xyz

    from briefing.card import render_card

    data = _data(key, version, belt_km)
    user_dem = workspace().dem_path(key)
    dem = _dem(data.region.adcode, key, dem_key, None) if user_dem is not None and dem_key else None
    return render_card(data, year, fmt=fmt, zone_id=zone_id or None, size=size, lang=lang,
                       review_number=review or None, underlay=xyz.OpenStreetMap.Mapnik if underlay else None,
                       dpi=200 if fmt == "png" else 100, grid=grid, dem=dem, indicator=indicator)


def card_bytes(data: RegionData, year: int, *, zone_id: str, size: str, lang: str, review: str, fmt: str,
               underlay: bool, grid: bool = False, indicator: str | None = None) -> bytes:
    """Return the briefing card (PNG or PDF bytes) of the data (hillshade from the region's DEM, optional grid) —
    of an indicator when given (briefing.card.card_figure)."""
    return _card_bytes(*_args(data), year, zone_id, size, lang, review, fmt, underlay, grid, dem_token(data.region),
                       indicator)


@st.cache_data(show_spinner=False, max_entries=16)
def _table_exports(key: str, version: str, belt_km: float | None, year: int, lang: str, datum: str,
                   indicator: str | None = None) -> dict[str, bytes]:
    from briefing.bundle import table_exports as exports

    return exports(_data(key, version, belt_km), year, lang=lang, datum=datum, indicator=indicator)


def table_exports(data: RegionData, year: int, lang: str, datum: str, indicator: str | None = None) -> dict[str, bytes]:
    """Return the workbook, GeoPackage, GeoJSON (zip) and CSV exports of the data; with an indicator other than
    the 2014–2020 default, the workbook gains its sheets and the CSV is its per-village values (small numbers
    as "<3")."""
    return _table_exports(*_args(data), year, lang, datum, indicator)


# ------------------------------------------------------------------------------------------------ terrain
TERRAIN_IMAGE_PX = 1024  # longest side of the terrain basemap image (a 256-colour PNG: ~100–150 kB for a county)
TERRAIN_PICTURE_CELLS = 4_000_000  # a province or the country is read averaged down to this many cells for pictures


def dem_token(region: RegionRef) -> str:
    """Return the version of the DEM a region's terrain comes from (the user's, the national or a bundled one).

    Cheap (stat calls): a DEM saved to the workspace, or `make dem` installing the national DEM, changes it.
    "" when no DEM covers the region.
    """
    from geo.terrain.dem import NoDemError, dem_source_for, file_version

    path = workspace().dem_path(region.key)
    if path is None:
        outline, _ = region_outline_and_counties(region.adcode)
        try:
            path = dem_source_for(tuple(float(v) for v in outline.total_bounds))
        except NoDemError:
            return ""
    return f"{path.name}:{file_version(path)}"


@st.cache_resource(show_spinner=False, max_entries=8)
def _dem(adcode: str, key: str, token: str, max_cells: int | None):
    from geo.terrain.dem import region_dem

    outline, _ = region_outline_and_counties(adcode)
    return region_dem(outline, user_dem=workspace().dem_path(key), max_cells=max_cells)


def region_dem(region: RegionRef, *, for_picture: bool = False):
    """Return the region's DEM (geo.terrain.dem.Dem; shared: never mutate it); NoDemError names `make dem`."""
    from geo.terrain.dem import NoDemError

    token = dem_token(region)
    if not token:
        outline, _ = region_outline_and_counties(region.adcode)
        from geo.terrain.dem import dem_source_for

        dem_source_for(tuple(float(v) for v in outline.total_bounds))  # raises the message naming the command
        raise NoDemError("no DEM covers this region")
    return _dem(region.adcode, region.key, token, TERRAIN_PICTURE_CELLS if for_picture else None)


@st.cache_data(show_spinner=False, max_entries=16)
def _terrain_image(adcode: str, key: str, token: str, max_side_px: int):
    from geo.terrain.hillshade import display_elevation, terrain_image

    dem = _dem(adcode, key, token, TERRAIN_PICTURE_CELLS)
    outline, _ = region_outline_and_counties(adcode)
    return (terrain_image(dem, max_side_px=max_side_px, outline=outline, colors=256),
            display_elevation(dem, max_side_px=200))


def terrain_image(region: RegionRef):
    """Return (TerrainImage, ElevationGrid) of a region's offline terrain basemap, rendered once per region and DEM.

    Raises geo.terrain.dem.NoDemError (naming `make dem`) when no DEM covers the region.
    """
    region_dem(region, for_picture=True)  # raises NoDemError early with the message naming the command
    return _terrain_image(region.adcode, region.key, dem_token(region), TERRAIN_IMAGE_PX)


@st.cache_data(show_spinner=False, max_entries=32)
def _village_elevation(key: str, version: str, token: str) -> pd.Series:
    from geo.terrain.metrics import village_elevation_m

    data = _region_data(key, version)
    return village_elevation_m(data.villages, _dem(data.region.adcode, key, token, None))


def village_elevation(data: RegionData) -> pd.Series | None:
    """Return each village's elevation (m), sampled once per data version and DEM; None without a DEM."""
    if not dem_token(data.region) or len(data.villages) == 0:
        return None
    return _village_elevation(data.region.key, data.version, dem_token(data.region))


@st.cache_data(show_spinner=False, max_entries=32)
def _zone_terrain(key: str, version: str, token: str) -> pd.DataFrame:
    from geo.terrain.metrics import zone_terrain

    data = _region_data(key, version)
    return zone_terrain(data.zones, _dem(data.region.adcode, key, token, None))


def zone_terrain(data: RegionData) -> pd.DataFrame | None:
    """Return per zone elevation min/max/mean, relief and mean slope; None without a DEM or zones."""
    if not dem_token(data.region) or len(data.zones) == 0 or (data.zones["kind"] == "county").all():
        return None
    return _zone_terrain(data.region.key, data.version, dem_token(data.region))


DERIVATIONS_KEPT = 16  # derived valley sets remembered (across sessions), newest kept


@st.cache_resource(show_spinner=False)
def _derivations() -> tuple:
    """Return (lock, ordered dict) remembering derived valley sets; bounded to DERIVATIONS_KEPT entries.

    Not st.cache_data: the derivation reports progress to a bar the page drew, which a cached function may not
    touch; this store is keyed the same way (region, DEM version, control) and bounded the same way.
    """
    import threading
    from collections import OrderedDict

    return threading.Lock(), OrderedDict()


def derived_zones(region: RegionRef, *, count: int | None = None, min_area_km2: float | None = None, progress=None):
    """Return valley zones derived from the region's DEM (remembered per region, DEM and control; progress on a miss).

    Shared between sessions: never mutate the frame returned.
    """
    from geo.terrain.valleys import derive_valley_zones

    dem = region_dem(region)
    key = (region.adcode, region.key, dem_token(region), count, min_area_km2)
    lock, store = _derivations()
    with lock:
        if key in store:
            store.move_to_end(key)
            return store[key]
    outline, _ = region_outline_and_counties(region.adcode)
    zones = derive_valley_zones(outline, dem, count=count, min_area_km2=min_area_km2, progress=progress)
    with lock:
        store[key] = zones
        while len(store) > DERIVATIONS_KEPT:
            store.popitem(last=False)
    return zones
