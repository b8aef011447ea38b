"""Every coordinate form a planner meets: degrees-minutes-seconds in the usual notations, and projected metres
(CGCS2000 Gauss-Krüger 3° and 6° with or without the zone prefix, UTM, Web Mercator) recognised from the values and
the column headers.

CGCS2000 and WGS84 agree to a few centimetres at the epoch of the data a county keeps (well within a metre), so
projected CGCS2000 coordinates are unprojected to CGCS2000 longitude/latitude (EPSG:4490) and used as WGS84; UTM and
Web Mercator are WGS84 already. GCJ-02 and BD-09 are not projections: they stay a datum choice (geo.crs).
"""
from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal, NamedTuple

import numpy as np
import pyproj
import shapely

from geo.i18n import Message
from geo.ingest.tables import parse_number

Axis = Literal["lon", "lat"]
# CGCS2000 Gauss-Krüger families in EPSG: first code, first central meridian (°E), zone width (°), first zone number
GK3_PREFIX = (4513, 75, 3, 25)  # 3° zones 25-45 with the zone number in front of the easting (34 575 310.8)
GK3 = (4534, 75, 3, None)  # 3° without prefix, CM 75°E … 135°E: the user picks the central meridian
GK6_PREFIX = (4491, 75, 6, 13)  # 6° zones 13-23 with prefix (18 xxx xxx)
GK6 = (4502, 75, 6, None)  # 6° without prefix, CM 75°E … 135°E
GK3_ZONES = range(25, 46)  # 3° zone n has CM 3n°E
GK6_ZONES = range(13, 24)  # 6° zone n has CM 6n-3 °E
UTM_ZONES = range(42, 54)  # WGS84 UTM north zones over China (EPSG 32642-32653)
WEB_MERCATOR = 3857
CHINA_BOUNDS = (73.0, 3.0, 136.0, 54.0)  # lon/lat box (degrees) a point must fall in to be taken as Chinese
SAMPLE_POINTS = 2000  # detection looks at this many points at most (evenly spread through the file)
EDGE_TOLERANCE_DEG = 0.5  # a point may lie this far outside its nominal zone (counties straddling a zone edge)

_PRIMES = str.maketrans({"′": "'", "’": "'", "‘": "'", "`": "'", "´": "'", "″": '"', "”": '"', "“": '"',
                         "º": "°", "˚": "°", "度": "°", "分": "'", "秒": '"', "：": ":", "−": "-", "－": "-"})
_HEMISPHERES = (  # (word, axis, sign), longest first so 东经 is taken before 东
    ("东经", "lon", 1), ("西经", "lon", -1), ("北纬", "lat", 1), ("南纬", "lat", -1),
    ("东", "lon", 1), ("西", "lon", -1), ("北", "lat", 1), ("南", "lat", -1),
    ("e", "lon", 1), ("w", "lon", -1), ("n", "lat", 1), ("s", "lat", -1),
)
_TOKEN = re.compile(r"\s*(?:(\d+(?:\.\d*)?|\.\d+)\s*([°'\":]|\"|'')?)")


class CoordinateProblem(ValueError):
    """A value that is not a coordinate; carries its Message (str() is the English text and fix)."""

    def __init__(self, key: str, **params):
        self.problem = Message(key, params)
        fix = self.problem.fix()
        super().__init__(self.problem.text() + (f": {fix}" if fix else ""))


class Angle(NamedTuple):
    """An angle read from text: signed decimal degrees, the axis its hemisphere names (or None), and its form."""

    degrees: float
    axis: Axis | None
    form: Literal["decimal", "dm", "dms"]


# ---------------------------------------------------------------------------------------------------- angles
def read_angle(text: object) -> Angle:
    """Read an angle in decimal degrees or degrees-minutes(-seconds), with its hemisphere if it names one.

    Accepted: 102°58'41.2", 102°58′41.2″E, 102度58分41.2秒, 东经102°58'41.2", N32°4'1", -102 58 41.2, 102:58:41.2,
    102°58.687' (degrees and decimal minutes), 102.978; full-width characters are normalised. Raises
    CoordinateProblem saying what was received when minutes or seconds reach 60, degrees exceed 180, a sign
    contradicts the hemisphere, or the text is not an angle.
    """
    if isinstance(text, (int, float, np.integer, np.floating)) and not isinstance(text, bool):
        value = float(text)
        if not math.isfinite(value):
            raise CoordinateProblem("angle_not_angle", value=str(text))
        return _checked(Angle(value, None, "decimal"), str(text))
    raw = "" if text is None else str(text)
    clean = unicodedata.normalize("NFKC", raw).translate(_PRIMES).strip().lower()
    clean = clean.replace("''", '"')
    if not clean:
        raise CoordinateProblem("angle_empty")
    axis, hemisphere_sign, clean = _hemisphere(clean, raw)
    sign = 1
    if clean[:1] in "+-":
        sign = -1 if clean[0] == "-" else 1
        clean = clean[1:].strip()
        if hemisphere_sign is not None and sign == -1:
            raise CoordinateProblem("angle_sign_and_hemisphere", value=raw)
    numbers, marks = _tokens(clean, raw)
    if any("." in n for n in numbers[:-1]):
        raise CoordinateProblem("angle_decimal_not_last", value=raw)
    values = [float(n) for n in numbers]
    _check_marks(marks, raw)
    if len(values) >= 2 and values[1] >= 60:
        raise CoordinateProblem("angle_minutes_range", value=raw, minutes=numbers[1])
    if len(values) == 3 and values[2] >= 60:
        raise CoordinateProblem("angle_seconds_range", value=raw, seconds=numbers[2])
    degrees = values[0] + (values[1] / 60 if len(values) > 1 else 0) + (values[2] / 3600 if len(values) > 2 else 0)
    total = sign * (hemisphere_sign or 1) * degrees
    form = ("decimal", "dm", "dms")[len(values) - 1]
    return _checked(Angle(total, axis, form), raw)


def parse_angle(text: object) -> float:
    """Return an angle written in any usual notation as signed decimal degrees (see read_angle)."""
    return read_angle(text).degrees


def _hemisphere(clean: str, raw: str) -> tuple[Axis | None, int | None, str]:
    """Return (axis, sign, rest) of an angle's text: a hemisphere word or letter before or after the number."""
    found = []
    for word, axis, sign in _HEMISPHERES:
        if clean.startswith(word):
            found.append((axis, sign))
            clean = clean[len(word):].strip()
            break
    for word, axis, sign in _HEMISPHERES:
        if clean.endswith(word):
            found.append((axis, sign))
            clean = clean[: -len(word)].strip()
            break
    if len(found) > 1 and found[0] != found[1]:
        raise CoordinateProblem("angle_two_hemispheres", value=raw)
    if not found:
        return None, None, clean
    return found[0][0], found[0][1], clean


def _tokens(clean: str, raw: str) -> tuple[list[str], list[str | None]]:
    numbers, marks, position = [], [], 0
    while position < len(clean):
        match = _TOKEN.match(clean, position)
        if match is None or match.end() == position:
            raise CoordinateProblem("angle_not_angle", value=raw)
        numbers.append(match.group(1))
        marks.append(match.group(2))
        position = match.end()
        while position < len(clean) and clean[position] == " ":  # never a comma: "102,5" is not an angle
            position += 1
    if not 1 <= len(numbers) <= 3:
        raise CoordinateProblem("angle_not_angle", value=raw)
    return numbers, marks


def _check_marks(marks: list[str | None], raw: str) -> None:
    """Require °, ' and " (when present) in that order: degrees, minutes, seconds."""
    expected = ("°", "'", '"')
    for i, mark in enumerate(marks):
        if mark in (None, ":"):
            continue
        if mark != expected[i]:
            raise CoordinateProblem("angle_marks_order", value=raw)


def _checked(angle: Angle, raw: str) -> Angle:
    limit = 90 if angle.axis == "lat" else 180
    if abs(angle.degrees) > limit:
        raise CoordinateProblem("angle_degrees_range", value=raw, limit=limit)
    return angle


class AngleColumn(NamedTuple):
    """A column of angles: decimal degrees (NaN where empty or unreadable), each value's axis, and the problems."""

    degrees: np.ndarray
    axes: list[Axis | None]
    problems: list[tuple[int, Message]]

    @property
    def axis(self) -> Axis | None:
        """Return the axis most of the hemisphere marks name, or None when none do."""
        named = [a for a in self.axes if a]
        return max(set(named), key=named.count) if named else None


def parse_angle_column(values) -> AngleColumn:
    """Read a column of angles; blanks give NaN without a problem, unreadable values give NaN and a problem."""
    degrees, axes, problems = [], [], []
    for i, value in enumerate(values):
        if value is None or (isinstance(value, str) and not value.strip()) or \
                (isinstance(value, float) and math.isnan(value)):
            degrees.append(np.nan)
            axes.append(None)
            continue
        try:
            angle = read_angle(value)
        except CoordinateProblem as exc:
            degrees.append(np.nan)
            axes.append(None)
            problems.append((i, exc.problem))
            continue
        degrees.append(angle.degrees)
        axes.append(angle.axis)
    return AngleColumn(np.array(degrees, dtype=float), axes, problems)


def swapped_by_hemisphere(lon_column: AngleColumn, lat_column: AngleColumn) -> bool:
    """Tell whether the hemisphere marks say the longitude column holds latitudes and the latitude column longitudes."""
    return lon_column.axis == "lat" and lat_column.axis == "lon"


# ---------------------------------------------------------------------------------------------------- projected
@dataclass(frozen=True)
class Candidate:
    """One reading of a pair of coordinate columns: a CRS, which column is the easting, and how well it fits.

    family: "degrees", "gk3_prefix", "gk3", "gk6_prefix", "gk6", "utm" or "web_mercator". easting: "x" or "y",
    the input column holding the easting (for degrees, the longitude). zones: for a prefixed easting, every zone
    the values name (to_wgs84 unprojects each point in its own zone). inside_share: share of the points inside
    the region (None without a region); fit: share of the points where this reading is plausible at all.
    """

    epsg: int
    family: str
    easting: Literal["x", "y"]
    central_meridian: float | None
    zone: int | None
    zones: tuple[int, ...]
    x_header: str
    y_header: str
    inside_share: float | None
    fit: float
    score: float

    @property
    def northing_header(self) -> str:
        return self.y_header if self.easting == "x" else self.x_header

    @property
    def easting_header(self) -> str:
        return self.x_header if self.easting == "x" else self.y_header

    def message(self) -> Message:
        """Return "read as …" for the report, in both languages."""
        params = {"epsg": self.epsg, "northing": self.northing_header, "easting": self.easting_header}
        if self.family in ("gk3_prefix", "gk6_prefix"):
            key = "crs_read_as_gk3_prefix" if self.family == "gk3_prefix" else "crs_read_as_gk6_prefix"
            return Message(key, {**params, "zone": self.zone, "cm": _cm(self)})
        if self.family in ("gk3", "gk6"):
            return Message("crs_read_as_gk3" if self.family == "gk3" else "crs_read_as_gk6", {**params, "cm": _cm(self)})
        if self.family == "utm":
            return Message("crs_read_as_utm", {**params, "zone": self.zone})
        if self.family == "web_mercator":
            return Message("crs_read_as_web_mercator", params)
        return Message("crs_read_as_degrees", {"lon": self.easting_header, "lat": self.northing_header})

    def description(self, lang: str = "zh") -> str:
        """Return "读作 … / read as …" in the user's language."""
        return self.message().text(lang)


def _cm(candidate: Candidate) -> str:
    return f"{candidate.central_meridian:g}"


# Header spellings of projected columns (compared lower-cased without spaces, brackets and underscores); which one
# is the easting is decided from the values, never from the letter (in Chinese surveying X is the northing).
EASTING_WORDS = ("东坐标", "横坐标", "easting", "utme", "utmeasting")
NORTHING_WORDS = ("北坐标", "纵坐标", "northing", "utmn", "utmnorthing")
X_WORDS = ("x", "x坐标", "坐标x", "xcoord", "xm", "x米", "pointx")
Y_WORDS = ("y", "y坐标", "坐标y", "ycoord", "ym", "y米", "pointy")


def projected_columns(headers) -> tuple[str, str] | None:
    """Return the (x, y) pair of projected-coordinate columns among the headers (X/Y, X坐标/Y坐标, 横/纵坐标,
    东/北坐标, easting/northing), or None; x is the first of the pair as the file names it."""
    keys = {h: re.sub(r"[\s_\-（）()【】\[\]:：/]+", "", unicodedata.normalize("NFKC", str(h))).lower() for h in headers}

    def first(words):
        for word in words:
            for header, key in keys.items():
                if key == word or (len(word) > 2 and key.startswith(word)):
                    return header
        return None

    pairs = [(first(X_WORDS), first(Y_WORDS)), (first(EASTING_WORDS), first(NORTHING_WORDS))]
    for x, y in pairs:
        if x and y and x != y:
            return x, y
    return None


@lru_cache(maxsize=128)
def _to_geographic(epsg: int) -> pyproj.Transformer:
    target = 4326 if epsg == WEB_MERCATOR or 32600 < epsg < 32661 else 4490  # CGCS2000 lon/lat, used as WGS84
    return pyproj.Transformer.from_crs(epsg, target, always_xy=True)


def _values(values) -> np.ndarray:
    """Return a column as floats: numbers and metres as text ("34 575 310.8 m"), or angles in any notation."""
    out = []
    for value in values:
        parsed = parse_number(value)
        if parsed.value is not None and parsed.unit in ("", "m", "米"):
            out.append(parsed.value)
            continue
        try:
            out.append(read_angle(value).degrees if parsed.problem is not None else np.nan)
        except CoordinateProblem:
            out.append(np.nan)
    return np.array(out, dtype=float)


def detect_coordinate_system(x_values, y_values, x_header: str = "X", y_header: str = "Y",
                             region_bounds=None) -> list[Candidate]:
    """Return the readings of two coordinate columns, best first: degrees or projected metres, and which is which.

    Every family is tried with either column as the easting: a reading counts where it puts the points in China
    and, for a Gauss-Krüger or UTM zone, within the zone's width; with region_bounds (a WGS84 shapely geometry or
    a (min_lon, min_lat, max_lon, max_lat) box) where it puts them in the region — which is how a central meridian
    is proposed for eastings without a zone prefix. Ties go to CGCS2000 3° over 6°, Gauss-Krüger over UTM (unless
    the headers say UTM or easting/northing), and a 3° zone over the identical 6° zone.
    Values may be numbers, text ("34 575 310.8", "3,545,120.5") or angles in any notation (102°58'41.2"); values
    that are none of these are left out.
    """
    x = _values(x_values)
    y = _values(y_values)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if len(x) == 0:
        return []
    if len(x) > SAMPLE_POINTS:
        pick = np.linspace(0, len(x) - 1, SAMPLE_POINTS).astype(int)
        x, y = x[pick], y[pick]
    hints = _header_hints(x_header, y_header)
    candidates: list[Candidate] = []
    for easting in ("x", "y"):
        east, north = (x, y) if easting == "x" else (y, x)
        for family, epsg, cm, zone, zones in _hypotheses(east, north):
            lon, lat = _unproject(east, north, family, epsg)
            fit = _fit(lon, lat, family, _point_meridians(east, family, cm))
            if fit == 0:
                continue
            inside = None if region_bounds is None else _inside_share(lon, lat, region_bounds)
            if inside == 0:
                continue
            score = 10.0 * (inside or 0.0) + 3.0 * fit + _prior(family, hints, easting, x_header, y_header)
            candidates.append(Candidate(epsg=epsg, family=family, easting=easting, central_meridian=cm, zone=zone,
                                        zones=zones, x_header=x_header, y_header=y_header, inside_share=inside,
                                        fit=round(fit, 4), score=round(score, 4)))
    return sorted(candidates, key=lambda c: -c.score)


def _hypotheses(east: np.ndarray, north: np.ndarray):
    """Yield (family, epsg, central meridian, zone, zones) readings the magnitudes allow."""
    if np.all(np.abs(east) <= 180) and np.all(np.abs(north) <= 90):
        yield "degrees", 4326, None, None, ()
        return
    if np.mean((north > 0) & (north < 1.0e7)) < 0.5:
        return
    prefix = np.floor(east / 1e6).astype(int)
    for family, (first_epsg, _, width, first_zone), zone_range in (
            ("gk3_prefix", GK3_PREFIX, GK3_ZONES), ("gk6_prefix", GK6_PREFIX, GK6_ZONES)):
        valid = np.isin(prefix, list(zone_range))
        if valid.mean() >= 0.5:
            zones = tuple(int(z) for z in sorted(set(prefix[valid].tolist())))
            main = int(np.bincount(prefix[valid]).argmax())
            cm = main * 3.0 if width == 3 else main * 6.0 - 3
            yield family, first_epsg + main - first_zone, cm, main, zones
    if np.mean((east > 0) & (east < 1e6)) >= 0.5:
        for cm in range(75, 136, 3):
            yield "gk3", GK3[0] + (cm - 75) // 3, float(cm), None, ()
        for cm in range(75, 136, 6):
            yield "gk6", GK6[0] + (cm - 75) // 6, float(cm), None, ()
        for zone in UTM_ZONES:
            yield "utm", 32600 + zone, zone * 6.0 - 183, zone, ()
    if np.all(np.abs(east) <= 20037508.35) and np.all(np.abs(north) <= 20037508.35):
        yield "web_mercator", WEB_MERCATOR, None, None, ()


def _unproject(east: np.ndarray, north: np.ndarray, family: str, epsg: int) -> tuple[np.ndarray, np.ndarray]:
    if family == "degrees":
        return east.astype(float), north.astype(float)
    if family in ("gk3_prefix", "gk6_prefix"):
        first_epsg, _, _, first_zone = GK3_PREFIX if family == "gk3_prefix" else GK6_PREFIX
        zone_of = np.floor(east / 1e6).astype(int)
        lon = np.full(len(east), np.nan)
        lat = np.full(len(east), np.nan)
        zone_range = GK3_ZONES if family == "gk3_prefix" else GK6_ZONES
        for zone in np.unique(zone_of[np.isin(zone_of, list(zone_range))]):
            sel = zone_of == zone
            code = first_epsg + int(zone) - first_zone
            lon[sel], lat[sel] = _to_geographic(code).transform(east[sel], north[sel])
        return lon, lat
    lon, lat = _to_geographic(epsg).transform(east, north)
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


def _point_meridians(east: np.ndarray, family: str, cm: float | None) -> np.ndarray | float | None:
    """Return the central meridian (°E) each point is projected about: its prefix's zone, or the reading's."""
    if family == "gk3_prefix":
        return np.floor(east / 1e6) * 3.0
    if family == "gk6_prefix":
        return np.floor(east / 1e6) * 6.0 - 3.0
    return cm


def _fit(lon: np.ndarray, lat: np.ndarray, family: str, cm) -> float:
    """Return the share of points this reading puts in China and, for a zone, within the zone's width."""
    ok = np.isfinite(lon) & np.isfinite(lat)
    ok &= (lon >= CHINA_BOUNDS[0]) & (lon <= CHINA_BOUNDS[2]) & (lat >= CHINA_BOUNDS[1]) & (lat <= CHINA_BOUNDS[3])
    if family in ("gk3", "gk6", "utm", "gk3_prefix", "gk6_prefix"):
        half = 1.5 if family.startswith("gk3") else 3.0
        ok &= np.abs(lon - cm) <= half + EDGE_TOLERANCE_DEG
    return float(ok.mean())


def _inside_share(lon: np.ndarray, lat: np.ndarray, region) -> float:
    ok = np.isfinite(lon) & np.isfinite(lat)
    if isinstance(region, (tuple, list, np.ndarray)) and len(region) == 4:
        west, south, east, north = (float(v) for v in region)
        inside = ok & (lon >= west) & (lon <= east) & (lat >= south) & (lat <= north)
    else:
        inside = ok & shapely.contains_xy(region, np.nan_to_num(lon), np.nan_to_num(lat))
    return float(inside.mean())


def _header_hints(x_header: str, y_header: str) -> set[str]:
    text = unicodedata.normalize("NFKC", f"{x_header} {y_header}").lower()
    hints = set()
    if "utm" in text or "easting" in text or "northing" in text:
        hints.add("utm")
    if "mercator" in text or "墨卡托" in text or "3857" in text:
        hints.add("web_mercator")
    if re.search(r"6\s*(度|°)", text):
        hints.add("gk6")
    if re.search(r"3\s*(度|°)", text):
        hints.add("gk3")
    return hints


def _prior(family: str, hints: set[str], easting: str, x_header: str, y_header: str) -> float:
    """Return the tie-breaking preference for a reading: small against any difference in fit."""
    base = {"degrees": 0.5, "gk3_prefix": 0.5, "gk6_prefix": 0.45, "gk3": 0.4, "gk6": 0.35, "utm": 0.3,
            "web_mercator": 0.3}[family]
    if family.split("_")[0] in hints or family in hints:
        base += 0.5
    east_header, north_header = (x_header, y_header) if easting == "x" else (y_header, x_header)
    if any(w in str(east_header).lower() for w in ("东", "横", "east")) or \
            any(w in str(north_header).lower() for w in ("北", "纵", "north")):
        base += 0.05  # headers that name the axes agree with this assignment
    return base


def to_wgs84(x_values, y_values, candidate: Candidate) -> tuple[np.ndarray, np.ndarray]:
    """Return WGS84 longitude/latitude (degrees) of two coordinate columns read as the candidate says.

    CGCS2000 results are CGCS2000 longitude/latitude, equal to WGS84 within a metre (a few centimetres for data
    of the 2000s and 2010s); values that are not numbers give NaN.
    """
    x = _values(x_values)
    y = _values(y_values)
    east, north = (x, y) if candidate.easting == "x" else (y, x)
    ok = np.isfinite(east) & np.isfinite(north)
    lon = np.full(len(east), np.nan)
    lat = np.full(len(east), np.nan)
    if ok.any():
        lon[ok], lat[ok] = _unproject(east[ok], north[ok], candidate.family, candidate.epsg)
    return lon, lat


def from_wgs84(lon, lat, epsg: int) -> tuple[np.ndarray, np.ndarray]:
    """Return (easting, northing) in metres of WGS84 longitude/latitude in a projected EPSG (the inverse of to_wgs84).

    A prefixed Gauss-Krüger EPSG (4491-4501, 4513-4533) carries the zone prefix in its false easting.
    """
    source = 4326 if epsg == WEB_MERCATOR or 32600 < epsg < 32661 else 4490
    east, north = pyproj.Transformer.from_crs(source, epsg, always_xy=True).transform(
        np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return np.asarray(east, dtype=float), np.asarray(north, dtype=float)


def gk_epsg(central_meridian: float, *, width: int = 3, prefix: bool = False) -> int:
    """Return the EPSG code of the CGCS2000 Gauss-Krüger zone with this central meridian (°E)."""
    cm = float(central_meridian)
    if width == 3:
        if cm % 3 or not 75 <= cm <= 135:
            raise ValueError(f"central meridian {cm:g}°E is not a 3° zone's (75, 78 … 135)")
        return (GK3_PREFIX[0] if prefix else GK3[0]) + int(cm - 75) // 3
    if width == 6:
        if (cm - 75) % 6 or not 75 <= cm <= 135:
            raise ValueError(f"central meridian {cm:g}°E is not a 6° zone's (75, 81 … 135)")
        return (GK6_PREFIX[0] if prefix else GK6[0]) + int(cm - 75) // 6
    raise ValueError(f"zone width {width} is not 3 or 6 degrees")


def swapped_axis_messages(lon_column: AngleColumn, lat_column: AngleColumn, lon_header: str,
                          lat_header: str) -> list[Message]:
    """Return a message for each column whose hemisphere marks name the other axis (北纬 under 经度 …)."""
    out = []
    for column, header, expected in ((lon_column, lon_header, "lon"), (lat_column, lat_header, "lat")):
        if column.axis is not None and column.axis != expected:
            out.append(Message("angle_axis_swapped", {"column": header, "axis": "latitude" if expected == "lon"
                                                      else "longitude"}))
    return out


def not_recognised_message(x_values, y_values, x_header: str, y_header: str) -> Message:
    """Return the message for two columns no reading fits, quoting their first values."""
    sample = ", ".join(f"{a} / {b}" for a, b in list(zip(x_values, y_values))[:2])
    return Message("crs_not_recognised", {"x": x_header, "y": y_header, "sample": sample})
