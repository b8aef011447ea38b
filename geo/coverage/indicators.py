"""Coverage of any village indicator: per zone, the union, the gaps, the change on a year and the yearly series.

An indicator's values come from a long table (geo.indicators); a zone's value is the sum over its villages, or the
mean weighted by another indicator, as the registry says. A year without any value of the indicator in the region
gives None everywhere — unknown, never 0. When the region has values, a village without one adds nothing to a
sum and is not counted in `villages_reporting`.

Every function is pure and takes the membership of geo.coverage.membership (computed once per data version).
"""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.coverage.membership import Membership, zone_membership
from geo.indicators import (
    IndicatorRegistry,
    figure_rows,
    indicators_of,
    load_indicators,
    seed_villages_to_long,
    sort_long,
    values_at,
    years_of,
)


def village_values(villages: pd.DataFrame, table: pd.DataFrame, indicator: str, year: int, *,
                   month: int | None = None) -> np.ndarray:
    """Return each village's value of an indicator in a year (float, NaN where unknown), in the villages' order."""
    return values_at(table, villages["village_id"].astype(str).to_numpy(), indicator, year, month)


def figure_month(table: pd.DataFrame, indicator: str, year: int, month: int | None = None) -> int | None:
    """Return the month whose rows are the year's figure (None: yearly rows, or no rows)."""
    rows = figure_rows(table, indicator, year, month)
    months = rows["month"].dropna()
    return int(months.iloc[0]) if len(months) else None


def _inputs(villages, table, indicator, year, month, registry):
    registry = registry or load_indicators()
    spec = registry.get(indicator)
    values = village_values(villages, table, indicator, year, month=month)
    weights = None
    if spec.aggregation == "weighted_mean":
        weights = village_values(villages, table, spec.weight, year, month=month)
        if np.isnan(weights).all() and month is not None:
            weights = village_values(villages, table, spec.weight, year)  # a yearly weight serves every month
        known = ~np.isnan(values) & ~np.isnan(weights) & (weights > 0)
        values = np.where(known, values, np.nan)
        weights = np.where(known, weights, 0.0)
    return spec, values, weights


def _aggregate(values: np.ndarray, weights: np.ndarray | None, in_group: np.ndarray | None = None) -> float | None:
    """Return the sum (or weighted mean) of the known values of a group of villages; None when none is known."""
    mask = ~np.isnan(values) if in_group is None else (~np.isnan(values) & in_group)
    if not mask.any():
        return None
    if weights is None:
        return float(values[mask].sum())
    total_weight = weights[mask].sum()
    return float((values[mask] * weights[mask]).sum() / total_weight) if total_weight > 0 else None


def indicator_zone_values(zones: gpd.GeoDataFrame, villages: gpd.GeoDataFrame, table: pd.DataFrame,
                          indicator: str, year: int, *, membership: Membership | None = None,
                          registry: IndicatorRegistry | None = None, month: int | None = None) -> pd.DataFrame:
    """Return per zone an indicator's value in a year (sum or weighted mean; NaN when unknown), the number of its
    villages with a value, and — for sums — its share of the region's total."""
    membership = membership or zone_membership(zones, villages)
    spec, values, weights = _inputs(villages, table, indicator, year, month, registry)
    known = ~np.isnan(values)
    out = pd.DataFrame(index=zones.index)
    for column in ("zone_id", "name_zh", "name_en", "kind"):
        out[column] = zones[column]
    reporting = membership.per_zone(known.astype(float)).astype(np.int64)
    if weights is None:
        value = membership.per_zone(np.nan_to_num(values, nan=0.0))
    else:
        weighted = membership.per_zone(np.nan_to_num(values * weights, nan=0.0))
        total_weight = membership.per_zone(weights)
        with np.errstate(divide="ignore", invalid="ignore"):
            value = np.where(total_weight > 0, weighted / total_weight, np.nan)
    if not known.any():
        value = np.full(len(zones), np.nan)  # no value in the region this year: unknown, not 0
    out["value"] = value
    out["villages_reporting"] = reporting
    region_total = _aggregate(values, weights)
    if spec.aggregation == "sum" and region_total:
        out["share"] = out["value"] / region_total
    else:
        out["share"] = np.nan
    return out


def indicator_region_value(villages: pd.DataFrame, table: pd.DataFrame, indicator: str, year: int, *,
                           registry: IndicatorRegistry | None = None, month: int | None = None) -> float | None:
    """Return the region's value of an indicator in a year (all villages), or None when no village has one."""
    _, values, weights = _inputs(villages, table, indicator, year, month, registry)
    return _aggregate(values, weights)


def indicator_union(zones: gpd.GeoDataFrame, villages: gpd.GeoDataFrame, table: pd.DataFrame, indicator: str,
                    year: int, *, membership: Membership | None = None, registry: IndicatorRegistry | None = None,
                    month: int | None = None) -> dict:
    """Return what the zones together reach of an indicator in a year (a village in several zones counts once):
    covered and total values (None when unknown), the share covered (sums), villages covered and reporting."""
    membership = membership or zone_membership(zones, villages)
    spec, values, weights = _inputs(villages, table, indicator, year, month, registry)
    covered = membership.covered()
    covered_value = _aggregate(values, weights, covered)
    total = _aggregate(values, weights)
    if total is not None and covered_value is None and weights is None:
        covered_value = 0.0
    share = covered_value / total if spec.aggregation == "sum" and total and covered_value is not None else None
    return {"value_covered": covered_value, "value_total": total, "share_covered": share,
            "villages_covered": int(covered.sum()), "villages_reporting": int((~np.isnan(values)).sum()),
            "villages_reporting_covered": int((~np.isnan(values) & covered).sum())}


def indicator_gaps(zones: gpd.GeoDataFrame, villages: gpd.GeoDataFrame, table: pd.DataFrame, indicator: str,
                   year: int, *, membership: Membership | None = None, month: int | None = None,
                   distances: bool = True) -> pd.DataFrame:
    """Return the villages with a positive value of an indicator outside every zone, nearest first (distance in
    km to the nearest zone when distances=True), e.g. monitored people not yet out of risk that no belt reaches."""
    from geo.coverage.metrics import distance_to_zones_m

    membership = membership or zone_membership(zones, villages)
    values = village_values(villages, table, indicator, year, month=month)
    outside = (np.nan_to_num(values, nan=0.0) > 0) & ~membership.covered()
    gaps = villages.loc[outside]
    columns = ["village_id", "name", "township", "code", "value", "distance_km", "nearest_zone_id"]
    if gaps.empty:
        return pd.DataFrame(columns=columns)
    out = pd.DataFrame({"village_id": gaps["village_id"], "name": gaps["name"], "township": gaps["township"],
                        "code": gaps["code"], "value": values[outside]}, index=gaps.index)
    if distances and len(zones):
        dist = distance_to_zones_m(zones, gaps)
        zone_ids = zones["zone_id"].to_numpy()
        out["distance_km"] = (dist["distance_m"] / 1000.0).where(np.isfinite(dist["distance_m"]))
        out["nearest_zone_id"] = [zone_ids[p] if p >= 0 else None for p in dist["nearest_zone_pos"]]
        return out.sort_values(["distance_km", "village_id"], na_position="last")[columns]
    out["distance_km"], out["nearest_zone_id"] = np.nan, None
    return out.sort_values(["value", "village_id"], ascending=[False, True])[columns]


def previous_year(table: pd.DataFrame, indicator: str, year: int) -> int | None:
    """Return the latest year before `year` with values of the indicator, or None."""
    earlier = [y for y in years_of(table, indicator) if y < year]
    return earlier[-1] if earlier else None


def indicator_change(zones: gpd.GeoDataFrame, villages: gpd.GeoDataFrame, table: pd.DataFrame, indicator: str,
                     year: int, *, membership: Membership | None = None, registry: IndicatorRegistry | None = None,
                     month: int | None = None) -> pd.DataFrame:
    """Return per zone, plus a last row for the region (zone_id None), an indicator's value in a year, in the
    previous year that has values, and the change (NaN where either is unknown)."""
    membership = membership or zone_membership(zones, villages)
    before_year = previous_year(table, indicator, year)
    now = indicator_zone_values(zones, villages, table, indicator, year, membership=membership,
                                registry=registry, month=month)
    out = now[["zone_id", "name_zh", "name_en", "kind", "value"]].copy()
    region_now = indicator_region_value(villages, table, indicator, year, registry=registry, month=month)
    if before_year is None:
        out["previous_value"], region_before = np.nan, None
    else:
        out["previous_value"] = indicator_zone_values(zones, villages, table, indicator, before_year,
                                                      membership=membership, registry=registry)["value"]
        region_before = indicator_region_value(villages, table, indicator, before_year, registry=registry)
    region = pd.DataFrame([{"zone_id": None, "name_zh": "全区域", "name_en": "whole region", "kind": "region",
                            "value": np.nan if region_now is None else region_now,
                            "previous_value": np.nan if region_before is None else region_before}])
    out = pd.concat([out, region], ignore_index=True)
    out["previous_year"] = before_year
    out["change"] = out["value"] - out["previous_value"]
    return out


def indicator_over_years(zones: gpd.GeoDataFrame, villages: gpd.GeoDataFrame, table: pd.DataFrame,
                         indicator: str, *, membership: Membership | None = None,
                         registry: IndicatorRegistry | None = None) -> pd.DataFrame:
    """Return one row per year the indicator has: the region's value, the value covered by the zones and the
    share covered (the yearly chart)."""
    membership = membership or zone_membership(zones, villages)
    rows = []
    for year in years_of(table, indicator):
        union = indicator_union(zones, villages, table, indicator, year, membership=membership, registry=registry)
        rows.append({"year": year, "value_total": union["value_total"], "value_covered": union["value_covered"],
                     "share_covered": union["share_covered"]})
    return pd.DataFrame(rows, columns=["year", "value_total", "value_covered", "share_covered"])


def coverage_by_class(villages: gpd.GeoDataFrame, membership: Membership, *, table: pd.DataFrame | None = None,
                      indicator: str | None = None, year: int | None = None,
                      registry: IndicatorRegistry | None = None, lang: str = "zh") -> pd.DataFrame:
    """Return per village planning class (村庄分类; "" = not classified): villages, villages in a zone and — with an
    indicator and year — the indicator's value over the class and over its villages in a zone."""
    from geo.villages import PLANNING_CLASS_COLUMN

    registry = registry or load_indicators()
    classes = villages[PLANNING_CLASS_COLUMN].fillna("").astype(str).to_numpy() \
        if PLANNING_CLASS_COLUMN in villages.columns else np.full(len(villages), "")
    covered = membership.covered()
    if indicator is not None:
        _, values, weights = _inputs(villages, table, indicator, year, None, registry)
    names = {c.id: c.name(lang) for c in registry.planning_classes}
    rows = []
    for class_id in [*[c.id for c in registry.planning_classes], ""]:
        members = classes == class_id
        if class_id == "" and not members.any():
            continue
        row = {"planning_class": class_id, "name": names.get(class_id, "未分类" if lang == "zh" else "not classified"),
               "villages": int(members.sum()), "villages_covered": int((members & covered).sum())}
        if indicator is not None:
            row["value"] = _aggregate(values, weights, members)
            row["value_covered"] = _aggregate(values, weights, members & covered)
        rows.append(row)
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------- one region-year
def region_indicator_table(villages: pd.DataFrame, region: str, stored: pd.DataFrame | None = None) -> pd.DataFrame:
    """Return every indicator of a region as one long table: the 2014–2020 columns of the villages on show
    (seed or imported) and the stored long table, a stored row winning over a village column for the same key."""
    from_villages = seed_villages_to_long(villages, region)
    if stored is None or not len(stored):
        return from_villages
    both = pd.concat([stored, from_villages], ignore_index=True)
    both = both.assign(_m=both["month"].fillna(0))
    both = both.drop_duplicates(["region", "village_id", "indicator", "year", "_m"], keep="first").drop(columns="_m")
    return sort_long(both)


def indicator_report(data, table: pd.DataFrame, year: int, *, indicators: list[str] | None = None,
                     registry: IndicatorRegistry | None = None, month: int | None = None,
                     lang: str = "zh", gaps: bool = True) -> dict:
    """Return, for each indicator (default: every indicator with values in `year`), per-zone values, the region's
    value, the union, the change on the previous year and the gap list — `python -m geo metrics --indicator`.

    data: a geo.region_data.RegionData; table: its long table (region_indicator_table).
    """
    from geo.coverage.report import _clean, _records

    registry = registry or load_indicators()
    membership = data.membership
    chosen = indicators or [i for i in indicators_of(table) if year in years_of(table, i)]
    illustrative = bool(data.illustrative or (table["provenance"] == "illustrative").any())
    out = []
    for indicator in chosen:
        spec = registry.get(indicator)
        zones = indicator_zone_values(data.zones, data.villages, table, indicator, year, membership=membership,
                                      registry=registry, month=month)
        zones.insert(1, "name", zones["name_zh"] if lang == "zh" else zones["name_en"])
        change = indicator_change(data.zones, data.villages, table, indicator, year, membership=membership,
                                  registry=registry, month=month)
        entry = {
            "indicator": indicator, "name": spec.name(lang), "unit": spec.unit(lang), "kind": spec.kind,
            "aggregation": spec.aggregation, "weight": spec.weight, "years": years_of(table, indicator),
            "year": year, "month": figure_month(table, indicator, year, month),
            "has_data": year in years_of(table, indicator),
            "region_value": indicator_region_value(data.villages, table, indicator, year, registry=registry,
                                                   month=month),
            "zones": _records(zones.drop(columns=["name_zh", "name_en"])),
            "union": {k: _clean(v) for k, v in indicator_union(data.zones, data.villages, table, indicator, year,
                                                               membership=membership, registry=registry,
                                                               month=month).items()},
            "previous_year": _clean(change["previous_year"].iloc[-1]) if len(change) else None,
            "region_change": _clean(change["change"].iloc[-1]) if len(change) else None,
        }
        if gaps:
            entry["gaps"] = _records(indicator_gaps(data.zones, data.villages, table, indicator, year,
                                                    membership=membership, month=month))
        out.append(entry)
    return {"region": data.region.key, "region_name": data.region.name(lang), "adcode": data.region.adcode,
            "year": year, "illustrative": illustrative, "indicators": out}
