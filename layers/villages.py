"""Village layers: points coloured by status in the selected year, gaps ringed, clustered when many."""
from __future__ import annotations

import html
import json

import folium
import geopandas as gpd
import numpy as np
from folium.plugins import FastMarkerCluster

from geo.i18n import t
from geo.villages import poor_population, village_status
from layers.display import to_display

STATUS_COLORS = {"poverty": "#d62728", "exited": "#ff9f1c", "other": "#9e9e9e"}
GAP_RING = "#000000"
CLUSTER_THRESHOLD = 3000  # above this many villages, markers are clustered (FastMarkerCluster)
COORD_DECIMALS = 5  # ~1 m


def village_records(villages: gpd.GeoDataFrame, year: int, gap_ids: set[str] | frozenset = frozenset(), *,
                    datum: str = "wgs84") -> list:
    """Return compact rows [lat, lon, status, is_gap, name, poor, village_id] for the map (display datum, rounded)."""
    w = to_display(villages, datum, name="villages")
    status = village_status(w, year).to_numpy()
    poor = poor_population(w, year).to_numpy()
    lat = np.round(w.geometry.y.to_numpy(), COORD_DECIMALS)
    lon = np.round(w.geometry.x.to_numpy(), COORD_DECIMALS)
    gaps = np.isin(w["village_id"].to_numpy(), list(gap_ids))
    return [[float(a), float(b), s, int(g), n, int(p), i]
            for a, b, s, g, n, p, i in zip(lat, lon, status, gaps, w["name"], poor, w["village_id"])]


_CLUSTER_CALLBACK = """
function (row) {
    var colors = %(colors)s;
    var marker = L.circleMarker(new L.LatLng(row[0], row[1]), {
        radius: row[3] ? 6 : 4, weight: row[3] ? 2.5 : 1, color: row[3] ? '%(ring)s' : '#333333',
        fillColor: colors[row[2]], fillOpacity: 0.9});
    marker.bindTooltip(row[4] + ' · ' + row[5]);
    return marker;
}
"""


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
        rows = [[r[0], r[1], r[2], r[3], html.escape(r[4]), f"{label[r[2]]} · {people} {r[5]}", r[6]]
                for r in records]
        FastMarkerCluster(rows, callback=_CLUSTER_CALLBACK % {"colors": json.dumps(STATUS_COLORS), "ring": GAP_RING},
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
