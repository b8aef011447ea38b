"""Elevation for a region: which DEM covers it (the user's, the national install, the bundled clips), windows, sampling.

A `Dem` is a float32 grid of metres with NaN for no data, its affine transform and CRS, and a note of its source.
It unpacks as `array, transform, crs = region_dem(...)`. Nothing here measures in degrees: callers reproject with
`reproject_dem` to a metric CRS (Gauss-Krüger) before computing slopes or areas.
"""
from __future__ import annotations

import hashlib
import math
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyproj
from affine import Affine

from geo.terrain.install import INSTALL_COMMAND, SOURCE_TEXT, national_dem_path

BUNDLED_DIR = Path(__file__).resolve().parents[2] / "data" / "dem"  # clipped 30″ seed-region DEMs (data/dem/README.md)
DEFAULT_MARGIN_DEG = 0.05  # extra DEM read around a region (≈5 km) so flow near its edge is routed on real terrain
_COVER_TOLERANCE = 0.5  # a DEM may fall short of a region's bounds by this fraction of a cell and still cover it
WGS84 = pyproj.CRS.from_epsg(4326)
EARTH_RADIUS_M = 6371008.8  # mean Earth radius, for the size of geographic cells


class NoDemError(ValueError):
    """No DEM covers the requested area; the message says how to get one."""


@dataclass(frozen=True, eq=False)
class Dem:
    """An elevation grid: float32 metres (NaN = no data), affine transform of its cell corners, CRS, source note."""

    array: np.ndarray
    transform: Affine
    crs: pyproj.CRS
    source: str = ""

    def __iter__(self) -> Iterator:
        """Unpack as (array, transform, crs)."""
        return iter((self.array, self.transform, self.crs))

    @property
    def shape(self) -> tuple[int, int]:
        return self.array.shape

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """Return (west, south, east, north) of the grid in its own CRS."""
        height, width = self.array.shape
        west, north = self.transform @ (0, 0)
        east, south = self.transform @ (width, height)
        return min(west, east), min(south, north), max(west, east), max(south, north)

    @property
    def version(self) -> str:
        """Return a short content hash of the grid, transform and CRS (a cache key for anything derived from it)."""
        return dem_version(self)


def dem_version(dem: Dem) -> str:
    """Return a 16-hex-digit BLAKE2 hash of a DEM's values, transform and CRS (milliseconds for a county)."""
    digest = hashlib.blake2b(digest_size=8)
    digest.update(np.ascontiguousarray(dem.array).tobytes())
    digest.update(repr(tuple(dem.transform)[:6]).encode())
    digest.update(dem.crs.to_wkt().encode())
    return digest.hexdigest()


def file_version(path: Path | str) -> str:
    """Return a cheap version key of a DEM file from its name, size and modification time (no read)."""
    stat = Path(path).stat()
    return hashlib.blake2b(f"{Path(path).resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode(),
                           digest_size=8).hexdigest()


def _rio_crs(crs):
    from rasterio.crs import CRS

    return CRS.from_user_input(pyproj.CRS.from_user_input(crs).to_wkt())


def region_bounds(region) -> tuple[float, float, float, float]:
    """Return WGS84 (west, south, east, north) of a region given by adcode/name, GeoDataFrame or 4-tuple of degrees."""
    if isinstance(region, (tuple, list, np.ndarray)) and len(region) == 4:
        west, south, east, north = (float(v) for v in region)
        if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
            raise ValueError(f"bounds {tuple(region)} are not (west, south, east, north) in degrees with west < east "
                             "and south < north")
        return west, south, east, north
    if hasattr(region, "total_bounds"):
        from geo.crs import require_crs

        require_crs(region, "region outline")
        return tuple(float(v) for v in region.to_crs(WGS84).total_bounds)
    from geo.boundaries import load_boundary

    return tuple(float(v) for v in load_boundary(str(region)).total_bounds)


def bundled_dems() -> list[Path]:
    """Return the bundled 30″ seed-region DEM clips (data/dem/*.tif)."""
    return sorted(BUNDLED_DIR.glob("*.tif"))


def _file_bounds_wgs84(path: Path) -> tuple[tuple[float, float, float, float], float]:
    """Return a DEM file's WGS84 bounds and its cell size in degrees (approximate for projected files)."""
    import rasterio
    from rasterio.warp import transform_bounds

    with rasterio.open(path) as src:
        if src.crs is None:
            raise NoDemError(f"{path.name} has no CRS; a DEM GeoTIFF must say its CRS (e.g. EPSG:4326 or EPSG:4543)")
        bounds = transform_bounds(src.crs, "EPSG:4326", *src.bounds, densify_pts=21)
        res = src.res[0] if src.crs.is_geographic else src.res[0] / 111_000.0
    return bounds, res


def _covers(outer, inner, cell_deg: float) -> bool:
    slack = _COVER_TOLERANCE * cell_deg
    return (outer[0] <= inner[0] + slack and outer[1] <= inner[1] + slack
            and outer[2] >= inner[2] - slack and outer[3] >= inner[3] - slack)


def dem_source_for(bounds: tuple[float, float, float, float], *, user_dem: Path | str | None = None) -> Path:
    """Return the DEM file to read for WGS84 bounds: the user's, else the national install, else a bundled clip."""
    if user_dem is not None:
        path = Path(user_dem)
        if not path.exists():
            raise NoDemError(f"DEM file {path} does not exist")
        file_bounds, res = _file_bounds_wgs84(path)
        if not _covers(file_bounds, bounds, res):
            raise NoDemError(f"{path.name} covers {_fmt(file_bounds)} but the region needs {_fmt(bounds)}; "
                             "bring a DEM that covers the whole region")
        return path
    candidates = [national_dem_path()] if national_dem_path().exists() else []
    candidates += bundled_dems()
    for path in candidates:
        file_bounds, res = _file_bounds_wgs84(path)
        if _covers(file_bounds, bounds, res):
            return path
    raise NoDemError(
        f"no installed DEM covers {_fmt(bounds)} (bundled 30″ clips cover only the seed regions); install the "
        f"national 30″ DEM once with `{INSTALL_COMMAND}` (python scripts/install_dem.py), or import your own DEM "
        "GeoTIFF (data page, or python -m geo import dem FILE --region R --workspace WS)")


def _fmt(bounds) -> str:
    return f"lon {bounds[0]:.3f}–{bounds[2]:.3f}, lat {bounds[1]:.3f}–{bounds[3]:.3f}"


def _source_note(path: Path) -> str:
    if path == national_dem_path():
        return f"{SOURCE_TEXT} (national install, 30″)"
    if path.parent == BUNDLED_DIR:
        return f"{SOURCE_TEXT} (bundled clip {path.name}, 30″)"
    return f"user DEM {path.name}"


def read_dem_window(path: Path | str, bounds: tuple[float, float, float, float], *,
                    margin_deg: float = DEFAULT_MARGIN_DEG, max_cells: int | None = None) -> Dem:
    """Read the cells of a DEM file covering WGS84 bounds plus a margin, in the file's own CRS (float32 m, NaN).

    With `max_cells`, a larger window is read averaged down by a whole factor (from the file's overviews where it
    has them) to at most that many cells: a province or the whole country for a picture, not for measurement.
    """
    import rasterio
    from rasterio.warp import transform_bounds
    from rasterio.windows import Window, from_bounds

    path = Path(path)
    west, south, east, north = bounds
    wanted = (west - margin_deg, south - margin_deg, east + margin_deg, north + margin_deg)
    with rasterio.open(path) as src:
        if src.crs is None:
            raise NoDemError(f"{path.name} has no CRS; a DEM GeoTIFF must say its CRS")
        native = transform_bounds("EPSG:4326", src.crs, *wanted, densify_pts=21)
        window = from_bounds(*native, transform=src.transform)
        col0, row0 = max(math.floor(window.col_off), 0), max(math.floor(window.row_off), 0)
        col1 = min(math.ceil(window.col_off + window.width), src.width)
        row1 = min(math.ceil(window.row_off + window.height), src.height)
        if col1 <= col0 or row1 <= row0:
            raise NoDemError(f"{path.name} has no cells in {_fmt(bounds)}")
        window = Window(col0, row0, col1 - col0, row1 - row0)
        factor = 1
        if max_cells and window.width * window.height > max_cells:
            factor = math.ceil(math.sqrt(window.width * window.height / max_cells))
        if factor > 1:
            from rasterio.enums import Resampling

            shape = (max(1, int(window.height // factor)), max(1, int(window.width // factor)))
            data = src.read(1, window=window, masked=True, out_shape=shape, resampling=Resampling.average)
            transform = src.window_transform(window) * Affine.scale(window.width / shape[1],
                                                                   window.height / shape[0])
        else:
            data = src.read(1, window=window, masked=True)
            transform = src.window_transform(window)
        crs = pyproj.CRS.from_user_input(src.crs.to_wkt())
        scale = src.scales[0] or 1.0
        offset = src.offsets[0] or 0.0
    array = data.astype(np.float32).filled(np.nan) * np.float32(scale) + np.float32(offset)
    return Dem(array, transform, crs, _source_note(path))


def region_dem(region, *, user_dem: Path | str | None = None, margin_deg: float = DEFAULT_MARGIN_DEG,
               crs=None, resolution: float | None = None, max_cells: int | None = None) -> Dem:
    """Return the DEM (float32 m, NaN nodata) around a region (adcode/name, outline or WGS84 bounds).

    The user's GeoTIFF (any CRS) is read when given, else the national 30″ install, else a bundled seed clip; a
    region none of them covers raises NoDemError naming the install command. With `crs` (and optionally
    `resolution` in that CRS's units) the window is reprojected bilinearly; otherwise it stays in the file's CRS.
    """
    bounds = region_bounds(region)
    path = dem_source_for(bounds, user_dem=user_dem)
    dem = read_dem_window(path, bounds, margin_deg=margin_deg, max_cells=max_cells)
    if crs is not None:
        dem = reproject_dem(dem, crs, resolution=resolution)
    return dem


def geographic_cell_size_m(dem: Dem) -> tuple[float, float]:
    """Return a geographic DEM's cell width and height in metres at its central latitude (spherical Earth)."""
    if not dem.crs.is_geographic:
        return abs(dem.transform.a), abs(dem.transform.e)
    lat = math.radians((dem.bounds[1] + dem.bounds[3]) / 2.0)
    per_deg = math.pi / 180.0 * EARTH_RADIUS_M
    return abs(dem.transform.a) * per_deg * math.cos(lat), abs(dem.transform.e) * per_deg


def reproject_dem(dem: Dem, crs, *, resolution: float | None = None, bounds=None,
                  resampling: str = "bilinear") -> Dem:
    """Return a DEM warped to another CRS (float32 m, NaN nodata) at `resolution` in that CRS's units.

    Without `resolution` a geographic source keeps its ground cell size (geometric mean, rounded to 10 m) in a
    metric CRS. `bounds` (in the target CRS) fixes the output extent; by default it is the source's extent.
    """
    from rasterio.enums import Resampling
    from rasterio.warp import reproject, transform_bounds

    target = pyproj.CRS.from_user_input(crs)
    if resolution is None:
        if target.is_geographic:
            resolution = abs(dem.transform.a) if dem.crs.is_geographic else abs(dem.transform.a) / 111_000.0
        else:
            width_m, height_m = geographic_cell_size_m(dem)
            resolution = max(10.0, round(math.sqrt(width_m * height_m) / 10.0) * 10.0)
    if bounds is None:
        bounds = transform_bounds(_rio_crs(dem.crs), _rio_crs(target), *dem.bounds, densify_pts=21)
    west, south, east, north = bounds
    width = max(1, math.ceil((east - west) / resolution - 1e-6))  # tolerate float error in exact multiples
    height = max(1, math.ceil((north - south) / resolution - 1e-6))
    transform = Affine(resolution, 0.0, west, 0.0, -resolution, north)
    out = np.full((height, width), np.nan, dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        reproject(np.ascontiguousarray(dem.array, dtype=np.float32), out, src_transform=dem.transform,
                  src_crs=_rio_crs(dem.crs), src_nodata=np.nan, dst_transform=transform, dst_crs=_rio_crs(target),
                  dst_nodata=np.nan, resampling=getattr(Resampling, resampling))
    return Dem(out, transform, target, dem.source)


def sample_dem(dem: Dem, lon, lat, *, method: str = "nearest") -> np.ndarray:
    """Return elevations (m, NaN outside or on no data) of a DEM at WGS84 longitude/latitude points."""
    lon = np.atleast_1d(np.asarray(lon, dtype=float))
    lat = np.atleast_1d(np.asarray(lat, dtype=float))
    if lon.shape != lat.shape:
        raise ValueError(f"got {lon.size} longitudes and {lat.size} latitudes; expected one of each per point")
    if dem.crs.equals(WGS84) or dem.crs.is_geographic:
        x, y = lon, lat
    else:
        x, y = pyproj.Transformer.from_crs(WGS84, dem.crs, always_xy=True).transform(lon, lat)
    col, row = ~dem.transform @ (np.asarray(x), np.asarray(y))
    return _sample_grid(dem.array, np.asarray(col), np.asarray(row), method)


def _sample_grid(array: np.ndarray, col: np.ndarray, row: np.ndarray, method: str) -> np.ndarray:
    """Sample a grid at fractional (col, row) pixel coordinates (0 = the first cell's outer edge)."""
    height, width = array.shape
    out = np.full(col.shape, np.nan, dtype=np.float64)
    if method == "nearest":
        c = np.floor(col).astype(np.int64)
        r = np.floor(row).astype(np.int64)
        ok = (c >= 0) & (c < width) & (r >= 0) & (r < height)
        out[ok] = array[r[ok], c[ok]]
        return out
    if method != "bilinear":
        raise ValueError(f"method {method!r} is not 'nearest' or 'bilinear'")
    fc, fr = col - 0.5, row - 0.5  # cell centres sit at half-integers
    c0 = np.clip(np.floor(fc).astype(np.int64), 0, max(width - 2, 0))
    r0 = np.clip(np.floor(fr).astype(np.int64), 0, max(height - 2, 0))
    ok = (col >= 0) & (col <= width) & (row >= 0) & (row <= height)
    if width < 2 or height < 2:
        return _sample_grid(array, col, row, "nearest")
    tx = np.clip(fc - c0, 0.0, 1.0)
    ty = np.clip(fr - r0, 0.0, 1.0)
    c0, r0, tx, ty = c0[ok], r0[ok], tx[ok], ty[ok]
    top = array[r0, c0] * (1 - tx) + array[r0, c0 + 1] * tx
    bottom = array[r0 + 1, c0] * (1 - tx) + array[r0 + 1, c0 + 1] * tx
    out[ok] = top * (1 - ty) + bottom * ty
    return out


def sample_elevation(lon, lat, *, dem: Dem | None = None, user_dem: Path | str | None = None,
                     method: str = "nearest") -> np.ndarray:
    """Return elevations (m) at WGS84 longitude/latitude points from a given DEM or the DEM that covers them all."""
    lon = np.atleast_1d(np.asarray(lon, dtype=float))
    lat = np.atleast_1d(np.asarray(lat, dtype=float))
    if dem is None:
        finite = np.isfinite(lon) & np.isfinite(lat)
        if not finite.any():
            return np.full(lon.shape, np.nan)
        bounds = (lon[finite].min(), lat[finite].min(), lon[finite].max(), lat[finite].max())
        if bounds[0] == bounds[2] or bounds[1] == bounds[3]:
            bounds = (bounds[0] - 1e-6, bounds[1] - 1e-6, bounds[2] + 1e-6, bounds[3] + 1e-6)
        path = dem_source_for(bounds, user_dem=user_dem)
        dem = read_dem_window(path, bounds, margin_deg=0.02)
    return sample_dem(dem, lon, lat, method=method)


def check_user_dem(path: Path | str, outline) -> dict:
    """Check that a user's DEM GeoTIFF can replace the bundled DEM for a region; return what it holds.

    Raises NoDemError (saying what was found and what is expected) when the file is not a single-band raster with
    a CRS, holds no elevations, or does not cover the whole region. Returns {crs, width, height, cell_m, min_m,
    max_m, source}: the CRS as given, the grid and its ground cell size, the elevation range over the region.
    """
    import rasterio
    from rasterio.errors import RasterioIOError

    path = Path(path)
    try:
        with rasterio.open(path) as src:
            if src.count < 1:
                raise NoDemError(f"{path.name} has no raster band; expected a one-band elevation GeoTIFF")
            if src.crs is None:
                raise NoDemError(f"{path.name} has no CRS; save it with its CRS (e.g. EPSG:4326 or EPSG:4543) — "
                                 "in QGIS: Raster › Projections › Assign Projection")
            crs_text = src.crs.to_string()
            width, height = src.width, src.height
    except RasterioIOError as exc:
        raise NoDemError(f"{path.name} is not a raster GDAL can read ({exc}); expected a GeoTIFF") from None
    dem = region_dem(outline, user_dem=path, margin_deg=0.0)
    from geo.terrain.valleys import _outline_geometry, region_mask

    inside = region_mask(dem, _outline_geometry(outline, dem.crs)) & np.isfinite(dem.array)
    if not inside.any():
        raise NoDemError(f"{path.name} holds no elevation inside the region (all no-data)")
    values = dem.array[inside]
    if values.min() < -500 or values.max() > 9000:
        raise NoDemError(f"{path.name}: elevations {values.min():.0f}..{values.max():.0f} are not metres above sea "
                         "level (expected −500..9,000 m); is it a DEM, and in metres?")
    width_m, height_m = geographic_cell_size_m(dem)
    return {"crs": crs_text, "width": width, "height": height, "cell_m": round(math.sqrt(width_m * height_m), 1),
            "min_m": float(values.min()), "max_m": float(values.max()), "source": f"user DEM {path.name}"}
