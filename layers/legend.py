"""Map furniture drawn as Leaflet controls: the legend, labels (title, key figures, source), the datum badge, the
示意 (illustrative) flag, the north arrow and the scale bar; and the page-side passes that keep labels apart.

Every control is wrapped in a Leaflet layer, so it can sit on the map itself or in a feature group passed to
st_folium(feature_group_to_add=...): a year change then replaces the title or the key figures without a new map.
"""
from __future__ import annotations

import html

from branca.element import MacroElement
from jinja2 import Template

LABEL_FONT = "'Noto Sans CJK SC','Noto Sans SC','Microsoft YaHei','PingFang SC',sans-serif"
LEGEND_WIDTH_PX = 250  # the legend's widest (CSS px): the map fits the region beside it (layers/base.FIT_PADDING)

# The control's layer is created once per page (guarded), then one instance per label.
_CONTROL_LAYER_JS = """
if (!L.VaControlLayer) {
    L.VaControlLayer = L.Layer.extend({
        initialize: function (position, className, style, text) {
            this._position = position; this._className = className; this._style = style; this._text = text;
        },
        onAdd: function (map) {
            var self = this;
            this._control = L.control({position: this._position});
            this._control.onAdd = function () {
                var div = L.DomUtil.create('div', self._className);
                div.style.cssText = self._style;
                div.innerHTML = self._text;
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            this._control.addTo(map);
        },
        onRemove: function (map) { if (this._control) { map.removeControl(this._control); } }
    });
}
"""


class MapLabel(MacroElement):
    """A fixed HTML label drawn as a Leaflet control in a corner of the map (on a map or in a feature group)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        """ + _CONTROL_LAYER_JS + """
        var {{ this.get_name() }} = new L.VaControlLayer({{ this.position|tojson }}, {{ this.css_class|tojson }},
            {{ this.style|tojson }}, {{ this.text|tojson }});
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, text: str, *, css_class: str, position: str = "bottomright", style: str = "",
                 frame: bool = True):
        super().__init__()
        self._name = "MapLabel"
        self.text = text
        self.css_class = css_class
        self.position = position
        box = "background:rgba(255,255,255,0.92);border:1px solid #888;border-radius:4px;padding:2px 6px;" if frame \
            else ""
        self.style = f"{box}font:12px {LABEL_FONT};" + style


def swatch(color: str, *, shape: str = "box", ring: str | None = None) -> str:
    """Return the HTML of a small colour sample: a box (areas), a line (belts) or a dot (villages)."""
    color = html.escape(color)
    if shape == "dot":
        border = f"2px solid {html.escape(ring)}" if ring else "1px solid #333"
        return (f'<span style="display:inline-block;width:10px;height:10px;border-radius:50%;background:{color};'
                f'border:{border};margin-right:6px;vertical-align:middle"></span>')
    if shape == "line":
        return (f'<span style="display:inline-block;width:18px;height:4px;background:{color};margin-right:6px;'
                f'vertical-align:middle"></span>')
    return (f'<span style="display:inline-block;width:14px;height:10px;background:{color};opacity:0.6;'
            f'border:1px solid {color};margin-right:6px;vertical-align:middle"></span>')


def legend(title: str, entries: list[tuple[str, str]], *, position: str = "bottomright", open_: bool = True) -> MapLabel:
    """Return a collapsible legend control: a title (click to fold) and (swatch HTML, label) rows; labels escaped."""
    rows = "".join(f'<div style="line-height:18px;padding-left:24px;text-indent:-24px">{sw}{html.escape(label)}</div>'
                   for sw, label in entries)  # long names wrap under themselves, never cut off
    text = (f'<details{" open" if open_ else ""}><summary style="font-weight:bold;cursor:pointer;margin-bottom:2px">'
            f'{html.escape(title)}</summary>{rows}</details>')
    return MapLabel(text, css_class="va-legend", position=position,
                    style=f"padding:4px 8px;max-width:{LEGEND_WIDTH_PX}px;max-height:60vh;overflow:auto;")


def illustrative_flag(text: str) -> MapLabel:
    """Return the 示意 flag shown on every map with illustrative data."""
    return MapLabel(html.escape(text), css_class="va-illustrative", position="topright",
                    style="color:#b00020;font-weight:bold;border-color:#b00020;")


def north_arrow(letter: str = "N", *, position: str = "topright") -> MapLabel:
    """Return a north arrow (Web Mercator maps have north straight up at every point)."""
    svg = ('<svg width="28" height="40" viewBox="0 0 28 40" aria-hidden="true">'
           '<polygon points="14,2 24,30 14,24 4,30" fill="#222"/><polygon points="14,2 14,24 4,30" fill="#fff" '
           'stroke="#222" stroke-width="1"/></svg>')
    text = (f'<div style="text-align:center;line-height:1"><div style="font-weight:bold;font-size:14px">'
            f'{html.escape(letter)}</div>{svg}</div>')
    return MapLabel(text, css_class="va-north-arrow", position=position, style="padding:2px 4px;")


class ScaleBar(MacroElement):
    """Leaflet's scale bar (metric only), drawn as a control."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        L.control.scale({position: {{ this.position|tojson }}, imperial: false, maxWidth: 160})
            .addTo({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, position: str = "bottomleft"):
        super().__init__()
        self._name = "ScaleBar"
        self.position = position


class MapStyle(MacroElement):
    """CSS for the map page: no focus rectangle on clicked shapes, labels that never take a click; and a first click
    that lands where it was aimed.

    Leaflet focuses the map on mousedown (for its keyboard controls). When the map's frame is partly off screen the
    browser then scrolls the page to show it — between mousedown and mouseup — so the first click on a zone, belt
    or village lands elsewhere or becomes a drag (issue 14.3). The focus is taken without scrolling instead.
    """

    CSS = (".leaflet-interactive:focus, .leaflet-container path:focus { outline: none !important; }"
           ".va-zone-label, .va-county-label { pointer-events: none; }"
           ".va-legend details > summary { list-style-position: inside; }"
           ".leaflet-control-scale-line { font: 12px " + LABEL_FONT.replace("'", "") + "; }")

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function () {
            var style = document.createElement('style');
            style.textContent = {{ this.css|tojson }};
            document.head.appendChild(style);
            var map = {{ this._parent.get_name() }}, keyboard = map.keyboard;
            if (keyboard) {
                keyboard.disable();
                keyboard._onMouseDown = function () {
                    if (this._focused) { return; }
                    this._map._container.focus({preventScroll: true});
                };
                keyboard.enable();
            }
        })();
        {% endmacro %}
    """)

    def __init__(self, extra_css: str = ""):
        super().__init__()
        self._name = "MapStyle"
        self.css = self.CSS + extra_css


class LabelDeclutter(MacroElement):
    """Keep name labels apart: after each move or zoom, zone labels (then county labels) are placed in turn; a
    label that would overlap one already placed tries a nudge up or down, else is hidden until there is room."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var PAD = 2, NUDGES = [0, -1, 1, -2, 2];
            function overlaps(a, b) {
                return a.left < b.right + PAD && b.left < a.right + PAD && a.top < b.bottom + PAD && b.top < a.bottom + PAD;
            }
            function declutter() {
                var container = map.getContainer();
                var labels = Array.prototype.slice.call(container.querySelectorAll('.va-zone-label'))
                    .concat(Array.prototype.slice.call(container.querySelectorAll('.va-county-label')));
                var placed = [], frame = container.getBoundingClientRect();
                labels.forEach(function (el) { el.style.visibility = ''; el.style.transform = 'translate(-50%,-50%)'; });
                labels.forEach(function (el) {
                    var box = el.getBoundingClientRect(), h = box.height;
                    for (var k = 0; k < NUDGES.length; k++) {
                        var dy = NUDGES[k] * h;
                        var r = {left: box.left, right: box.right, top: box.top + dy, bottom: box.bottom + dy};
                        if (r.right < frame.left || r.left > frame.right || r.bottom < frame.top || r.top > frame.bottom) {
                            break;  // off screen: nothing to place
                        }
                        var free = placed.every(function (p) { return !overlaps(r, p); });
                        if (free) {
                            el.style.transform = 'translate(-50%,calc(-50% + ' + dy + 'px))';
                            placed.push(r);
                            return;
                        }
                    }
                    if (placed.some(function (p) { return overlaps(box, p); })) { el.style.visibility = 'hidden'; }
                });
                map.vaLabelsHidden = labels.filter(function (el) { return el.style.visibility === 'hidden'; }).length;
            }
            map.on('zoomend moveend resize', function () { setTimeout(declutter, 0); });
            map.whenReady(function () { setTimeout(declutter, 50); });
            setTimeout(declutter, 400);
        })();
        {% endmacro %}
    """)

    def __init__(self):
        super().__init__()
        self._name = "LabelDeclutter"
