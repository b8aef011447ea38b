"""The briefing card: a titled, labelled map of a region's (or one zone's) coverage, as PNG or PDF.

Drawn with matplotlib in the region's CGCS2000 Gauss-Kruger CRS (metres), so the scale bar is measured, not
guessed; the north arrow points to true north (meridian convergence corrected). A 示意图 watermark crosses the card
whenever any layer on it is illustrative.
"""
from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass
from datetime import date

import geopandas as gpd
import pyproj
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrow, Patch, Rectangle

from briefing.fonts import use_cjk_font
from geo.boundaries import package_version
from geo.coverage import gap_list, union_coverage, zone_metrics
from geo.crs import metric_crs
from geo.i18n import localized, pick, t
from geo.region_data import RegionData
from geo.regions import citation
from geo.style import STATUS_COLORS, zone_colors
from geo.villages import village_status
from geo.zones import corridors

SIZES_IN = {"a4": (11.69, 8.27), "16:9": (13.333, 7.5)}  # figure sizes in inches: A4 landscape, a 16:9 slide
NICE_KM = (0.5, 1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500)  # scale-bar lengths to choose from
MAX_LEGEND_ZONES = 12
RASTERIZE_ABOVE = 2000  # villages: above this many, the dots are an image inside the PDF (keeps it small)
MAP_RECT = (0.03, 0.12, 0.60, 0.74)  # map axes [left, bottom, width, height] in figure fractions
TERRAIN_PX = 900  # longest side (pixels) of the hillshade underlay, in the card's metric CRS
TERRAIN_ALPHA = 0.55  # the underlay stays quiet under zones and villages
LOCATOR_RECT = (0.035, 0.695, 0.13, 0.16)  # inset locator map [left, bottom, width, height] (top left of the map)
GRID_STEPS_DEG = (0.05, 0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0)  # coordinate grid intervals to choose from


@dataclass
class CardInfo:
    """What was drawn: the map CRS, the scale bar (map metres) and whether the tile underlay made it."""

    crs: pyproj.CRS
    scalebar_start: tuple[float, float]
    scalebar_length_m: float
    scalebar_label_km: float
    north_rotation_deg: float
    underlay_drawn: bool
    illustrative: bool
    terrain_drawn: bool = False  # the hillshade underlay from the DEM
    locator_drawn: bool = False  # the inset locator map (the region within its province, or China)
    grid_lines: int = 0  # meridians and parallels drawn by the optional coordinate grid


def nice_scalebar_km(map_width_m: float, fraction: float = 0.25) -> float:
    """Return the largest 'nice' length (km) not longer than a fraction of the map's width."""
    target = map_width_m * fraction / 1000.0
    fitting = [k for k in NICE_KM if k <= target]
    return fitting[-1] if fitting else NICE_KM[0]


def true_north_rotation_deg(crs: pyproj.CRS, lon: float, lat: float) -> float:
    """Return the angle (degrees, clockwise from the map's up) of true north at a point: the grid convergence."""
    to_map = pyproj.Transformer.from_crs(4326, crs, always_xy=True)
    x0, y0 = to_map.transform(lon, lat)
    x1, y1 = to_map.transform(lon, lat + 0.01)
    return math.degrees(math.atan2(x1 - x0, y1 - y0))


def _fmt(n) -> str:
    return f"{int(n):,}"


def _of(part, total) -> str:
    """Return "part / total", or "—" when there is nothing to count (0 of 0)."""
    return "—" if not total else f"{_fmt(part)} / {_fmt(total)}"


def _share(part, total) -> str:
    """Return a share to one decimal, or "—" when the total is 0 (0 of 0 is not 0.0 %)."""
    return "—" if not total else f"{part / total:.1%}"


def projection_label(crs: pyproj.CRS, lang: str) -> str:
    """Return the map projection as a reader of the language reads it, with its EPSG code."""
    epsg = crs.to_epsg()
    name = crs.name
    gk = re.search(r"Gauss-Kruger CM (\d+(?:\.\d+)?)E", name)
    if gk:
        return t("projection_gk", lang, cm=gk.group(1), epsg=epsg)
    utm = re.search(r"UTM zone (\d+[NS])", name)
    if utm:
        return t("projection_utm", lang, zone=utm.group(1), epsg=epsg)
    return t("projection_other", lang, name=name, epsg=epsg)


def _draw_underlay(ax, crs, source) -> bool:
    """Draw web tiles under the map when they can be fetched; return False (silently) when they cannot."""
    if source is None:
        return False
    try:
        import contextily

        contextily.add_basemap(ax, crs=crs, source=source, attribution=False, zorder=0, reset_extent=True)
        return True
    except Exception:  # offline, blocked or broken tiles: an outline map is the fallback
        return False


def card_figure(data: RegionData, year: int, *, zone_id: str | None = None, size: str = "a4", lang: str = "zh",
                review_number: str | None = None, underlay=None, today: date | None = None,
                figure: Figure | None = None, title: str | None = None,
                side_panel: bool = True, terrain: bool = True, dem=None, locator: bool = True,
                grid: bool = False, indicator: str | None = None) -> tuple[Figure, CardInfo]:
    """Return the briefing card figure for a region (or one of its zones) in a year, and what was drawn.

    title replaces the card's title (the atlas cover); side_panel=False leaves the right column empty for the
    caller (the atlas cover puts its table there). terrain draws the hillshade underlay from `dem` (a
    geo.terrain.dem.Dem; default: the DEM installed or bundled for the map's extent; nothing when none covers it);
    locator adds the inset locator map; grid a longitude/latitude grid with labels. indicator: an indicator of the
    region's long table (geo.indicators) — the card then says which indicator and unit, draws the villages by its
    value and gives its coverage (counts of 1–2 people or households as "<3", the small-number rule); default and
    "poor_population" in 2014–2020: the poverty card as before. A year after 2020 needs an indicator.
    """
    indicator = indicator_of_card(year, indicator)
    use_cjk_font()
    if size not in SIZES_IN:
        raise ValueError(f"size {size!r} is not one of {', '.join(SIZES_IN)}")
    fig = figure or Figure(figsize=SIZES_IN[size])
    fig.set_size_inches(*SIZES_IN[size])
    crs = metric_crs(data.outline)
    selected = _selected_zone(data, zone_id)
    _draw_title(fig, data, year, selected, lang, title, indicator)
    ax = fig.add_axes(MAP_RECT)
    extent = _map_extent(fig, ax, data, selected, crs)
    underlay_drawn = _draw_underlay(ax, crs, underlay)
    if not underlay_drawn:
        ax.set_facecolor("#f4f6f4")
    drawn: dict = {}
    legend_handles = _draw_layers(ax, data, year, zone_id, crs, lang, extent=extent, drawn=drawn,
                                  options={"terrain": terrain and not underlay_drawn, "dem": dem,
                                           "locator": locator, "grid": grid, "indicator": indicator})
    scalebar = _draw_scalebar(ax, extent)
    rotation = _draw_north_arrow(fig, ax, extent, crs, lang)
    if side_panel:
        _draw_legend(fig, legend_handles, lang)
        _draw_metrics_table(fig, data, year, zone_id, lang, indicator)
    _draw_footer(fig, data, lang, today, review_number)
    info = CardInfo(crs=crs, scalebar_start=scalebar[0], scalebar_length_m=scalebar[1], scalebar_label_km=scalebar[2],
                    north_rotation_deg=rotation, underlay_drawn=underlay_drawn, illustrative=data.illustrative,
                    **drawn)
    return fig, info


def _selected_zone(data: RegionData, zone_id: str | None) -> gpd.GeoDataFrame:
    zones = data.zones
    selected = zones[zones["zone_id"] == zone_id] if zone_id else zones.iloc[0:0]
    if zone_id and selected.empty:
        known = ", ".join(zones["zone_id"]) or "none"
        raise ValueError(f"region {data.region.key} has no zone {zone_id!r}; its zones are: {known}")
    return selected


def indicator_of_card(year: int, indicator: str | None) -> str | None:
    """Return the indicator a card shows (None: the 2014–2020 poverty card); refuse a later year without one."""
    from geo.villages import YEARS

    if indicator == "poor_population" and year in YEARS:
        return None
    if indicator is None and year not in YEARS:
        raise ValueError(f"year {year} is after 2020: give indicator= (e.g. 'monitored_people') for its card")
    return indicator


def indicator_label(data: RegionData, indicator: str, lang: str) -> str:
    """Return an indicator's name and unit: "监测对象人数（人）" / "Monitored people (people)"."""
    spec = data.registry.get(indicator)
    return f"{spec.name(lang)}（{spec.unit(lang)}）" if lang == "zh" else f"{spec.name(lang)} ({spec.unit(lang)})"


def _draw_title(fig: Figure, data: RegionData, year: int, selected, lang: str, title: str | None,
                indicator: str | None = None) -> None:
    zone_name = f" {localized(selected, 'name', lang).iloc[0]} " if len(selected) else ""
    text = title or t("card_title", lang, region=data.region.name(lang), zone=zone_name, year=year)
    fig.text(0.03, 0.955, text, fontsize=20, va="top")
    subtitle = t("card_subtitle", lang) if indicator is None else \
        t("card_indicator_subtitle", lang, indicator=indicator_label(data, indicator, lang), year=year)
    fig.text(0.03, 0.905, subtitle, fontsize=11, color="#444444", va="top")


def _map_extent(fig: Figure, ax, data: RegionData, selected, crs) -> tuple[float, float, float, float]:
    """Set the map's extent (metres): the region, or the selected zone, padded to fill the axes without distortion."""
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    extent_frame = selected.to_crs(crs) if len(selected) else data.outline.to_crs(crs)
    if len(selected) and (selected["kind"] == "belt").any():
        extent_frame = gpd.GeoDataFrame(geometry=corridors(selected).to_crs(crs), crs=crs)
    minx, miny, maxx, maxy = extent_frame.total_bounds
    pad = 0.06 * max(maxx - minx, maxy - miny)
    minx, miny, maxx, maxy = minx - pad, miny - pad, maxx + pad, maxy + pad
    box_w, box_h = MAP_RECT[2] * fig.get_figwidth(), MAP_RECT[3] * fig.get_figheight()
    if (maxx - minx) / (maxy - miny) < box_w / box_h:
        grow = (maxy - miny) * box_w / box_h - (maxx - minx)
        minx, maxx = minx - grow / 2, maxx + grow / 2
    else:
        grow = (maxx - minx) * box_h / box_w - (maxy - miny)
        miny, maxy = miny - grow / 2, maxy + grow / 2
    ax.set_xlim(minx, maxx)
    ax.set_ylim(miny, maxy)
    return minx, miny, maxx, maxy


def _draw_layers(ax, data: RegionData, year: int, zone_id: str | None, crs, lang: str, *, extent=None,
                 drawn: dict | None = None, options: dict | None = None) -> list:
    """Draw the terrain, counties, zones (the selected one in focus), belts, the outline, villages, the locator and
    the grid; return legend handles. `drawn` receives what was drawn (CardInfo fields)."""
    options = options or {}
    drawn = {} if drawn is None else drawn
    if options.get("terrain") and extent is not None:
        drawn["terrain_drawn"] = _draw_terrain(ax, extent, crs, options.get("dem"), outline=data.outline)
    if options.get("grid") and extent is not None:
        drawn["grid_lines"] = _draw_grid(ax, extent, crs)
    if options.get("locator"):
        drawn["locator_drawn"] = _draw_locator(ax.figure, data)
    zones, villages = data.zones, data.villages
    counties = data.counties.to_crs(crs)
    if len(counties) > 1:
        counties.boundary.plot(ax=ax, color="#888888", linewidth=0.5, zorder=2)
    handles = []
    colors = zone_colors(zones)
    if len(zones):
        shapes = corridors(zones, clip_to=data.outline).to_crs(crs)
        for i, (shape, kind, color) in enumerate(zip(shapes, zones["kind"], colors)):
            focus = not zone_id or zones["zone_id"].iloc[i] == zone_id
            alpha = (0.35 if focus else 0.10) if kind != "belt" else (0.28 if focus else 0.08)
            gpd.GeoSeries([shape], crs=crs).plot(ax=ax, color=color, alpha=alpha, zorder=3, linewidth=0)
            gpd.GeoSeries([shape], crs=crs).boundary.plot(ax=ax, color=color, linewidth=1.4 if focus else 0.5,
                                                          zorder=4, linestyle="--" if kind == "belt" else "-")
        belts = zones[zones["kind"] == "belt"].to_crs(crs)
        for geom, color in zip(belts.geometry, [c for c, k in zip(colors, zones["kind"]) if k == "belt"]):
            gpd.GeoSeries([geom], crs=crs).plot(ax=ax, color=color, linewidth=2.5, zorder=5)
        if len(zones) <= MAX_LEGEND_ZONES:
            for name, color, kind, hw in zip(localized(zones, "name", lang), colors, zones["kind"],
                                             zones["half_width_km"]):
                label = f"{name}（±{hw:g} km）" if kind == "belt" else str(name)
                handles.append(Patch(facecolor=color, alpha=0.5, edgecolor=color, label=label))
        else:
            handles.append(Patch(facecolor="#cccccc", edgecolor="#666666",
                                 label=t(f"zone_kind_{zones['kind'].iloc[0]}", lang)))
    data.outline.to_crs(crs).boundary.plot(ax=ax, color="#c0392b", linewidth=2.0, zorder=6)
    handles.append(Line2D([], [], color="#c0392b", linewidth=2, label=t("card_outline", lang)))
    if len(villages):
        handles += (_draw_villages(ax, data, year, crs, lang) if not options.get("indicator") else
                    _draw_indicator_villages(ax, data, year, crs, lang, options["indicator"]))
    ax.set_xlabel("")  # geopandas labels projected axes; a briefing map does not show them
    ax.set_ylabel("")
    return handles


def _extent_wgs84(extent, crs) -> tuple[float, float, float, float]:
    """Return the WGS84 bounds of a map extent given in metres of a CRS."""
    from rasterio.warp import transform_bounds

    return transform_bounds(crs.to_wkt(), "EPSG:4326", *extent, densify_pts=21)


def _draw_terrain(ax, extent, crs, dem=None, *, outline=None) -> bool:
    """Draw the hillshade with its quiet tint under the map, from the DEM warped to the card's CRS; False if none.

    The DEM read covers the whole map extent where one does (the national install), else the region's outline
    (a bundled seed clip): the map's margins then stay plain.
    """
    import numpy as np

    from geo.terrain.dem import NoDemError, region_dem, reproject_dem
    from geo.terrain.hillshade import SHADE_WEIGHT, hillshade, hypsometric_tint

    minx, miny, maxx, maxy = extent
    source = dem
    for area in ([] if dem is not None else [_extent_wgs84(extent, crs)] + ([outline] if outline is not None else [])):
        try:
            source = region_dem(area, margin_deg=0.02)
            break
        except (NoDemError, ValueError):
            continue
    if source is None:
        return False  # no DEM for this map (a region beyond the bundled clips without `make dem`)
    cell = max(maxx - minx, maxy - miny) / TERRAIN_PX
    grid = reproject_dem(source, crs, resolution=cell, bounds=extent)
    z = grid.array.astype(np.float64)
    if not np.isfinite(z).any():
        return False
    shade = hillshade(z, cell, cell)
    low, high = np.nanpercentile(z, [2, 98])
    rgb = hypsometric_tint(z, low_m=float(low), high_m=float(high))
    rgb = rgb * ((1.0 - SHADE_WEIGHT) + SHADE_WEIGHT * np.nan_to_num(shade, nan=1.0))[..., None] / 0.85
    rgba = np.dstack([np.clip(rgb, 0, 1), np.where(np.isfinite(z), TERRAIN_ALPHA, 0.0)])
    west, south, east, north = grid.bounds
    ax.imshow(rgba, extent=(west, east, south, north), origin="upper", zorder=1, interpolation="bilinear")
    ax.set_xlim(minx, maxx)  # imshow must not move the extent the scale bar was measured on
    ax.set_ylim(miny, maxy)
    return True


def _nice_grid_step(span_deg: float, lines: int = 4) -> float:
    fitting = [s for s in GRID_STEPS_DEG if span_deg / s <= lines + 1]
    return fitting[0] if fitting else GRID_STEPS_DEG[-1]


def _draw_grid(ax, extent, crs) -> int:
    """Draw meridians and parallels (curved in the map CRS) with degree labels at the map's edges; return the count."""
    import numpy as np

    west, south, east, north = _extent_wgs84(extent, crs)
    step = _nice_grid_step(max(east - west, north - south))
    to_map = pyproj.Transformer.from_crs(4326, crs, always_xy=True)
    minx, miny, maxx, maxy = extent
    count = 0
    style = {"color": "#5a6b7b", "linewidth": 0.45, "alpha": 0.8, "zorder": 2.5}
    for lon in np.arange(math.ceil(west / step) * step, east + 1e-9, step):
        x, y = to_map.transform(np.full(50, lon), np.linspace(south - step, north + step, 50))
        ax.plot(x, y, **style)
        top = np.interp(maxy, y, x)  # labels along the top: the scale bar and projection note hold the bottom
        if minx < top < maxx:
            ax.text(top, maxy - 0.012 * (maxy - miny), f"{lon:.2f}".rstrip("0").rstrip(".") + "°E", fontsize=6,
                    ha="center", va="top", color="#33414f", zorder=9)
        count += 1
    for lat in np.arange(math.ceil(south / step) * step, north + 1e-9, step):
        x, y = to_map.transform(np.linspace(west - step, east + step, 50), np.full(50, lat))
        ax.plot(x, y, **style)
        left = np.interp(minx, x, y)
        if miny < left < maxy:
            ax.text(minx + 0.008 * (maxx - minx), left, f"{lat:.2f}".rstrip("0").rstrip(".") + "°N", fontsize=6,
                    ha="left", va="bottom", color="#33414f", zorder=9)
        count += 1
    ax.set_xlim(minx, maxx)
    ax.set_ylim(miny, maxy)
    return count


def _locator_context(data: RegionData):
    """Return the outline the region is located in: its province (county, city) or China (a province); or None."""
    from geo.boundaries import COUNTRY_ADCODE, load_boundary

    adcode = data.region.adcode
    if adcode == COUNTRY_ADCODE:
        return None
    if adcode.endswith("0000"):
        return load_boundary(COUNTRY_ADCODE)
    return load_boundary(adcode[:2] + "0000")


def _draw_locator(fig: Figure, data: RegionData) -> bool:
    """Draw an inset locator map at the map's top left: the region in red within its province or China."""
    from geo.crs import equal_area_crs

    try:
        context = _locator_context(data)
    except Exception:  # a boundary that cannot be loaded: the card goes without a locator, never fails
        return False
    if context is None:
        return False
    albers = equal_area_crs()
    inset = fig.add_axes(LOCATOR_RECT, zorder=12)
    outline = context.to_crs(albers)
    outline.plot(ax=inset, color="#f2f0eb", edgecolor="#6b6b6b", linewidth=0.5)
    data.outline.to_crs(albers).plot(ax=inset, color="#c0392b", edgecolor="#7f1d1d", linewidth=0.4)
    minx, miny, maxx, maxy = outline.total_bounds
    pad = 0.05 * max(maxx - minx, maxy - miny)
    inset.set_xlim(minx - pad, maxx + pad)
    inset.set_ylim(miny - pad, maxy + pad)
    inset.set_aspect("equal")
    inset.set_xticks([])
    inset.set_yticks([])
    inset.set_xlabel("")  # geopandas labels projected axes; a locator does not show them
    inset.set_ylabel("")
    inset.set_facecolor("white")
    for spine in inset.spines.values():
        spine.set_edgecolor("#6b6b6b")
        spine.set_linewidth(0.6)
    inset.set_label("locator")
    return True


def _draw_villages(ax, data: RegionData, year: int, crs, lang: str) -> list:
    zones, villages = data.zones, data.villages
    v = villages.to_crs(crs)
    status = village_status(villages, year).to_numpy()
    gap_ids = set(gap_list(zones, villages, year, membership=data.membership)["village_id"]) if len(zones) else set()
    is_gap = villages["village_id"].isin(gap_ids).to_numpy()
    size_pt = 10 if len(villages) < 2000 else 3
    handles = []
    for key in ("other", "exited", "poverty"):
        mask = status == key
        if mask.any():
            ax.scatter(v.geometry.x[mask], v.geometry.y[mask], s=size_pt, c=STATUS_COLORS[key],
                       edgecolors="#333333" if size_pt > 5 else "none", linewidths=0.3, zorder=7,
                       rasterized=len(villages) > RASTERIZE_ABOVE)
            handles.append(Line2D([], [], marker="o", linestyle="", color=STATUS_COLORS[key],
                                  markeredgecolor="#333333", label=t(f"status_{key}", lang)))
    return handles + _ring_gaps(ax, v, is_gap, size_pt, lang)


def _draw_indicator_villages(ax, data: RegionData, year: int, crs, lang: str, indicator: str) -> list:
    """Draw villages with a positive value of the indicator in the year (orange), without (grey) and without data
    (hollow); ring those outside every zone."""
    from geo.coverage.indicators import indicator_gaps, village_values

    villages = data.villages
    v = villages.to_crs(crs)
    values = village_values(villages, data.indicators, indicator, year)
    size_pt = 10 if len(villages) < 2000 else 3
    handles = []
    groups = (("ind_positive", values > 0, "#e6550d", "#333333"), ("ind_zero", values == 0, "#bdbdbd", "#666666"))
    for key, mask, color, edge in groups:
        if mask.any():
            ax.scatter(v.geometry.x[mask], v.geometry.y[mask], s=size_pt, c=color, edgecolors=edge, linewidths=0.3,
                       zorder=7, rasterized=len(villages) > RASTERIZE_ABOVE)
            handles.append(Line2D([], [], marker="o", linestyle="", color=color, markeredgecolor=edge,
                                  label=t(f"card_{key}", lang, indicator=data.registry.get(indicator).name(lang))))
    unknown = ~(values >= 0)
    if unknown.any():
        ax.scatter(v.geometry.x[unknown], v.geometry.y[unknown], s=size_pt, facecolors="none", edgecolors="#999999",
                   linewidths=0.4, zorder=7)
        handles.append(Line2D([], [], marker="o", linestyle="", markerfacecolor="none", markeredgecolor="#999999",
                              label=t("card_ind_unknown", lang)))
    if len(data.zones):
        gaps = set(indicator_gaps(data.zones, villages, data.indicators, indicator, year,
                                  membership=data.membership, distances=False)["village_id"])
        handles += _ring_gaps(ax, v, villages["village_id"].isin(gaps).to_numpy(), size_pt, lang)
    return handles


def _ring_gaps(ax, v, is_gap, size_pt: float, lang: str) -> list:
    """Ring the villages outside every zone (black circles); return their legend handle (none when there are none)."""
    if not is_gap.any():
        return []
    ax.scatter(v.geometry.x[is_gap], v.geometry.y[is_gap], s=size_pt * 3, facecolors="none", edgecolors="black",
               linewidths=1.2, zorder=8)
    return [Line2D([], [], marker="o", linestyle="", markerfacecolor="none", markeredgecolor="black",
                   label=t("status_gap", lang))]


def public_count(value, spec) -> str:
    """Return a value as a public export shows it: "—" unknown, "<3" for 1–2 people or households (the
    small-number rule, geo.ingest.privacy), else formatted."""
    from geo.ingest.privacy import applies_small_number_rule, suppress_small_numbers

    if value is None or value != value:
        return "—"
    if applies_small_number_rule(spec.kind):
        shown = suppress_small_numbers([value]).iloc[0]
        if isinstance(shown, str):
            return shown
    return f"{value:,.0f}" if spec.integer or spec.kind == "money" else f"{value:,.2f}"


def indicator_card_metrics(data: RegionData, year: int, zone_id: str | None, lang: str,
                           indicator: str) -> list[tuple[str, str]]:
    """Return the card's key figures for an indicator: the zone's value (or the zones' union), the region's, the
    share and the villages reporting — or "no data for this year"."""
    from geo.coverage.indicators import indicator_union, indicator_zone_values

    spec = data.registry.get(indicator)
    union = indicator_union(data.zones, data.villages, data.indicators, indicator, year, membership=data.membership,
                            registry=data.registry)
    if union["value_total"] is None:
        return [(indicator_label(data, indicator, lang),
                 t("indicator_no_data", lang, indicator=spec.name(lang), year=year))]
    covered = union["value_covered"]
    if zone_id:
        zones = indicator_zone_values(data.zones, data.villages, data.indicators, indicator, year,
                                      membership=data.membership, registry=data.registry).set_index("zone_id")
        covered = zones.loc[zone_id, "value"]
    share = covered / union["value_total"] if spec.aggregation == "sum" and union["value_total"] and \
        covered == covered and covered is not None else None
    return [
        (t("card_ind_covered", lang), public_count(covered, spec)),
        (t("card_ind_total", lang), public_count(union["value_total"], spec)),
        (t("card_covered_share", lang), "—" if share is None else f"{share:.1%}"),
        (t("card_ind_reporting", lang), _fmt(union["villages_reporting"])),
    ]


def _draw_scalebar(ax, extent) -> tuple[tuple[float, float], float, float]:
    """Draw a measured scale bar; return (start point, length in map metres, label in km)."""
    minx, miny, maxx, maxy = extent
    width_m = maxx - minx
    km = nice_scalebar_km(width_m)
    x0 = minx + 0.05 * width_m
    y0 = miny + 0.05 * (maxy - miny)
    length = km * 1000.0
    bar_h = 0.012 * (maxy - miny)
    for k in range(4):
        ax.add_patch(Rectangle((x0 + k * length / 4, y0), length / 4, bar_h, facecolor="black" if k % 2 == 0
                               else "white", edgecolor="black", linewidth=0.8, zorder=9))
    ax.text(x0, y0 + bar_h * 1.8, "0", ha="center", fontsize=8, zorder=9)
    ax.text(x0 + length, y0 + bar_h * 1.8, f"{km:g} km", ha="center", fontsize=8, zorder=9)
    return (x0, y0), length, km


def _draw_north_arrow(fig: Figure, ax, extent, crs, lang: str) -> float:
    """Draw a north arrow pointing to true north at the map's centre; return its rotation (degrees)."""
    minx, miny, maxx, maxy = extent
    centre_lon, centre_lat = pyproj.Transformer.from_crs(crs, 4326, always_xy=True).transform(
        (minx + maxx) / 2, (miny + maxy) / 2)
    rotation = true_north_rotation_deg(crs, centre_lon, centre_lat)
    ax_n = fig.add_axes((MAP_RECT[0] + MAP_RECT[2] - 0.055, MAP_RECT[1] + MAP_RECT[3] - 0.11, 0.045, 0.09))
    ax_n.set_xlim(-1, 1)
    ax_n.set_ylim(-1, 1)
    ax_n.axis("off")
    dx, dy = math.sin(math.radians(rotation)), math.cos(math.radians(rotation))
    ax_n.add_patch(FancyArrow(-0.6 * dx, -0.6 * dy, 1.0 * dx, 1.0 * dy, width=0.18, head_width=0.5, head_length=0.4,
                              color="black", length_includes_head=True))
    ax_n.text(0, -0.95, t("card_north", lang), ha="center", va="center", fontsize=11)
    ax.text(0.99, 0.01, t("card_projection", lang, crs=projection_label(crs, lang)), transform=ax.transAxes,
            ha="right", va="bottom",
            fontsize=6.5, color="#555555", zorder=9)
    return rotation


def _draw_legend(fig: Figure, handles: list, lang: str) -> None:
    ax_legend = fig.add_axes((0.66, 0.44, 0.32, 0.44))
    ax_legend.axis("off")
    ax_legend.legend(handles=handles, loc="upper left", frameon=False, fontsize=9,
                     title=t("legend_title", lang), title_fontsize=11, alignment="left")


def card_metrics(data: RegionData, year: int, zone_id: str | None, lang: str) -> list[tuple[str, str]]:
    """Return the card's key figures as (label, value) rows: the zone's, or the union of all zones."""
    zones, villages, membership = data.zones, data.villages, data.membership
    totals = union_coverage(zones, villages, year, membership=membership)
    if zone_id:
        zone = zone_metrics(zones, villages, year, membership=membership).set_index("zone_id").loc[zone_id]
        return [
            (t("card_zone_villages", lang), _fmt(zone["villages"])),
            (t("card_covered_villages", lang), _of(zone["poverty_villages"], totals["poverty_villages_total"])),
            (t("card_covered_poor", lang), _of(zone["poor_population"], totals["poor_population_total"])),
            (t("card_covered_share", lang), _share(zone["poor_population"], totals["poor_population_total"])),
        ]
    return [
        (t("card_covered_villages", lang),
         _of(totals["poverty_villages_covered"], totals["poverty_villages_total"])),
        (t("card_covered_poor", lang), _of(totals["poor_population_covered"], totals["poor_population_total"])),
        (t("card_covered_share", lang), _share(totals["poor_population_covered"], totals["poor_population_total"])),
    ]


def _draw_metrics_table(fig: Figure, data: RegionData, year: int, zone_id: str | None, lang: str,
                        indicator: str | None = None) -> None:
    ax_table = fig.add_axes((0.66, 0.14, 0.32, 0.26))
    ax_table.axis("off")
    rows = card_metrics(data, year, zone_id, lang) if indicator is None else \
        indicator_card_metrics(data, year, zone_id, lang, indicator)
    table = ax_table.table(cellText=[list(r) for r in rows], colLabels=[t("card_metric", lang), t("card_value", lang)],
                           loc="upper left", cellLoc="left", colWidths=[0.58, 0.42])
    table.auto_set_font_size(False)
    table.set_fontsize(10)
    table.scale(1, 1.6)
    for (r, _c), cell in table.get_celld().items():
        cell.set_edgecolor("#bbbbbb")
        if r == 0:
            cell.set_facecolor("#ddebf7")


def _draw_footer(fig: Figure, data: RegionData, lang: str, today: date | None, review_number: str | None) -> None:
    """Draw the source line, the date, the review number and — when illustrative — the 示意图 watermark."""
    articles = [citation(f, lang) for f in sorted({f.source for f in data.region.figures})] or ["—"]
    zones_note = t("card_source_illustrative" if data.illustrative else "card_source_user", lang)
    fig.text(0.03, 0.075, t("card_source", lang, version=package_version(), zones=zones_note,
                            articles=pick(lang, "；", "; ").join(articles)), fontsize=7.5, color="#333333", va="top",
             wrap=True)
    footer = t("card_date", lang, date=(today or date.today()).isoformat())
    if review_number:
        footer += "    " + t("card_review", lang, number=review_number)
    fig.text(0.97, 0.03, footer, fontsize=8, ha="right", color="#333333")
    if data.illustrative:
        fig.text(0.5, 0.5, t("card_watermark", lang), fontsize=110, color="#c00000", alpha=0.10, rotation=28,
                 ha="center", va="center", zorder=100)
        fig.text(0.97, 0.955, t("card_watermark_note", lang), fontsize=10, color="#c00000", ha="right", va="top",
                 bbox={"facecolor": "white", "edgecolor": "#c00000", "boxstyle": "round,pad=0.3"})


def card_pixel_size(size: str, dpi: int) -> tuple[int, int]:
    """Return the (width, height) in pixels of a card of a size at a resolution."""
    width_in, height_in = SIZES_IN[size]
    return round(width_in * dpi), round(height_in * dpi)


def render_card(data: RegionData, year: int, *, fmt: str = "png", dpi: int = 200, **options) -> bytes:
    """Return the briefing card as PNG or PDF bytes (options as card_figure: zone_id, size, lang, review_number…)."""
    if fmt not in ("png", "pdf"):
        raise ValueError(f"format {fmt!r} is not png or pdf")
    fig, _ = card_figure(data, year, **options)
    if fmt == "png":  # whole pixels: A4 at 200 dpi is exactly 2338 × 1654
        width_px, height_px = card_pixel_size(options.get("size", "a4"), dpi)
        fig.set_size_inches(width_px / dpi, height_px / dpi)
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt, dpi=dpi,
                metadata=_metadata(data, year, fmt, indicator_of_card(year, options.get("indicator"))))
    return buffer.getvalue()


def _metadata(data: RegionData, year: int, fmt: str, indicator: str | None = None) -> dict:
    title = f"{data.region.name_zh} {year}" + (f" {data.registry.get(indicator).name_zh}" if indicator else "")
    if fmt == "pdf":
        return {"Title": title, "Creator": "Valley Atlas", "Subject": "示意数据" if data.illustrative else ""}
    return {"Title": title, "Software": "Valley Atlas"}

