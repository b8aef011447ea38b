"""The atlas map: a folium Map fitted to a region, with its basemap, datum badge and local assets."""
from __future__ import annotations

import folium

from geo.i18n import t
from layers.assets import use_local_assets
from layers.basemaps import basemap_layer, basemaps
from layers.legend import MapLabel

DATUM_LABELS = {"wgs84": "WGS84", "cgcs2000": "CGCS2000", "gcj02": "GCJ-02（高德）", "bd09": "BD-09（百度）"}


def datum_label(datum: str) -> str:
    """Return the human label of a datum id (wgs84 -> WGS84)."""
    return DATUM_LABELS[datum]


def atlas_map(bounds, *, basemap_id: str = "osm", lang: str = "zh") -> folium.Map:
    """Return an empty atlas map fitted to WGS84 bounds (minx, miny, maxx, maxy), with basemap and datum badge."""
    minx, miny, maxx, maxy = bounds
    fmap = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], tiles=None, control_scale=True,
                      zoom_start=8, prefer_canvas=False)
    tiles = basemap_layer(basemap_id)
    if tiles is not None:
        tiles.add_to(fmap)
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    datum = basemaps()[basemap_id].datum
    fmap.add_child(MapLabel(t("datum_badge", lang, datum=datum_label(datum)), css_class="va-datum-badge"))
    return use_local_assets(fmap)
