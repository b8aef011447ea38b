"""Serve the map's JavaScript and CSS from the app itself so that the map draws on an intranet without CDNs.

The files live under static/vendor/ (Streamlit static serving exposes them at /app/static/vendor/); each library's
licence file sits beside it.
"""
from __future__ import annotations

from pathlib import Path

import folium

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
STATIC_URL = "/app/static"  # where Streamlit's static file serving exposes STATIC_DIR
LEAFLET = "vendor/leaflet-1.9.3"
MARKERCLUSTER = "vendor/leaflet.markercluster-1.1.0"
LEAFLET_DRAW = "vendor/leaflet.draw-1.0.4"  # folium.plugins.Draw asks for 1.0.2 from a CDN; 1.0.4 is the same API

# folium's asset names -> a file under static/, or None for assets the atlas does not use (jQuery, Bootstrap,
# Font Awesome are only needed by folium's icon markers and popups with Bootstrap markup, which the atlas avoids).
LOCAL_ASSETS: dict[str, str | None] = {
    "leaflet": f"{LEAFLET}/leaflet.js",
    "leaflet_css": f"{LEAFLET}/leaflet.css",
    "markerclusterjs": f"{MARKERCLUSTER}/leaflet.markercluster.js",
    "markerclustercss": f"{MARKERCLUSTER}/MarkerCluster.css",
    "markerclusterdefaultcss": f"{MARKERCLUSTER}/MarkerCluster.Default.css",
    "leaflet_draw_js": f"{LEAFLET_DRAW}/leaflet.draw.js",
    "leaflet_draw_css": f"{LEAFLET_DRAW}/leaflet.draw.css",
    "valley_points_js": "js/valley_points.js",  # our own canvas layer for many points (layers/points.py)
    "jquery": None,
    "bootstrap": None,
    "bootstrap_css": None,
    "glyphicons_css": None,
    "awesome_markers": None,
    "awesome_markers_font_css": None,
    "awesome_markers_css": None,
    "awesome_rotate_css": None,
}


class MissingLocalAsset(KeyError):
    """A folium element asks for a script or stylesheet that the app does not serve locally."""


def _localise(entries, base_url: str) -> list[tuple[str, str]]:
    out = []
    for name, url in entries:
        if name not in LOCAL_ASSETS:
            raise MissingLocalAsset(
                f"folium asset {name!r} ({url}) has no local copy; add it under static/vendor/ and to LOCAL_ASSETS"
            )
        local = LOCAL_ASSETS[name]
        if local is not None:
            out.append((name, f"{base_url}/{local}"))
    return out


def _walk(element):
    yield element
    for child in getattr(element, "_children", {}).values():
        yield from _walk(child)


def use_local_assets(fmap: folium.Map, base_url: str = STATIC_URL) -> folium.Map:
    """Point every script and stylesheet of a map (and its plugins) at the app's own static files; return the map."""
    for element in _walk(fmap):
        if hasattr(element, "default_js"):
            element.default_js = _localise(element.default_js, base_url)
        if hasattr(element, "default_css"):
            element.default_css = _localise(element.default_css, base_url)
    return fmap


def asset_urls(fmap: folium.Map) -> list[str]:
    """Return every script and stylesheet URL a map and its plugins will load."""
    urls = []
    for element in _walk(fmap):
        urls += [u for _, u in getattr(element, "default_js", [])] + [u for _, u in getattr(element, "default_css", [])]
    return urls
