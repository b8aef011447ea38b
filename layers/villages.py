"""Village layers as per-point GeoJSON or Leaflet.markercluster, and the village legend.

The app draws villages with layers/points.py (typed arrays on one canvas); these per-point layers stay for small
exports and as the comparison in bench/browser.py.
"""
from __future__ import annotations

import json

import folium
import geopandas as gpd
import numpy as np
from folium.plugins import FastMarkerCluster

from geo.i18n import t
from geo.style import STATUS_COLORS
from geo.villages import poor_population, village_status
from layers.display import to_display

GAP_RING = "#000000"
CLUSTER_THRESHOLD = 3000  # above this many villages, markers are clustered (FastMarkerCluster)
COORD_DECIMALS = 5  # ~1 m


def village_records(villages: gpd.GeoDataFrame, year: int, gap_ids: set[str] | frozenset = frozenset(), *,
                    datum: str = "wgs84") -> list:
    """Return compact rows [lat, lon, status, is_gap, name, poor, village_id] for the map (display datum, rounded)."""
    from geo.villages import YEARS

    year = min(max(int(year), YEARS[0]), YEARS[-1])  # after 2020: statuses as at the end of the campaign
    w = to_display(villages, datum, name="villages")
    status = village_status(w, year).to_numpy()
    poor = poor_population(w, year).to_numpy()
    lat = np.round(w.geometry.y.to_numpy(), COORD_DECIMALS)
    lon = np.round(w.geometry.x.to_numpy(), COORD_DECIMALS)
    gaps = np.isin(w["village_id"].to_numpy(), list(gap_ids))
    return [[float(a), float(b), s, int(g), n, int(p), i]
            for a, b, s, g, n, p, i in zip(lat, lon, status, gaps, w["name"], poor, w["village_id"])]


STATUS_CODES = {"poverty": 0, "exited": 1, "other": 2}  # compact status numbers in the clustered payload
CLUSTER_DECIMALS = 4  # ~10 m: enough for a dot in a cluster, and 100k villages stay under 2.5 MB of HTML

_CLUSTER_CALLBACK = """
function (row) {
    var colors = %(colors)s, labels = %(labels)s;
    var gap = row[2] >= 3, status = row[2] %% 3;
    var marker = L.circleMarker(new L.LatLng(row[0], row[1]), {
        radius: gap ? 6 : 4, weight: gap ? 2.5 : 1, color: gap ? '%(ring)s' : '#333333',
        fillColor: colors[status], fillOpacity: 0.9});
    marker.bindTooltip(labels[status]);
    return marker;
}
"""


def cluster_rows(records: list) -> list:
    """Return [lat, lon, code] rows for the clustered layer: code = status (0-2) + 3 when the village is a gap."""
    return [[round(r[0], CLUSTER_DECIMALS), round(r[1], CLUSTER_DECIMALS), STATUS_CODES[r[2]] + 3 * r[3]]
            for r in records]


def villages_layer(villages: gpd.GeoDataFrame, year: int, *, lang: str = "zh",
                   gap_ids: set[str] | frozenset = frozenset(), datum: str = "wgs84") -> folium.FeatureGroup:
    """Return a feature group of villages coloured by status in a year (clustered above CLUSTER_THRESHOLD).

    Below the threshold the villages are one GeoJSON layer whose features carry village_id, so that a click
    returns the village (streamlit-folium's last_active_drawing).
    """
    group = folium.FeatureGroup(name=t("layer_villages", lang, year=year), show=True)
    if len(villages) == 0:
        return group
    records = village_records(villages, year, gap_ids, datum=datum)
    label = {s: t(f"status_{s}", lang) for s in STATUS_COLORS}
    people = t("poor_population", lang)
    if len(records) > CLUSTER_THRESHOLD:
        # names and figures stay on the server: a click on a dot returns its position, and the page looks up
        # the nearest village (see pages/map.py) — this keeps 100k villages under 2.5 MB of map HTML
        colors = [STATUS_COLORS[s] for s in STATUS_CODES]
        labels = [label[s] for s in STATUS_CODES]
        FastMarkerCluster(cluster_rows(records), callback=_CLUSTER_CALLBACK % {
            "colors": json.dumps(colors), "labels": json.dumps(labels, ensure_ascii=False), "ring": GAP_RING},
            options={"disableClusteringAtZoom": 12, "chunkedLoading": True}).add_to(group)
        return group
    features = [{
        "type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {"village_id": vid, "name": name, "status": label[status], "poor": poor,
                       "color": STATUS_COLORS[status], "gap": gap},
    } for lat, lon, status, gap, name, poor, vid in records]
    folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        marker=folium.CircleMarker(radius=4.5, fill=True),
        style_function=lambda f: {
            "radius": 6 if f["properties"]["gap"] else 4.5, "weight": 2.5 if f["properties"]["gap"] else 1,
            "color": GAP_RING if f["properties"]["gap"] else "#333333", "fillColor": f["properties"]["color"],
            "fillOpacity": 0.9},
        tooltip=folium.GeoJsonTooltip(fields=["name", "status", "poor"],
                                      aliases=[t("village_name", lang), t("status", lang), people]),
    ).add_to(group)
    return group


def village_legend_entries(lang: str, *, with_gaps: bool) -> list[tuple[str, str]]:
    """Return legend rows (swatch, label) for the village statuses (and the gap ring)."""
    from layers.legend import swatch

    rows = [(swatch(color, shape="dot"), t(f"status_{status}", lang)) for status, color in STATUS_COLORS.items()]
    if with_gaps:
        rows.append((swatch(STATUS_COLORS["poverty"], shape="dot", ring=GAP_RING), t("status_gap", lang)))
    return rows
