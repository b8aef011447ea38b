"""Zone layers: valley and county polygons coloured per zone with name labels; belts as corridor + centreline."""
from __future__ import annotations

import html

import folium
import geopandas as gpd
from shapely.ops import polylabel

from geo.i18n import industries_text, localized, pick, t
from geo.style import zone_colors
from geo.zones import corridors
from layers.boundaries import display_geometry
from layers.display import to_display

MAX_LABELLED_ZONES = 20  # above this (e.g. 88 counties) names are in tooltips only


def _properties(zones: gpd.GeoDataFrame, lang: str) -> gpd.GeoDataFrame:
    flag = t("illustrative_short", lang)
    names = localized(zones, "name", lang)
    return gpd.GeoDataFrame({
        "zone_id": zones["zone_id"].to_numpy(),
        "name": [f"{n}{pick(lang, f'（{flag}）', f' ({flag})')}" if p == "illustrative" else n
                 for n, p in zip(names, zones["provenance"])],
        "kind": [t(f"zone_kind_{k}", lang) for k in zones["kind"]],
        "industries": [industries_text(i, lang, provenance=p) for i, p in zip(zones["industries"], zones["provenance"])],
        "color": zone_colors(zones),
    }, geometry=zones.geometry.to_numpy(), crs=zones.crs)


def zones_layer(zones: gpd.GeoDataFrame, *, lang: str = "zh", clip_to: gpd.GeoDataFrame | None = None,
                tolerance_deg: float = 0.0, datum: str = "wgs84") -> folium.FeatureGroup:
    """Return a feature group with every zone: polygons, belt corridors (dashed) and centrelines, and name labels."""
    group = folium.FeatureGroup(name=t("layer_zones", lang), show=True)
    if len(zones) == 0:
        return group
    props = _properties(zones, lang)
    is_belt = (zones["kind"] == "belt").to_numpy()
    tooltip_fields = ["name", "kind", "industries"]
    aliases = [t("zone", lang), t("kind", lang), t("industries", lang)]
    if is_belt.any():
        corridor = props[is_belt].set_geometry(corridors(zones[is_belt], clip_to=clip_to).to_numpy())
        folium.GeoJson(
            display_geometry(corridor, tolerance_deg=tolerance_deg, datum=datum).to_geo_dict(drop_id=True),
            name=t("layer_belt_corridors", lang),
            style_function=lambda f: {"color": f["properties"]["color"], "weight": 2, "dashArray": "6 4",
                                      "fillColor": f["properties"]["color"], "fillOpacity": 0.22},
            tooltip=folium.GeoJsonTooltip(fields=tooltip_fields, aliases=aliases),
        ).add_to(group)
        folium.GeoJson(
            display_geometry(props[is_belt], datum=datum).to_geo_dict(drop_id=True),
            style_function=lambda f: {"color": f["properties"]["color"], "weight": 4, "opacity": 0.9},
            tooltip=folium.GeoJsonTooltip(fields=tooltip_fields, aliases=aliases),
        ).add_to(group)
    if (~is_belt).any():
        many = len(zones) > MAX_LABELLED_ZONES  # a province's or China's counties: hairlines, a faint fill,
        outline, fill = (0.5, 0.08) if many else (1.5, 0.25)  # so that the villages' colours read above them
        folium.GeoJson(
            display_geometry(props[~is_belt], tolerance_deg=tolerance_deg, datum=datum).to_geo_dict(drop_id=True),
            style_function=lambda f: {"color": f["properties"]["color"], "weight": outline,
                                      "fillColor": f["properties"]["color"], "fillOpacity": fill},
            highlight_function=lambda f: {"weight": 3, "fillOpacity": 0.4},
            tooltip=folium.GeoJsonTooltip(fields=tooltip_fields, aliases=aliases),
        ).add_to(group)
    if len(zones) <= MAX_LABELLED_ZONES:
        names = localized(zones, "name", lang)
        for name, color, point in zip(names, props["color"], _label_points(to_display(zones, datum))):
            folium.Marker(
                location=[point.y, point.x],
                icon=folium.DivIcon(html=(
                    f'<div class="va-zone-label" style="display:inline-block;transform:translate(-50%,-50%);white-space:nowrap;'
                    f'font:bold 12px \'Noto Sans CJK SC\',sans-serif;color:{color};'
                    f'text-shadow:0 0 3px #fff,0 0 3px #fff,0 0 3px #fff">{html.escape(name)}</div>'),
                    icon_size=(0, 0)),
                interactive=False,  # a click on a name reaches the zone under it
            ).add_to(group)
    return group


def _label_points(zones: gpd.GeoDataFrame):
    """Return a WGS84 point inside each zone (polygons) or at the middle of each centreline (belts)."""
    points = []
    for geom, kind in zip(zones.geometry, zones["kind"]):
        if kind == "belt":
            points.append(geom.interpolate(0.5, normalized=True))
        else:
            largest = max(getattr(geom, "geoms", [geom]), key=lambda g: g.area)
            points.append(polylabel(largest, tolerance=0.001))  # the most inland point: labels sit mid-zone
    return points


def zone_legend_entries(zones: gpd.GeoDataFrame, lang: str) -> list[tuple[str, str]]:
    """Return legend rows (swatch, label) for up to MAX_LABELLED_ZONES zones."""
    from layers.legend import swatch

    if len(zones) == 0 or len(zones) > MAX_LABELLED_ZONES:
        return []
    names = localized(zones, "name", lang)
    rows = []
    for name, color, kind, hw in zip(names, zone_colors(zones), zones["kind"], zones["half_width_km"]):
        if kind == "belt":
            rows.append((swatch(color, shape="line"), f"{name} · ±{hw:g} km"))
        else:
            rows.append((swatch(color), str(name)))
    return rows





def highlight_layer(zones: gpd.GeoDataFrame, *, clip_to=None, datum: str = "wgs84") -> folium.FeatureGroup:
    """Return a feature group outlining the selected zone(s) boldly (belts as their corridor)."""
    group = folium.FeatureGroup(name="selection", show=True)
    shapes = gpd.GeoDataFrame({"zone_id": zones["zone_id"].to_numpy()},
                              geometry=corridors(zones, clip_to=clip_to).to_numpy(), crs=4326)
    folium.GeoJson(display_geometry(shapes, datum=datum).to_geo_dict(drop_id=True),
                   style_function=lambda f: {"color": "#00bcd4", "weight": 5, "fill": False}).add_to(group)
    return group
