"""Administrative boundary layers."""
from __future__ import annotations

import html
import math

import folium
import geopandas as gpd
import shapely
from shapely.ops import polylabel

from layers.display import to_display

DISPLAY_DECIMALS = 5  # ~1 m at these latitudes: enough for display, keeps the map HTML small


def display_tolerance_deg(n_divisions: int) -> float:
    """Return the display simplification (degrees) for a layer of n county polygons: exact for a county or a
    city, ~200 m for a province, ~1 km for the whole country (all 2,875 counties in under 5 MB)."""
    if n_divisions <= 20:
        return 0.0
    if n_divisions <= 300:
        return 0.002
    return 0.01


def display_geometry(frame: gpd.GeoDataFrame, *, tolerance_deg: float = 0.0, datum: str = "wgs84") -> gpd.GeoDataFrame:
    """Return a copy in the display datum, simplified by a tolerance (degrees, display only), coordinates rounded."""
    out = to_display(frame, datum)
    geoms = out.geometry.values
    if tolerance_deg > 0:
        # Douglas-Peucker without topology checks is ~25x quicker (0.25 s instead of 6.8 s for all 2,875 counties);
        # the few shapes it empties or breaks are simplified again with topology preserved
        fast = shapely.simplify(geoms, tolerance_deg, preserve_topology=False)
        broken = shapely.is_empty(fast) | ~shapely.is_valid(fast)
        if broken.any():
            fast[broken] = shapely.simplify(geoms[broken], tolerance_deg, preserve_topology=True)
        geoms = fast
    # a simplified layer needs no more precision than a tenth of its tolerance (0.01° -> 3 decimals, ~100 m)
    decimals = DISPLAY_DECIMALS if tolerance_deg <= 0 else \
        min(DISPLAY_DECIMALS, max(3, math.ceil(-math.log10(tolerance_deg / 10))))
    out = out.set_geometry(shapely.set_precision(geoms, 10 ** -decimals, mode="pointwise"), crs=4326)
    return out


def boundary_layer(boundaries: gpd.GeoDataFrame, *, name: str, outline_only: bool = False,
                   color: str = "#333333", weight: float = 1.5, tolerance_deg: float = 0.0,
                   datum: str = "wgs84", labels: bool = False):
    """Return a layer of administrative boundaries with name/adcode tooltips (and name labels), in the display datum."""
    shown = display_geometry(boundaries[["adcode", "name", "geometry"]], tolerance_deg=tolerance_deg, datum=datum)
    outline = _outline_geojson(shown, name, outline_only, color, weight)
    if not labels:
        return outline
    group = folium.FeatureGroup(name=name)
    outline.add_to(group)
    for label, geom in zip(shown["name"], shown.geometry):
        point = polylabel(max(getattr(geom, "geoms", [geom]), key=lambda g: g.area), tolerance=0.001)
        folium.Marker([point.y, point.x], icon=folium.DivIcon(icon_size=(0, 0), html=(
            f'<div class="va-county-label" style="display:inline-block;transform:translate(-50%,-50%);'
            f'white-space:nowrap;font:12px \'Noto Sans CJK SC\',sans-serif;color:#555;'
            f'text-shadow:0 0 2px #fff,0 0 2px #fff">{html.escape(label)}</div>')), interactive=False).add_to(group)
    return group


def _outline_geojson(shown, name, outline_only, color, weight) -> folium.GeoJson:
    return folium.GeoJson(
        shown.to_geo_dict(drop_id=True),
        name=name,
        style_function=lambda _f, c=color, w=weight, o=outline_only: {
            "color": c, "weight": w, "fill": not o, "fillOpacity": 0.03, "fillColor": c,
        },
        tooltip=folium.GeoJsonTooltip(fields=["name", "adcode"], aliases=["", ""], labels=False),
    )
