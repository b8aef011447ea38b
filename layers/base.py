"""The atlas map: a folium Map fitted to a region, with its basemap, datum badge and local assets."""
from __future__ import annotations

import folium
from branca.element import MacroElement
from jinja2 import Template

from geo.i18n import t
from layers.assets import use_local_assets
from layers.basemaps import basemap_layer, basemaps

DATUM_LABELS = {"wgs84": "WGS84", "cgcs2000": "CGCS2000", "gcj02": "GCJ-02（高德）", "bd09": "BD-09（百度）"}


class MapLabel(MacroElement):
    """A fixed HTML label drawn as a Leaflet control in a corner of the map (datum badge, 示意 flag)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function() {
            var control = L.control({position: {{ this.position|tojson }}});
            control.onAdd = function() {
                var div = L.DomUtil.create('div', {{ this.css_class|tojson }});
                div.style.cssText = {{ this.style|tojson }};
                div.innerHTML = {{ this.text|tojson }};
                return div;
            };
            control.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
    """)

    def __init__(self, text: str, *, css_class: str, position: str = "bottomright", style: str = ""):
        super().__init__()
        self._name = "MapLabel"
        self.text = text
        self.css_class = css_class
        self.position = position
        self.style = (
            "background:rgba(255,255,255,0.92);border:1px solid #888;border-radius:4px;padding:2px 6px;"
            "font:12px 'Noto Sans CJK SC','Noto Sans SC','Microsoft YaHei',sans-serif;" + style
        )


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
