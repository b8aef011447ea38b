"""Layers rendered once to JavaScript text and reused by every map that shows them.

A region's static layers (boundaries, zones, village positions) do not change with the year; rendering them with
folium costs seconds for 全国 (2,875 county polygons: GeoJSON serialised, bounds and styles computed, again on
every rerun). `prerender` renders them once into plain text — cacheable and shared by sessions, since a string
cannot be mutated — and `PrerenderedLayers` puts that text into a live map, where st_folium sees an unchanged map
from one rerun to the next (no reload, no flicker, the view kept).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import folium
from branca.element import CssLink, Element, JavascriptLink, MacroElement
from folium.elements import JSCSSMixin
from folium.template import Template

from layers.assets import use_local_assets

PLACEHOLDER_ID = "va_prerendered"  # the id of the throwaway map the layers are rendered on


@dataclass(frozen=True)
class Prerendered:
    """JavaScript that adds layers to a map named by PLACEHOLDER_ID, with the scripts and stylesheets it needs."""

    script: str
    header: str  # HTML for the page's head (e.g. the tooltips' table style)
    js: tuple[tuple[str, str], ...]
    css: tuple[tuple[str, str], ...]

    @property
    def script_bytes(self) -> int:
        """Return the size of the script in UTF-8 bytes (what it adds to the page)."""
        return len(self.script.encode("utf-8"))


def _walk(element):
    yield element
    for child in getattr(element, "_children", {}).values():
        yield from _walk(child)


def prerender(layers: Iterable[Element]) -> Prerendered:
    """Return the JavaScript of layers (folium elements: feature groups, GeoJson, markers, ...) rendered once."""
    fmap = folium.Map(tiles=None)
    fmap._id = PLACEHOLDER_ID
    for layer in layers:
        fmap.add_child(layer)
    use_local_assets(fmap)
    figure = fmap.get_root()
    figure.render()
    own = fmap.get_name()
    script = "\n".join(child.render() for name, child in figure.script._children.items() if name != own)
    js, css = {}, {}
    for element in _walk(fmap):
        if element is fmap:
            continue
        js.update(dict(getattr(element, "default_js", [])))
        css.update(dict(getattr(element, "default_css", [])))
    assets = {name for name, _ in fmap.default_js + fmap.default_css} | set(js) | set(css) | {"meta_http", own}
    header = "\n".join(child.render() for name, child in figure.header._children.items() if name not in assets)
    return Prerendered(script=script, header=header, js=tuple(js.items()), css=tuple(css.items()))


class PrerenderedLayers(JSCSSMixin, MacroElement):
    """Put prerendered layers on a live map (their script, bound to this map's name)."""

    _template = Template("""
        {% macro header(this, kwargs) %}
        {{ this.prerendered.header }}
        {% endmacro %}
        {% macro script(this, kwargs) %}
        {{ this.bound_script() }}
        {% endmacro %}
    """)

    def __init__(self, prerendered: Prerendered):
        super().__init__()
        self._name = "PrerenderedLayers"
        self.prerendered = prerendered
        self.default_js = list(prerendered.js)
        self.default_css = list(prerendered.css)

    def bound_script(self) -> str:
        return self.prerendered.script.replace(f"map_{PLACEHOLDER_ID}", self._parent.get_name())

    def render(self, **kwargs):
        """Put the links, the header and the script on the page as they are.

        (MacroElement.render would wrap the rendered script in a new jinja Template — lexing megabytes of GeoJSON
        for 全国, ~0.3 s of every rerun.)
        """
        figure = self.get_root()
        for name, url in self.default_js:
            figure.header.add_child(JavascriptLink(url), name=name)
        for name, url in self.default_css:
            figure.header.add_child(CssLink(url), name=name)
        figure.header.add_child(_Text(self.prerendered.header), name=self.get_name())
        figure.script.add_child(_Text(self.bound_script()), name=self.get_name())


class _Text(Element):
    """Text that goes into the page as it is (never compiled as a template)."""

    def __init__(self, text: str):
        super().__init__()
        self.text = text

    def render(self, **kwargs) -> str:
        return self.text
