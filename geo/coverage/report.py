"""One region's coverage for one year as plain data: the JSON of `python -m geo metrics`, the tables of the app."""
from __future__ import annotations

import math

import pandas as pd

from geo.coverage import gap_list, union_coverage, zone_metrics
from geo.coverage.reconcile import published_vs_computed
from geo.i18n import industry_names, localized
from geo.region_data import RegionData
from geo.regions import citation, unit_text

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


def published_table(data: RegionData, year: int, lang: str, membership=None) -> pd.DataFrame:
    """Published vs computed as a reader reads it: the value with its year when it is not the page's, the unit,
    year or period and assumption in the language, the source cited by title, publisher and date."""
    published = published_vs_computed(data.region.figures, data.zones, data.villages, membership)
    if published.empty:
        return published
    figures = {f.id: f for f in data.region.figures}
    rows = [figures[f] for f in published["figure"]]
    published["label"] = localized(published, "label", lang)
    published["published_text"] = [f.display_value(lang, page_year=year) for f in rows]
    published["computed_text"] = [computed_text(c, f.unit, lang) for c, f in zip(published["computed"], rows)]
    published["unit"] = [f.unit_text(lang) for f in rows]
    published["when"] = [f.when_text(lang) for f in rows]
    published["assumption"] = [f.assumption(lang) for f in rows]
    published["source_file"] = published["source"]
    published["source"] = [citation(f.source, lang) for f in rows]
    return published.drop(columns=["assumption_zh", "assumption_en"])


def computed_text(value, unit: str, lang: str) -> str | None:
    """Return a computed value as a reader reads it: a count with thousands separators, a share or rate to one
    decimal (18.6, not 18.6001), an area to one decimal; None when it could not be computed."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    number = float(value)
    if number.is_integer():
        text = f"{number:,.0f}"
    elif abs(number) < 1:
        text = f"{number:,.3g}"  # 0.045 %: two significant figures would hide it
    else:
        text = f"{number:,.1f}"
    unit = unit_text(unit, lang)
    return f"{text} {unit}" if unit else text


def metrics_report(data: RegionData, year: int, *, lang: str = "zh") -> dict:
    """Return region, year, illustrative flag, per-zone rows, the union, the gap list, published vs computed and
    the unplaced villages."""
    membership = data.membership
    zones = zone_metrics(data.zones, data.villages, year, clip_to=data.outline, membership=membership,
                         areas_km2=data.zone_areas_km2)
    zones.insert(1, "name", localized(zones, "name", lang))
    zones["industries"] = [industry_names(i, lang, provenance=p) for i, p in zip(zones["industries"],
                                                                                  zones["provenance"])]
    gaps = gap_list(data.zones, data.villages, year, membership=membership)
    names = dict(zip(data.zones["zone_id"], localized(data.zones, "name", lang)))
    gaps["nearest_zone"] = gaps["nearest_zone_id"].map(names) if len(gaps) else pd.Series(dtype=object)
    published = published_table(data, year, lang, membership)
    unplaced = data.unplaced[["village_id", "name", "township", "code", "zones_assigned"]]
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
        "unplaced": _records(unplaced),  # villages without a location: counted by assignment, not drawn
    }
