"""A choropleth of one metric by zone, classed with mapclassify."""
from __future__ import annotations

import warnings

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from geo.i18n import localized
from layers.boundaries import display_geometry

YLORRD_5 = ["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"]  # ColorBrewer YlOrRd, 5 classes
NO_DATA_COLOR = "#dddddd"
FISHER_JENKS_MAX = 500  # above this many zones, quantiles (Fisher-Jenks in pure Python is O(k·n²))


def classify(values: pd.Series, k: int = 5) -> tuple[np.ndarray, list[float]]:
    """Return each value's class (0..k-1, -1 for missing) and the classes' upper bounds (Fisher-Jenks, or quantiles
    for many zones)."""
    finite = values.astype(float).replace([np.inf, -np.inf], np.nan)
    ok = finite.notna().to_numpy()
    classes = np.full(len(values), -1, dtype=int)
    if ok.sum() == 0:
        return classes, []
    distinct = np.unique(finite[ok])
    k = max(1, min(k, len(distinct)))
    if k == 1:
        classes[ok] = 0
        return classes, [float(distinct[-1])]
    values_ok = finite[ok].to_numpy()
    import mapclassify  # here, not at the top: importing it compiles its numba kernels (~4 s), paid only when used

    with warnings.catch_warnings():  # mapclassify warns about its numba/pure-Python choice; both are exact
        warnings.simplefilter("ignore")
        scheme = (mapclassify.FisherJenks(values_ok, k=k) if len(values_ok) <= FISHER_JENKS_MAX
                  else mapclassify.Quantiles(values_ok, k=k))
    classes[ok] = scheme.yb
    return classes, [float(b) for b in scheme.bins]


def choropleth_layer(zones: gpd.GeoDataFrame, values: pd.Series, *, name: str, value_label: str,
                     fmt: str = "{:,.0f}", datum: str = "wgs84", tolerance_deg: float = 0.0, lang: str):
    """Return (feature group, legend rows) of zones coloured by a metric in 5 Fisher-Jenks classes (YlOrRd)."""
    from layers.legend import swatch

    classes, bounds = classify(values)
    palette = YLORRD_5[-len(bounds):] if bounds else []
    colors = [palette[c] if c >= 0 else NO_DATA_COLOR for c in classes]
    shown = gpd.GeoDataFrame({
        "zone_id": zones["zone_id"].to_numpy(), "name": localized(zones, "name", lang).to_numpy(),
        "value": [fmt.format(v) if pd.notna(v) else "—" for v in values], "color": colors,
    }, geometry=zones.geometry.to_numpy(), crs=zones.crs)
    group = folium.FeatureGroup(name=name, show=True)
    folium.GeoJson(
        display_geometry(shown, tolerance_deg=tolerance_deg, datum=datum).to_geo_dict(drop_id=True),
        style_function=lambda f: {"color": "#555555", "weight": 0.8, "fillColor": f["properties"]["color"],
                                  "fillOpacity": 0.75},
        highlight_function=lambda f: {"weight": 2.5},
        tooltip=folium.GeoJsonTooltip(fields=["name", "value"], aliases=["", value_label]),
    ).add_to(group)
    lows = [float(np.nanmin(values.astype(float)))] + bounds[:-1] if bounds else []
    rows = [(swatch(color), f"{fmt.format(lo)} – {fmt.format(hi)}") for color, lo, hi in zip(palette, lows, bounds)]
    return group, rows
