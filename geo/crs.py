"""Datums and projections: WGS84 <-> GCJ-02 <-> BD-09, metric and equal-area CRS choice.

GCJ-02 (Amap/Gaode, Tencent) and BD-09 (Baidu) are obfuscated datums that PROJ does not know. The forward
transforms are the published formulas; the inverses are exact fixed-point iterations (not the usual one-step
approximation), so a WGS84 -> GCJ-02 -> WGS84 round trip closes to well below a centimetre.
"""
from __future__ import annotations

from typing import Literal, TypeVar

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from geo.errors import CRSError  # noqa: F401  (raised here; importable from geo.crs as before)

Datum = Literal["wgs84", "cgcs2000", "gcj02", "bd09"]
DATUMS: tuple[str, ...] = ("wgs84", "cgcs2000", "gcj02", "bd09")

_KRASOVSKY_A = 6378245.0  # semi-major axis (m) of the Krasovsky 1940 ellipsoid used by GCJ-02
_KRASOVSKY_EE = 0.00669342162296594323  # first eccentricity squared of Krasovsky 1940
_BD_X_PI = np.pi * 3000.0 / 180.0  # BD-09 rotation constant (radians per degree * 3000)
# Rectangle (degrees) outside which GCJ-02 leaves coordinates unshifted: the rule every GCJ-02 library applies.
CHINA_LON_RANGE = (72.004, 137.8347)
CHINA_LAT_RANGE = (0.8293, 55.8271)
_INVERSE_TOLERANCE_DEG = 1e-11  # ~1 micrometre; the fixed-point inverse stops below this
_INVERSE_MAX_ITERATIONS = 30

# CGCS2000 3-degree Gauss-Kruger zones (no false-easting prefix): EPSG:4534 = CM 75E ... EPSG:4554 = CM 135E.
_GK3_FIRST_EPSG = 4534
_GK3_FIRST_CM = 75
_GK3_LAST_CM = 135
# Albers equal-area conic for China on the CGCS2000 (GRS80) ellipsoid; the standard parallels of the national atlas.
CHINA_ALBERS = pyproj.CRS.from_proj4(
    "+proj=aea +lat_0=0 +lon_0=105 +lat_1=25 +lat_2=47 +x_0=0 +y_0=0 +ellps=GRS80 +units=m +no_defs"
)

GeoT = TypeVar("GeoT", gpd.GeoDataFrame, gpd.GeoSeries)


def outside_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Return True where a point (degrees) lies outside the rectangle in which GCJ-02 applies."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    return (
        (lon < CHINA_LON_RANGE[0]) | (lon > CHINA_LON_RANGE[1])
        | (lat < CHINA_LAT_RANGE[0]) | (lat > CHINA_LAT_RANGE[1])
    )


def _gcj02_offset(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the GCJ-02 shift (degrees) to add to WGS84 coordinates inside China."""
    x = lon - 105.0
    y = lat - 35.0
    sqrt_abs_x = np.sqrt(np.abs(x))
    six_pi_x = np.sin(6.0 * x * np.pi)
    two_pi_x = np.sin(2.0 * x * np.pi)
    wave = (20.0 * six_pi_x + 20.0 * two_pi_x) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt_abs_x
    dlat = dlat + wave
    dlat = dlat + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    dlat = dlat + (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt_abs_x
    dlon = dlon + wave
    dlon = dlon + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    dlon = dlon + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    rad_lat = lat / 180.0 * np.pi
    magic = 1.0 - _KRASOVSKY_EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_KRASOVSKY_A * (1.0 - _KRASOVSKY_EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (_KRASOVSKY_A / sqrt_magic * np.cos(rad_lat) * np.pi)
    return dlon, dlat


def wgs84_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Shift WGS84 longitude/latitude arrays (degrees) to GCJ-02; points outside China are returned unchanged."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    dlon, dlat = _gcj02_offset(lon, lat)
    outside = outside_china(lon, lat)
    return np.where(outside, lon, lon + dlon), np.where(outside, lat, lat + dlat)


def _invert(forward, lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Solve forward(x) = (lon, lat) for x by fixed-point iteration; exact to _INVERSE_TOLERANCE_DEG."""
    target_lon = np.asarray(lon, dtype=float)
    target_lat = np.asarray(lat, dtype=float)
    guess_lon = target_lon.copy()
    guess_lat = target_lat.copy()
    for _ in range(_INVERSE_MAX_ITERATIONS):
        fwd_lon, fwd_lat = forward(guess_lon, guess_lat)
        err_lon = fwd_lon - target_lon
        err_lat = fwd_lat - target_lat
        guess_lon = guess_lon - err_lon
        guess_lat = guess_lat - err_lat
        worst = max(np.nanmax(np.abs(err_lon), initial=0.0), np.nanmax(np.abs(err_lat), initial=0.0))
        if worst < _INVERSE_TOLERANCE_DEG:
            break
    return guess_lon, guess_lat


def gcj02_to_wgs84(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Convert GCJ-02 longitude/latitude arrays (degrees) to WGS84 exactly (iterative inverse)."""
    return _invert(wgs84_to_gcj02, lon, lat)


def gcj02_to_bd09(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Convert GCJ-02 longitude/latitude arrays (degrees) to Baidu's BD-09."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    z = np.sqrt(lon * lon + lat * lat) + 0.00002 * np.sin(lat * _BD_X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _BD_X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Convert BD-09 longitude/latitude arrays (degrees) to GCJ-02 exactly (iterative inverse)."""
    return _invert(gcj02_to_bd09, lon, lat)


def wgs84_to_bd09(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Convert WGS84 longitude/latitude arrays (degrees) to BD-09."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Convert BD-09 longitude/latitude arrays (degrees) to WGS84 exactly."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def _datum_family(datum: str) -> str:
    """Return the datum whose formulas apply: CGCS2000 is WGS84 to well under a metre."""
    key = str(datum).lower().replace("-", "").replace("_", "")
    if key not in DATUMS:
        raise CRSError(f"unknown datum {datum!r}; expected one of {', '.join(DATUMS)}")
    return "wgs84" if key == "cgcs2000" else key


def convert_coords(lon, lat, source: str, target: str) -> tuple[np.ndarray, np.ndarray]:
    """Convert longitude/latitude arrays (degrees) from one datum to another (wgs84, cgcs2000, gcj02, bd09)."""
    src, dst = _datum_family(source), _datum_family(target)
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    if src == dst:
        return lon.copy(), lat.copy()
    to_wgs = {"wgs84": lambda a, b: (a, b), "gcj02": gcj02_to_wgs84, "bd09": bd09_to_wgs84}[src]
    from_wgs = {"wgs84": lambda a, b: (a, b), "gcj02": wgs84_to_gcj02, "bd09": wgs84_to_bd09}[dst]
    return from_wgs(*to_wgs(lon, lat))


def require_crs(data, name: str) -> pyproj.CRS:
    """Return the CRS of a GeoDataFrame/GeoSeries, or raise naming the layer when it has none."""
    crs = getattr(data, "crs", None)
    if crs is None:
        raise CRSError(
            f"{name} has no CRS; set one explicitly (e.g. .set_crs('EPSG:4326') for WGS84 longitude/latitude) "
            "— Valley Atlas never guesses a CRS"
        )
    return pyproj.CRS.from_user_input(crs)


def convert_datum(data: GeoT, source: str, target: str, *, name: str = "layer") -> GeoT:
    """Return a copy of a geographic GeoDataFrame/GeoSeries with every vertex moved from one datum to another.

    Geometry types, parts, holes and the index are preserved; the CRS stays geographic (degrees).
    """
    crs = require_crs(data, name)
    if not crs.is_geographic:
        raise CRSError(
            f"{name} is in {crs.name} (projected); datum shifts apply to longitude/latitude — "
            "reproject to EPSG:4326 first"
        )

    def shift(coords: np.ndarray) -> np.ndarray:
        lon, lat = convert_coords(coords[:, 0], coords[:, 1], source, target)
        return np.column_stack([lon, lat])

    out = data.copy()
    geoms = shapely.transform(np.asarray(data.geometry.values), shift)
    if isinstance(out, gpd.GeoDataFrame):
        out[out.geometry.name] = gpd.GeoSeries(geoms, index=out.index, crs=crs)
    else:
        out = gpd.GeoSeries(geoms, index=data.index, crs=crs, name=data.name)
    return out


def gk3_epsg(central_lon: float) -> int:
    """Return the EPSG code of the CGCS2000 3-degree Gauss-Kruger zone (no prefix) nearest a longitude."""
    cm = 3 * round(float(central_lon) / 3.0)
    cm = min(max(cm, _GK3_FIRST_CM), _GK3_LAST_CM)
    return _GK3_FIRST_EPSG + (cm - _GK3_FIRST_CM) // 3


def gk3_bands(lon) -> dict[int, np.ndarray]:
    """Group positions by the CGCS2000 3-degree Gauss-Kruger zone nearest each longitude: {EPSG: positions}.

    A county falls in one band; a province or the whole country in several, so that distances far from one
    central meridian are not measured with its scale error (6-8 % at the edges of China).
    """
    lon = np.asarray(lon, dtype=float)
    cm = np.clip(3 * np.round(lon / 3.0), _GK3_FIRST_CM, _GK3_LAST_CM).astype(int)
    codes = _GK3_FIRST_EPSG + (cm - _GK3_FIRST_CM) // 3
    return {int(code): np.flatnonzero(codes == code) for code in np.unique(codes)}


def metric_crs(data) -> pyproj.CRS:
    """Return the CGCS2000 3-degree Gauss-Kruger CRS (metres) whose central meridian is nearest the data's centre."""
    crs = require_crs(data, "layer")
    bounds = data.to_crs(4326).total_bounds if not crs.equals(pyproj.CRS(4326)) else data.total_bounds
    if not np.all(np.isfinite(bounds)):
        raise CRSError("cannot choose a metric CRS for an empty layer")
    return pyproj.CRS.from_epsg(gk3_epsg((bounds[0] + bounds[2]) / 2.0))


def equal_area_crs() -> pyproj.CRS:
    """Return the Albers equal-area CRS for China (metres, GRS80) used for every area."""
    return CHINA_ALBERS


def area_km2(data) -> np.ndarray:
    """Return the area of each geometry in km² measured in the China Albers equal-area CRS."""
    require_crs(data, "layer")
    return np.asarray(data.to_crs(CHINA_ALBERS).geometry.area, dtype=float) / 1e6
