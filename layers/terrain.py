"""The offline terrain basemap: the region's hillshade as a Leaflet ImageOverlay under every layer, and a read-out.

The image is inlined in the map's HTML (a palette PNG, ~100–150 kB for a county at 1024 px), so the map draws with
no request to anyone. It lies in its own pane between the tile pane (200) and the overlay pane (400): above any
tiles, under every zone, belt and village. On a GCJ-02 basemap its corners are shifted like every other overlay.
"""
from __future__ import annotations

import base64
import json

import folium
import numpy as np
from branca.element import MacroElement
from jinja2 import Template

from geo.crs import convert_coords
from geo.terrain.hillshade import NODATA_M, ElevationGrid, TerrainImage

TERRAIN_PANE = "va-terrain"
TERRAIN_PANE_Z = 250  # between Leaflet's tilePane (200) and overlayPane (400)


def display_image_bounds(bounds, datum: str = "wgs84") -> list[list[float]]:
    """Return WGS84 [[south, west], [north, east]] moved to the display datum (corners shifted, as overlays are)."""
    (south, west), (north, east) = bounds
    if datum in ("wgs84", "cgcs2000"):
        return [[south, west], [north, east]]
    lon, lat = convert_coords([west, east], [south, north], "wgs84", datum)
    return [[float(lat[0]), float(lon[0])], [float(lat[1]), float(lon[1])]]


def terrain_layer(image: TerrainImage, *, name: str, datum: str = "wgs84", opacity: float = 1.0):
    """Return (pane, image overlay) drawing a terrain image under every other layer; add both to the map, in order."""
    pane = folium.map.CustomPane(TERRAIN_PANE, z_index=TERRAIN_PANE_Z, pointer_events=False)
    url = "data:image/png;base64," + base64.b64encode(image.png).decode("ascii")
    overlay = folium.raster_layers.ImageOverlay(
        url, bounds=display_image_bounds(image.bounds, datum), name=name, opacity=opacity, pane=TERRAIN_PANE,
        interactive=False, control=False, pixelated=False, className="va-terrain-image", zIndex=1)
    return pane, overlay


def add_terrain(fmap: folium.Map, image: TerrainImage, *, name: str, datum: str = "wgs84",
                readout: ElevationGrid | None = None, readout_label: str = "", opacity: float = 1.0) -> folium.Map:
    """Put the terrain image under every layer of a map (and the elevation read-out on hover); return the map."""
    pane, overlay = terrain_layer(image, name=name, datum=datum, opacity=opacity)
    fmap.add_child(pane)
    fmap.add_child(overlay)
    if readout is not None:
        fmap.add_child(ElevationReadout(readout, datum=datum, label=readout_label))
    return fmap


class ElevationReadout(MacroElement):
    """Show the elevation under the pointer (from an inlined int16 grid) in a small box at the map's bottom left."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function() {
            var map = {{ this._parent.get_name() }};
            var grid = {{ this.grid|tojson }};
            var raw = atob(grid.data), values = new Int16Array(raw.length / 2);
            for (var i = 0; i < values.length; i++) {
                var v = raw.charCodeAt(2 * i) | (raw.charCodeAt(2 * i + 1) << 8);
                values[i] = v > 32767 ? v - 65536 : v;
            }
            var P = L.Projection.SphericalMercator;
            var sw = P.project(L.latLng(grid.bounds[0])), ne = P.project(L.latLng(grid.bounds[1]));
            var box = L.control({position: 'bottomleft'});
            box.onAdd = function() {
                var div = L.DomUtil.create('div', 'va-elevation');
                div.style.cssText = 'background:rgba(255,255,255,0.85);padding:2px 6px;font:12px sans-serif;' +
                                    'border-radius:3px;min-width:90px;';
                div.innerHTML = '&nbsp;';
                return div;
            };
            box.addTo(map);
            map.on('mousemove', function(e) {
                var p = P.project(e.latlng);
                var col = Math.floor((p.x - sw.x) / (ne.x - sw.x) * grid.width);
                var row = Math.floor((ne.y - p.y) / (ne.y - sw.y) * grid.height);
                var text = '&nbsp;';
                if (col >= 0 && row >= 0 && col < grid.width && row < grid.height) {
                    var z = values[row * grid.width + col];
                    if (z !== grid.nodata) { text = grid.label + ' ' + z.toLocaleString('en') + ' m'; }
                }
                box.getContainer().innerHTML = text;
            });
        })();
        {% endmacro %}
    """)

    def __init__(self, grid: ElevationGrid, *, datum: str = "wgs84", label: str = ""):
        super().__init__()
        self._name = "ElevationReadout"
        values = np.ascontiguousarray(grid.values.astype("<i2"))
        self.grid = {
            "data": base64.b64encode(values.tobytes()).decode("ascii"), "width": int(values.shape[1]),
            "height": int(values.shape[0]), "bounds": display_image_bounds(grid.bounds, datum),
            "nodata": NODATA_M, "label": label,
        }

    def payload_bytes(self) -> int:
        """Return the size (bytes) of the grid as inlined in the page."""
        return len(json.dumps(self.grid))
