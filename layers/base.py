"""The atlas map: a folium Map fitted to a region, with its basemap, datum badge and local assets."""
from __future__ import annotations

import folium
from branca.element import MacroElement
from jinja2 import Template

from geo.i18n import t
from layers.assets import use_local_assets
from layers.basemaps import basemap_layers, basemaps, default_basemap_id
from layers.display import display_bounds
from layers.legend import LEGEND_WIDTH_PX, MapLabel, MapStyle, ScaleBar
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
                map.fitBounds(bounds, {{ this.fit_options|tojson }});
                setTimeout(function() { fitting = false; }, 600);
            });
        })();
        {% endmacro %}
    """)

    def __init__(self, bounds, fit_options: dict | None = None):
        super().__init__()
        self._name = "RefitOnResize"
        self.bounds = bounds
        self.fit_options = fit_options or {}


def datum_label(datum: str) -> str:
    """Return the human label of a datum id (wgs84 -> WGS84)."""
    return DATUM_LABELS[datum]


def map_datum(basemap_id: str) -> str:
    """Return the datum overlays must be drawn in on a basemap (gcj02 for Gaode, else WGS84/CGCS2000)."""
    return basemaps()[basemap_id].datum


MAX_ZOOM = 18  # the deepest zoom of any basemap the atlas offers (and of the offline map, which has no tiles)
FIT_PADDING_PX = 24  # margin (CSS px) between a fitted region and the map's edge
FIT_LEGEND_PX = LEGEND_WIDTH_PX + 20  # the region is fitted beside the legend (right), never under it


def fit_options(*, top_px: int = 0) -> dict:
    """Return Leaflet fitBounds options that keep a fitted region clear of the legend (right) and a title (top)."""
    return {"paddingTopLeft": [FIT_PADDING_PX, FIT_PADDING_PX + top_px],
            "paddingBottomRight": [FIT_LEGEND_PX, FIT_PADDING_PX]}


def atlas_map(extent, *, basemap_id: str | None = None, lang: str = "zh", token: str | None = None,
              view: dict | None = None, canvas: bool = False, title_px: int = 0, zoom_control: bool = True,
              bounds=None, terrain=None, readout=None, terrain_opacity: float = OVERLAY_TERRAIN_OPACITY) -> folium.Map:
    """Return an empty atlas map with basemap tiles, the datum badge and a metric scale bar, fitted to a layer's
    extent (beside the legend, below a title of title_px) or at a view.

    extent is a GeoDataFrame (any CRS); its bounds are taken in the basemap's datum (or give them as bounds:
    minx, miny, maxx, maxy in that datum). view ({lat, lon, zoom}, in the display datum) overrides the fit.
    canvas draws vector layers on one canvas instead of an SVG element each (thousands of polygons: a province or
    the whole country). terrain (a geo.terrain.hillshade.TerrainImage) is drawn under every layer, opaque on the
    local terrain basemap and at terrain_opacity over tiles (shifted to their datum), with readout (an
    ElevationGrid) on hover. Raises MissingToken when the basemap needs a key that was not given.
    """
    basemap_id = basemap_id or default_basemap_id()
    datum = map_datum(basemap_id)
    minx, miny, maxx, maxy = bounds if bounds is not None else display_bounds(extent, datum)
    fmap = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], tiles=None, control_scale=False,
                      zoom_start=8, prefer_canvas=canvas, zoom_snap=0.25, zoom_delta=0.5, maxZoom=MAX_ZOOM,
                      zoom_control=zoom_control)
    for tiles in basemap_layers(basemap_id, token=token):
        tiles.add_to(fmap)
    if terrain is not None:
        opacity = 1.0 if basemaps()[basemap_id].kind == "terrain" else terrain_opacity
        add_terrain(fmap, terrain, name=basemaps()[basemap_id].name(lang), datum=datum, readout=readout,
                    readout_label=t("terrain_readout", lang), opacity=opacity)
    fit = fit_options(top_px=title_px)
    if view:
        fmap.location = [float(view["lat"]), float(view["lon"])]
        fmap.options["zoom"] = int(view["zoom"])
    else:
        fmap.fit_bounds([[miny, minx], [maxy, maxx]], padding_top_left=fit["paddingTopLeft"],
                        padding_bottom_right=fit["paddingBottomRight"])
        fmap.add_child(RefitOnResize([[float(miny), float(minx)], [float(maxy), float(maxx)]], fit))
    fmap.add_child(ScaleBar())
    fmap.add_child(MapStyle())
    fmap.add_child(MapLabel(t("datum_badge", lang, datum=datum_label(datum)), css_class="va-datum-badge"))
    return use_local_assets(fmap)
