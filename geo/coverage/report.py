"""One region's coverage for one year as plain data: the JSON of `python -m geo metrics`, the tables of the app."""
from __future__ import annotations

import math

import pandas as pd

from geo.coverage import gap_list, union_coverage, zone_metrics
from geo.coverage.reconcile import published_vs_computed
from geo.i18n import localized
from geo.region_data import RegionData

ZONE_FIELDS = ["zone_id", "name", "name_zh", "name_en", "kind", "half_width_km", "industries", "provenance",
               "villages", "poverty_villages", "poor_population", "village_share", "poverty_village_share",
               "poor_population_share", "area_km2", "area_10k_mu", "poor_per_km2", "villages_per_100km2"]


def _clean(value):
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if hasattr(value, "item"):
        return _clean(value.item())
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if value is pd.NA:
        return None
    return value


def _records(frame: pd.DataFrame) -> list[dict]:
    return [{k: _clean(v) for k, v in row.items()} for row in frame.to_dict("records")]


def metrics_report(data: RegionData, year: int, *, lang: str = "zh") -> dict:
    """Return region, year, illustrative flag, per-zone rows, the union, the gap list and published vs computed."""
    membership = data.membership
    zones = zone_metrics(data.zones, data.villages, year, clip_to=data.outline, membership=membership,
                         areas_km2=data.zone_areas_km2)
    zones.insert(1, "name", localized(zones, "name", lang))
    gaps = gap_list(data.zones, data.villages, year, membership=membership)
    published = published_vs_computed(data.region.figures, data.zones, data.villages, membership)
    return {
        "region": data.region.key,
        "region_name": data.region.name(lang),
        "adcode": data.region.adcode,
        "year": year,
        "illustrative": data.illustrative,
        "zones": _records(zones[ZONE_FIELDS]),
        "union": {k: _clean(v) for k, v in union_coverage(data.zones, data.villages, year,
                                                            membership=membership).items()},
        "gaps": _records(gaps),
        "published": _records(published),
    }
