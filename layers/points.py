"""Villages as typed arrays: coordinates quantised to the layer's extent, sent as base64, drawn on one canvas.

A million villages cost ~6.7 MB of page and no per-point JavaScript objects: x and y are unsigned integers over the
extent (uint32 up to UINT32_MAX_POINTS points, uint16 above), a parallel uint8 array gives each point's class
(status, or any indicator's colour class), and static/js/valley_points.js writes pixel sprites into one canvas,
culled to the view. Hover shows the name (when names fit in the page); a click reports the village to
streamlit-folium as a GeoJSON point, and `nearest_village` finds it from a click position on the server.

Position error of the quantisation (half a step on each axis, `quantisation_error_m`):
uint32: under 2 mm even over all of China. uint16: ~0.7 m over a 1° county, ~6 m over 贵州 (6° x 4.6°),
~50-60 m over China's extent (62° x 36°) — about one pixel at zoom 12.
"""
from __future__ import annotations

import base64
import json
import math
from collections.abc import Hashable, Sequence
from dataclasses import asdict, dataclass, replace

import folium
import geopandas as gpd
import numpy as np
from branca.element import MacroElement
from folium.elements import JSCSSMixin
from folium.map import Layer
from folium.template import Template

from geo.i18n import t
from geo.style import STATUS_COLORS
from geo.villages import village_status
from layers.assets import LOCAL_ASSETS, STATIC_URL
from layers.display import to_display
from layers.villages import GAP_RING, STATUS_CODES

POINTS_ASSET = "valley_points_js"  # the layer's script, served from static/ (see layers/assets.LOCAL_ASSETS)
UINT32_MAX_POINTS = 650_000  # up to this many points (every real village list, China's 620,573 too): uint32, mm
TEXT_MAX_BYTES = 2_000_000  # names (tooltips), then ids (clicks) go into the page while they fit (UTF-8 bytes)
WGS84_A, WGS84_E2 = 6_378_137.0, 0.00669437999014  # ellipsoid semi-major axis (m) and first eccentricity squared
METRES_PER_DEGREE_LAT = 111_700.0  # a degree of latitude is 110,574-111,694 m: an upper bound
WORLD_TILE_PX = 256  # Web Mercator: the world is 256 * 2**zoom pixels wide
MAX_MERCATOR_LAT = 85.0511287798  # Web Mercator's latitude limit (degrees), as Leaflet


@dataclass(frozen=True)
class PointStyle:
    """How one class of points is drawn: fill colour, radius and ring (CSS px), small when dense, and its label."""

    label: str
    color: str
    radius_px: float = 4.0
    ring: str = "#333333"
    ring_px: float = 1.0
    dense_radius_px: float = 1.5
    dense_ring_px: float = 0.0


def coordinate_bits(count: int) -> int:
    """Return the bits per axis used for a layer of count points: 32 up to UINT32_MAX_POINTS, else 16."""
    return 32 if count <= UINT32_MAX_POINTS else 16


def _levels(bits: int) -> int:
    if bits not in (16, 32):
        raise ValueError(f"bits must be 16 or 32, got {bits!r}")
    return 2**bits - 1


def _steps(extent: Sequence[float], bits: int) -> tuple[float, float]:
    minx, miny, maxx, maxy = extent
    levels = _levels(bits)
    return (maxx - minx) / levels, (maxy - miny) / levels


def padded_extent(lon: np.ndarray, lat: np.ndarray) -> tuple[float, float, float, float]:
    """Return (minx, miny, maxx, maxy) of points in degrees, widened to at least 1e-6° so that a step is never 0."""
    minx, maxx = float(np.min(lon)), float(np.max(lon))
    miny, maxy = float(np.min(lat)), float(np.max(lat))
    if maxx - minx < 1e-6:
        minx, maxx = minx - 5e-7, maxx + 5e-7
    if maxy - miny < 1e-6:
        miny, maxy = miny - 5e-7, maxy + 5e-7
    return minx, miny, maxx, maxy


def quantise(lon, lat, extent: Sequence[float], bits: int) -> tuple[np.ndarray, np.ndarray]:
    """Return longitude/latitude (degrees) as unsigned integers over extent (minx, miny, maxx, maxy), 16 or 32 bits.

    Raises ValueError naming how many points lie outside the extent.
    """
    lon, lat = np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    minx, miny, maxx, maxy = extent
    outside = (lon < minx) | (lon > maxx) | (lat < miny) | (lat > maxy) | ~np.isfinite(lon) | ~np.isfinite(lat)
    if outside.any():
        first = int(np.flatnonzero(outside)[0])
        raise ValueError(f"{int(outside.sum())} of {len(lon)} points lie outside the extent {tuple(extent)} "
                         f"(first: row {first}, lon {lon[first]}, lat {lat[first]}); widen the extent or drop them")
    step_x, step_y = _steps(extent, bits)
    dtype = np.uint16 if bits == 16 else np.uint32
    qx = np.rint((lon - minx) / step_x).clip(0, _levels(bits)).astype(dtype)
    qy = np.rint((lat - miny) / step_y).clip(0, _levels(bits)).astype(dtype)
    return qx, qy


def dequantise(qx, qy, extent: Sequence[float], bits: int) -> tuple[np.ndarray, np.ndarray]:
    """Return quantised coordinates as longitude/latitude (degrees), as the page computes them."""
    step_x, step_y = _steps(extent, bits)
    return extent[0] + np.asarray(qx, dtype=np.float64) * step_x, extent[1] + np.asarray(qy, dtype=np.float64) * step_y


def quantisation_error_m(extent: Sequence[float], bits: int) -> float:
    """Return the largest distance (m) between a point inside extent and its quantised position (an upper bound)."""
    step_x, step_y = _steps(extent, bits)
    miny, maxy = extent[1], extent[3]
    widest = 0.0 if miny <= 0 <= maxy else math.radians(min(abs(miny), abs(maxy)))  # parallels shrink poleward
    metres_per_degree_lon = math.radians(WGS84_A * math.cos(widest) / math.sqrt(1 - WGS84_E2 * math.sin(widest) ** 2))
    return math.hypot(step_x / 2 * metres_per_degree_lon, step_y / 2 * METRES_PER_DEGREE_LAT)


def _b64(array: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<")).tobytes()).decode()


def _joined(texts) -> str:
    return "\n".join(str(s).replace("\n", " ") for s in texts)


def _js_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False).replace("</", "<\\/")  # never close the page's <script>


class PointsLayer(JSCSSMixin, Layer):
    """A Leaflet layer of many points from typed arrays, drawn on one canvas (static/js/valley_points.js).

    Parameters
    ----------
    lon, lat
        Point coordinates in degrees, already in the display datum (see layers.display.to_display).
    classes
        One class number (0-255) per point: an index into styles.
    styles
        How each class is drawn; a class absent from draw_order is not drawn.
    extent
        (minx, miny, maxx, maxy) in the display datum that the coordinates are quantised to; default: the points'.
    names, ids
        Optional strings per point: names for the hover tooltip, ids returned on click (as properties.village_id);
        each goes into the page only while names + ids stay within TEXT_MAX_BYTES.
    draw_order
        Classes from the one drawn first to the one drawn on top; default: 0, 1, 2, ...
    bits
        16 or 32 bits per axis; default coordinate_bits(len(lon)).
    key
        A name under which the page keeps the layer, so that `L.valleyPoints.setClasses(key, ...)` can recolour it.
    pane
        A Leaflet pane to draw in; a name other than Leaflet's own is created below the vector overlays
        (POINTS_PANE_Z), so that zones and belts draw above the points.
    dense_px_per_point
        Points are drawn small (dense_radius_px) while fewer than this many CSS px of map fall to each point on
        screen; default 400 (static/js/valley_points.js).
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.valleyPoints({{ this.payload_js }}, {{ this.options|tojavascript }});
        {% endmacro %}
    """)

    def __init__(self, lon, lat, classes, styles: Sequence[PointStyle], *, name: str | None = None,
                 extent: Sequence[float] | None = None, names=None, ids=None, draw_order: Sequence[int] | None = None,
                 bits: int | None = None, key: str | None = None, hit_px: float = 6, show: bool = True,
                 control: bool = True, pane: str | None = None, dense_px_per_point: float | None = None):
        super().__init__(name=name, overlay=True, control=control, show=show)
        self._name = "ValleyPoints"
        self.default_js = [(POINTS_ASSET, f"{STATIC_URL}/{LOCAL_ASSETS[POINTS_ASSET]}")]
        lon, lat = np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
        classes = np.asarray(classes)
        if not (len(lon) == len(lat) == len(classes)):
            raise ValueError(f"lon, lat and classes must have one entry per point, got {len(lon)}, {len(lat)}, "
                             f"{len(classes)}")
        if len(classes) and (classes.min() < 0 or classes.max() >= len(styles)):
            raise ValueError(f"classes must be 0..{len(styles) - 1} (one per style), got {classes.min()}..{classes.max()}")
        self.count = len(lon)
        self.bits = bits or coordinate_bits(self.count)
        self.extent = tuple(float(v) for v in extent) if extent is not None else (
            padded_extent(lon, lat) if self.count else (0.0, 0.0, 1e-6, 1e-6))
        qx, qy = quantise(lon, lat, self.extent, self.bits)
        payload = {
            "count": self.count, "bits": self.bits, "extent": list(self.extent), "x": _b64(qx), "y": _b64(qy),
            "classes": _b64(classes.astype(np.uint8)), "styles": [asdict(s) for s in styles],
            "order": list(draw_order) if draw_order is not None else list(range(len(styles))),
        }
        budget = TEXT_MAX_BYTES
        for field, texts in (("names", names), ("ids", ids)):
            if texts is None:
                continue
            joined = _joined(texts)
            size = len(joined.encode("utf-8"))
            if size <= budget:
                payload[field] = joined
                budget -= size
        self.has_names, self.has_ids = "names" in payload, "ids" in payload
        self.payload_js = "{" + ", ".join(f"{json.dumps(k)}: {_js_string(v) if isinstance(v, str) else json.dumps(v)}"
                                          for k, v in payload.items()) + "}"
        self.options = {"hitPx": hit_px, **({"key": key} if key else {}), **({"pane": pane} if pane else {}),
                        **({"densePxPerPoint": dense_px_per_point} if dense_px_per_point else {})}

    @property
    def payload_bytes(self) -> int:
        """Return the bytes the layer's data adds to the page (UTF-8)."""
        return len(self.payload_js.encode("utf-8"))


class RecolourPoints(MacroElement):
    """Give a PointsLayer already on the map (by its key) new classes: a year change sends one byte per point."""

    _template = Template("""
        {% macro script(this, kwargs) %}
            L.valleyPoints.setClasses({{ this.key|tojson }}, {{ this.classes_b64|tojson }});
        {% endmacro %}
    """)

    def __init__(self, key: str, classes):
        super().__init__()
        self._name = "RecolourPoints"
        self.key = key
        self.classes_b64 = _b64(np.asarray(classes).astype(np.uint8))


def village_classes(villages: gpd.GeoDataFrame, year: int, gap_ids=frozenset()) -> np.ndarray:
    """Return each village's class as uint8: its status code in a year (0 poverty, 1 exited, 2 other), + 3 for a gap."""
    codes = village_status(villages, year).map(STATUS_CODES).to_numpy(dtype=np.uint8)
    gaps = np.isin(villages["village_id"].astype(str).to_numpy(), list(gap_ids)) if gap_ids else False
    return (codes + 3 * np.asarray(gaps, dtype=np.uint8)).astype(np.uint8)


def village_point_styles(lang: str = "zh") -> list[PointStyle]:
    """Return the six village classes' styles (status, then status with the gap ring), as the village layer."""
    statuses = list(STATUS_CODES)
    plain = [PointStyle(label=t(f"status_{s}", lang), color=STATUS_COLORS[s]) for s in statuses]
    gap = t("status_gap", lang)
    ringed = [PointStyle(label=f"{t(f'status_{s}', lang)} · {gap}", color=STATUS_COLORS[s], radius_px=6,
                         ring=GAP_RING, ring_px=2.5, dense_radius_px=3, dense_ring_px=1.5) for s in statuses]
    return plain + ringed


VILLAGE_DRAW_ORDER = (2, 1, 0, 5, 4, 3)  # other villages first, poverty villages on top, gaps above all
HIDDEN_CLASS = 6  # a class outside the draw order: a base layer's points stay undrawn until they are recoloured
VILLAGE_PANE = "vaPoints"  # villages draw in their own pane below zones and belts (static/js/valley_points.js)
LEGIBLE_DENSE_MAX_VILLAGES = 100_000  # up to this many villages, dense dots are drawn at LEGIBLE_DENSE_RADIUS_PX
LEGIBLE_DENSE_RADIUS_PX = 2.0  # (above, 1.5 px: fewer pixels to write for a million villages)
VILLAGE_DENSE_PX = 2000  # villages are drawn small below this much map per village on screen (雅安 at its full
# extent: 554 villages on a 640 px map), so that belts and zones stay readable at small scales


def village_base_layer(villages: gpd.GeoDataFrame, *, lang: str = "zh", datum: str = "wgs84", key: str = "villages",
                       name: str | None = None) -> folium.FeatureGroup:
    """Return the year-independent part of the village layer: positions, names and ids, every point hidden.

    The map draws it once per region, datum and language; `village_recolour_group` then gives the points their
    classes for a year (one byte per village), so a year change never resends the coordinates.
    """
    group = folium.FeatureGroup(name=name or t("layer_villages_plain", lang), show=True)
    if len(villages) == 0:
        return group
    shown = to_display(villages, datum, name="villages")
    styles = village_point_styles(lang)
    if len(villages) <= LEGIBLE_DENSE_MAX_VILLAGES:  # a county's or a province's villages: dense dots a bit larger
        styles = [replace(s, dense_radius_px=max(s.dense_radius_px, LEGIBLE_DENSE_RADIUS_PX)) for s in styles]
    styles.append(PointStyle(label="", color="#000000"))  # HIDDEN_CLASS
    PointsLayer(shown.geometry.x.to_numpy(), shown.geometry.y.to_numpy(),
                np.full(len(shown), HIDDEN_CLASS, dtype=np.uint8), styles, names=shown["name"].to_numpy(),
                ids=shown["village_id"].to_numpy(), draw_order=VILLAGE_DRAW_ORDER, key=key,
                pane=VILLAGE_PANE, dense_px_per_point=VILLAGE_DENSE_PX).add_to(group)
    return group


def village_recolour_group(villages: gpd.GeoDataFrame, year: int, *, gap_ids=frozenset(),
                           key: str = "villages") -> folium.FeatureGroup:
    """Return a feature group that recolours a village base layer (by key) for a year: status, gaps ringed."""
    group = folium.FeatureGroup(name=f"recolour-{key}", show=True, control=False)
    if len(villages):
        RecolourPoints(key, village_classes(villages, year, gap_ids)).add_to(group)
    return group


def village_points_layer(villages: gpd.GeoDataFrame, year: int, *, lang: str = "zh", gap_ids=frozenset(),
                         datum: str = "wgs84", name: str | None = None, extent: Sequence[float] | None = None,
                         key: str | None = None) -> folium.FeatureGroup:
    """Return a feature group holding villages coloured by status in a year, as one canvas layer in the display datum.

    extent (display datum degrees) fixes the quantisation grid, e.g. to the region's outline; default: the villages'.
    The group can be added to a map or passed to st_folium(feature_group_to_add=...).
    """
    group = folium.FeatureGroup(name=name or t("layer_villages", lang, year=year), show=True)
    if len(villages) == 0:
        return group
    shown = to_display(villages, datum, name="villages")
    PointsLayer(shown.geometry.x.to_numpy(), shown.geometry.y.to_numpy(), village_classes(shown, year, gap_ids),
                village_point_styles(lang), extent=extent, names=shown["name"].to_numpy(),
                ids=shown["village_id"].to_numpy(), draw_order=VILLAGE_DRAW_ORDER, key=key).add_to(group)
    return group


def _mercator_px(lon: np.ndarray, lat: np.ndarray, zoom: float) -> tuple[np.ndarray, np.ndarray]:
    world = WORLD_TILE_PX * 2.0**zoom
    phi = np.radians(np.clip(lat, -MAX_MERCATOR_LAT, MAX_MERCATOR_LAT))
    return (np.asarray(lon) / 360 + 0.5) * world, (0.5 - np.log(np.tan(np.pi / 4 + phi / 2)) / (2 * np.pi)) * world


def nearest_village(villages: gpd.GeoDataFrame, lon: float, lat: float, max_px: float, zoom: float) -> Hashable | None:
    """Return the index label of the village nearest a WGS84 click, if within max_px screen pixels at a zoom, else None.

    Distances are measured as the map shows them: in Web Mercator pixels at the map's zoom. Ties go to the first row.
    A click on a GCJ-02 map is moved back to WGS84 first (layers.display.click_to_wgs84).
    """
    if len(villages) == 0:
        return None
    points = villages.geometry if villages.crs is not None and villages.crs.equals("EPSG:4326") else \
        to_display(villages, "wgs84", name="villages").geometry
    vx, vy = _mercator_px(points.x.to_numpy(), points.y.to_numpy(), zoom)
    cx, cy = _mercator_px(np.array([lon]), np.array([lat]), zoom)
    d2 = (vx - cx[0]) ** 2 + (vy - cy[0]) ** 2
    best = int(np.argmin(d2))
    return villages.index[best] if d2[best] <= max_px**2 else None
