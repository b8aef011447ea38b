"""The chosen indicator on the map and in exports: what the choropleth shows and how it is labelled."""
from __future__ import annotations

import pandas as pd

from geo.i18n import t
from views import cache
from views.state import DEFAULT_INDICATOR, current_indicator


def indicator_label(data, indicator: str, lang: str) -> str:
    """Return an indicator's name with its unit: "监测对象人数（人）" / "Monitored people (people)"."""
    spec = data.registry.get(indicator)
    return f"{spec.name(lang)}（{spec.unit(lang)}）" if lang == "zh" else f"{spec.name(lang)} ({spec.unit(lang)})"


def choropleth_values(data, report: dict, metric: str, year: int, lang: str,
                      formats: dict[str, str]) -> tuple[pd.Series, str, str]:
    """Return (values per zone on data.zones' index, legend label, number format) of the choropleth.

    The 2014–2020 metrics (metric) as before when the sidebar's indicator is the registered poor population and
    the year is in 2014–2020; otherwise the chosen indicator's value per zone in the year (NaN, shown grey and
    "—", where the year has no values).
    """
    indicator = current_indicator()
    if indicator == DEFAULT_INDICATOR and year == cache.campaign_year(year):
        values = pd.Series([z[metric] for z in report["zones"]], index=data.zones.index)
        return values, t(metric, lang), formats[metric]
    zones = cache.indicator_views(data, indicator, year)["zones"]
    spec = data.registry.get(indicator)
    fmt = "{:,.0f}" if spec.integer or spec.kind == "money" else "{:,.2f}"
    label = f"{indicator_label(data, indicator, lang)} · {year}"
    return pd.Series(zones["value"].to_numpy(dtype=float), index=data.zones.index), label, fmt
