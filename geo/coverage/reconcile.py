"""Published vs computed: each published figure of a region beside the value the atlas computes from its data."""
from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from geo.coverage import paired_village_count, pairing, union_coverage
from geo.regions import Figure
from geo.villages import YEARS, poverty_status
from geo.zones import MU_PER_KM2, zone_area_km2

Metric = Callable[..., float]


def _poor(villages, year) -> int:
    return int(villages[f"poor_{year}"].sum())


def _lifted(villages, year) -> int:
    column = f"lifted_{year}"
    if villages[column].notna().any():
        return int(villages[column].fillna(0).sum())
    return _poor(villages, year - 1) - _poor(villages, year)


def _incidence_pct(villages, year) -> float | None:
    rural = int(villages["rural_population"].sum())
    return 100.0 * _poor(villages, year) / rural if rural else None  # no rural population: no incidence


METRICS: dict[str, Metric] = {
    "poverty_villages": lambda z, v, y, m: int(poverty_status(v, y).sum()),
    "poor_population": lambda z, v, y, m: _poor(v, y),
    "incidence_pct": lambda z, v, y, m: _incidence_pct(v, y),
    "zone_count": lambda z, v, y, m: len(z),
    "paired_villages": lambda z, v, y, m: paired_village_count(pairing(z, v, y, membership=m)),
    "union_poverty_villages": lambda z, v, y, m: union_coverage(z, v, y, membership=m)["poverty_villages_covered"],
    "union_poor_share_pct": lambda z, v, y, m: 100.0 * union_coverage(z, v, y, membership=m)["poor_population_share"],
    "villages_exited": lambda z, v, y, m: int((v["exit_year"].fillna(9999) <= y).sum()),
    "poor_households": lambda z, v, y, m: int(v["poor_households"].fillna(0).sum()),
    "lifted_out": lambda z, v, y, m: _lifted(v, y),
    "lifted_out_cumulative": lambda z, v, y, m: sum(_lifted(v, yy) for yy in range(YEARS[0] + 1, y + 1)),
    "reduction": lambda z, v, y, m: _poor(v, y - 1) - _poor(v, y),
    "high_cold_villages": lambda z, v, y, m: int(v["high_cold"].sum()),
    "team_round1_county": lambda z, v, y, m: int((v["resident_team"] == "round1_county").sum()),
    "team_round1_province_city": lambda z, v, y, m: int((v["resident_team"] == "round1_province_city").sum()),
}


def _zone_area_mu(zones, zone_id: str) -> float:
    match = zones[zones["zone_id"] == zone_id]
    if match.empty:
        raise KeyError(f"no zone {zone_id!r}")
    return float(zone_area_km2(match).iloc[0] * MU_PER_KM2)


def compute_figure(figure: Figure, zones, villages, membership=None) -> float | None:
    """Return the atlas' value for a published figure, or None when the atlas has nothing to compute it from.

    membership: the villages' zone membership when the caller has it (geo.region_data.RegionData.membership).
    """
    if figure.computed is None or figure.garbled:
        return None
    year = figure.computed_year or figure.year
    if figure.computed.startswith("zone_area_mu:"):
        return _zone_area_mu(zones, figure.computed.split(":", 1)[1])
    if len(villages) == 0 and figure.computed != "zone_count":
        return None
    return METRICS[figure.computed](zones, villages, year, membership)


def figure_matches(figure: Figure, computed: float | None) -> bool | None:
    """Return whether a computed value reproduces the published figure (None when not computable)."""
    if computed is None or figure.value is None:
        return None
    tolerance = figure.tolerance or 0.0
    if figure.qualifier == "more than":
        return figure.value < computed <= figure.value + max(tolerance, 0.0) if tolerance else computed > figure.value
    if figure.qualifier == "at least":
        return computed >= figure.value
    if figure.qualifier == "less than":
        return computed < figure.value
    return bool(abs(computed - figure.value) <= tolerance + 1e-9)


def published_vs_computed(figures, zones, villages, membership=None) -> pd.DataFrame:
    """Return one row per published figure: id, labels, published value, computed value, match, unit, source."""
    rows = []
    for fig in figures:
        computed = compute_figure(fig, zones, villages, membership)
        rows.append({
            "figure": fig.id, "label_zh": fig.label_zh, "label_en": fig.label_en,
            "published": None if fig.garbled else fig.value, "qualifier": fig.qualifier, "garbled": fig.garbled,
            "computed": None if computed is None else (round(computed, 6) if isinstance(computed, float)
                                                       else int(computed)),
            "unit": fig.unit, "year": fig.computed_year or fig.year, "when": fig.when,
            "match": figure_matches(fig, computed), "source": fig.source,
            "assumption_zh": fig.assumption_zh, "assumption_en": fig.assumption_en,
        })
    return pd.DataFrame(rows)

