"""The map's year-independent layers — outline, counties, zones and belts, village positions — rendered once.

What changes with the year (village colours, the choropleth, the title and key figures, the selection) goes to the
map as small feature groups (views/map.py); these layers are rendered once per data version, belt width, display
datum, language and choice of layers, and reused by every rerun and every session.
"""
from __future__ import annotations

from dataclasses import dataclass

from geo.coverage.membership import has_outline
from geo.i18n import t
from geo.region_data import RegionData
from geo.villages import placed
from layers.boundaries import boundary_layer, display_tolerance_deg
from layers.display import display_bounds
from layers.points import village_base_layer
from layers.prerender import Prerendered, prerender
from layers.zones import zones_layer

VILLAGES_KEY = "villages"  # the key under which the page keeps the village layer (for its recolouring)
CANVAS_FROM_FEATURES = 500  # from this many polygons on the map, Leaflet draws them on a canvas, not as SVG


@dataclass(frozen=True)
class StaticMap:
    """A region's static layers as page script, with the extent (display datum) a new map is fitted to."""

    layers: Prerendered
    bounds: tuple[float, float, float, float]  # minx, miny, maxx, maxy in the display datum (degrees)
    canvas: bool  # many polygons: the map should draw vectors on a canvas


def is_county_zones(data: RegionData) -> bool:
    """True when the zones are the region's counties (a province, 全国): the county layer is then the zones."""
    return bool(len(data.zones)) and bool((data.zones["kind"] == "county").all())


def static_map_layers(data: RegionData, *, datum: str = "wgs84", lang: str = "zh",
                      layers: tuple[str, ...] = ("zones", "villages", "counties")) -> StaticMap:
    """Return the static layers of a region's map (layers chosen from zones, villages, counties, choropleth).

    Villages are drawn hidden (layers.points.village_base_layer): the page gives them their year's colours.
    """
    outline, counties = data.outline, data.counties
    tolerance = display_tolerance_deg(len(counties))
    elements = []
    if "counties" in layers and len(counties) > 1 and not is_county_zones(data):
        elements.append(boundary_layer(counties, name=t("layer_counties", lang), weight=1, color="#666666",
                                       tolerance_deg=tolerance, datum=datum, labels=len(counties) <= 20))
    elements.append(boundary_layer(outline, name=data.region.name(lang), outline_only=True, weight=3,
                                   color="#c0392b", tolerance_deg=tolerance, datum=datum))
    zones = data.zones[has_outline(data.zones)]  # a zone with members but no outline yet is listed, not drawn
    villages = data.villages[placed(data.villages)]  # an unplaced village is counted and listed, not drawn
    if "zones" in layers and "choropleth" not in layers and len(zones):
        elements.append(zones_layer(zones, lang=lang, clip_to=outline, tolerance_deg=tolerance, datum=datum))
    if "villages" in layers and len(villages):
        elements.append(village_base_layer(villages, lang=lang, datum=datum, key=VILLAGES_KEY))
    bounds = tuple(float(v) for v in display_bounds(outline, datum))
    canvas = max(len(counties), len(data.zones)) >= CANVAS_FROM_FEATURES
    return StaticMap(layers=prerender(elements), bounds=bounds, canvas=canvas)
