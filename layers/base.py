"""The atlas map: a folium Map fitted to a region, with its basemap, datum badge and local assets."""
from __future__ import annotations

import folium
from branca.element import MacroElement
from jinja2 import Template

from geo.i18n import t
from layers.assets import use_local_assets
from layers.basemaps import basemap_layers, basemaps, default_basemap_id
from layers.display import display_bounds
from layers.legend import MapLabel
from layers.terrain import add_terrain

OVERLAY_TERRAIN_OPACITY = 0.5  # the hillshade over an online basemap's tiles (the "terrain" layer choice)
DATUM_LABELS = {"wgs84": "WGS84", "cgcs2000": "CGCS2000", "gcj02": "GCJ-02", "bd09": "BD-09"}


class RefitOnResize(MacroElement):
    """Fit the map to its bounds again when its container is resized, until the user moves it."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function() {
            var map = {{ this._parent.get_name() }};
            var bounds = {{ this.bounds|tojson }};
            var fitting = false, moved = false;
            map.on('dragstart', function() { moved = true; });
            map.on('zoomstart', function() { if (!fitting) { moved = true; } });
            map.on('resize', function() {
                if (moved) { return; }
                fitting = true;
                map.fitBounds(bounds);
                setTimeout(function() { fitting = false; }, 600);
            });
        })();
        {% endmacro %}
    """)

    def __init__(self, bounds):
        super().__init__()
        self._name = "RefitOnResize"
        self.bounds = bounds


def datum_label(datum: str) -> str:
    """Return the human label of a datum id (wgs84 -> WGS84)."""
    return DATUM_LABELS[datum]


def map_datum(basemap_id: str) -> str:
    """Return the datum overlays must be drawn in on a basemap (gcj02 for Gaode, else WGS84/CGCS2000)."""
    return basemaps()[basemap_id].datum


def atlas_map(extent, *, basemap_id: str | None = None, lang: str = "zh", token: str | None = None,
              view: dict | None = None, canvas: bool = False, terrain=None, readout=None,
              terrain_opacity: float = OVERLAY_TERRAIN_OPACITY) -> folium.Map:
    """Return an empty atlas map with basemap tiles and the datum badge, fitted to a layer's extent or at a view.

    extent is a GeoDataFrame (any CRS); its bounds are taken in the basemap's datum. view ({lat, lon, zoom}, in the
    display datum) overrides the fit. canvas draws vector layers on one canvas instead of an SVG element each
    (thousands of polygons: a province or the whole country). terrain (a geo.terrain.hillshade.TerrainImage) is
    drawn under every layer, opaque on the local terrain basemap and at terrain_opacity over tiles (shifted to
    their datum), with readout (an ElevationGrid) on hover.
    Raises MissingToken when the basemap needs a key that was not given.
    """
    basemap_id = basemap_id or default_basemap_id()
    datum = map_datum(basemap_id)
    minx, miny, maxx, maxy = display_bounds(extent, datum)
    fmap = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], tiles=None, control_scale=True,
                      zoom_start=8, prefer_canvas=canvas, zoom_snap=0.25, zoom_delta=0.5)
    for tiles in basemap_layers(basemap_id, token=token):
        tiles.add_to(fmap)
    if terrain is not None:
        opacity = 1.0 if basemaps()[basemap_id].kind == "terrain" else terrain_opacity
        add_terrain(fmap, terrain, name=basemaps()[basemap_id].name(lang), datum=datum, readout=readout,
                    readout_label=t("terrain_readout", lang), opacity=opacity)
    if view:
        fmap.location = [float(view["lat"]), float(view["lon"])]
        fmap.options["zoom"] = int(view["zoom"])
    else:
        fmap.fit_bounds([[miny, minx], [maxy, maxx]])
        fmap.add_child(RefitOnResize([[float(miny), float(minx)], [float(maxy), float(maxx)]]))
    fmap.add_child(MapLabel(t("datum_badge", lang, datum=datum_label(datum)), css_class="va-datum-badge"))
    return use_local_assets(fmap)
