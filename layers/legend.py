"""Map labels drawn as Leaflet controls: the legend, the datum badge and the 示意 (illustrative) flag."""
from __future__ import annotations

import html

from branca.element import MacroElement
from jinja2 import Template

LABEL_FONT = "'Noto Sans CJK SC','Noto Sans SC','Microsoft YaHei','PingFang SC',sans-serif"


class MapLabel(MacroElement):
    """A fixed HTML label drawn as a Leaflet control in a corner of the map."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function() {
            var control = L.control({position: {{ this.position|tojson }}});
            control.onAdd = function() {
                var div = L.DomUtil.create('div', {{ this.css_class|tojson }});
                div.style.cssText = {{ this.style|tojson }};
                div.innerHTML = {{ this.text|tojson }};
                L.DomEvent.disableClickPropagation(div);
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
            f"font:12px {LABEL_FONT};" + style
        )


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


def legend(title: str, entries: list[tuple[str, str]]) -> MapLabel:
    """Return a legend control: a title and (swatch HTML, label) rows; labels are escaped."""
    rows = "".join(f'<div style="white-space:nowrap;line-height:18px">{sw}{html.escape(label)}</div>'
                   for sw, label in entries)
    text = f'<div style="font-weight:bold;margin-bottom:2px">{html.escape(title)}</div>{rows}'
    return MapLabel(text, css_class="va-legend", position="bottomleft", style="padding:4px 8px;max-width:280px;")


def illustrative_flag(text: str) -> MapLabel:
    """Return the 示意 flag shown on every map with illustrative data."""
    return MapLabel(html.escape(text), css_class="va-illustrative", position="topright",
                    style="color:#b00020;font-weight:bold;border-color:#b00020;")
