"""The drawing tools of the data page: Leaflet.draw (served locally) for valley polygons and belt centrelines."""
from __future__ import annotations

from folium.plugins import Draw

from layers.assets import use_local_assets


def draw_control() -> Draw:
    """Return a Draw control offering polygons, rectangles and lines only; shapes are not edited in place (the
    drawn set lives in the page's session state, where each can be named, replaced or removed)."""
    control = Draw(
        export=False, position="topleft", show_geometry_on_click=False,
        draw_options={"polyline": {"shapeOptions": {"color": "#8e44ad", "weight": 4}},
                      "polygon": {"allowIntersection": False, "showArea": True,
                                  "shapeOptions": {"color": "#8e44ad"}},
                      "rectangle": {"shapeOptions": {"color": "#8e44ad"}},
                      "circle": False, "marker": False, "circlemarker": False},
        edit_options={"edit": False, "remove": False},
    )
    return use_local_assets(control)
