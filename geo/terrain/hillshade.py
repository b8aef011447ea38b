"""The offline terrain basemap: hillshade under a quiet hypsometric tint, as a PNG for a Leaflet ImageOverlay.

Leaflet stretches an ImageOverlay linearly between its corner coordinates in Web Mercator, so the image is
rendered on a grid whose rows are evenly spaced in Web Mercator y (display only; every slope here uses true ground
distances: the grid's metres are scaled by cos(latitude) row by row). Same DEM and options, same bytes: callers
cache the result under `terrain_image_key`.
"""
from __future__ import annotations

import hashlib
import io
import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pyproj

from geo.terrain.dem import WGS84, Dem, dem_version, reproject_dem

WEB_MERCATOR = pyproj.CRS.from_epsg(3857)  # display grid of the overlay image only, never for measurement
MAX_SIDE_PX = 1024  # longest side of the overlay image (pixels)
MULTI_AZIMUTHS_DEG = (225.0, 270.0, 315.0, 360.0)  # light directions of the multidirectional hillshade (GDAL's)
# Quiet hypsometric tint: (fraction of the region's elevation range, RGB). Low greens, tan, grey, near-white tops.
TINT_STOPS = ((0.00, (196, 214, 180)), (0.30, (222, 226, 190)), (0.55, (232, 220, 194)),
              (0.80, (214, 208, 204)), (1.00, (246, 246, 246)))
SHADE_WEIGHT = 0.65  # how much the hillshade darkens the tint (0: flat tint, 1: full shade)
OUTSIDE_ALPHA = 0.45  # opacity of the terrain outside a region's outline: the region stands out, the land goes on
_IMAGE_VERSION = "terrain-image-2"  # bump when the rendering changes, so caches keyed on it refresh


@dataclass(frozen=True)
class TerrainImage:
    """A rendered terrain overlay: PNG bytes and WGS84 bounds [[south, west], [north, east]] (Leaflet order)."""

    png: bytes
    bounds: tuple[tuple[float, float], tuple[float, float]]
    width: int
    height: int


def hillshade(z: np.ndarray, dx_m, dy_m: float, *, azimuth_deg: float = 315.0, altitude_deg: float = 45.0,
              multidirectional: bool = True, z_factor: float = 1.0) -> np.ndarray:
    """Return hillshade (0 dark … 1 lit, NaN on no data) of elevations in metres on cells dx_m × dy_m metres.

    `dx_m` may be a column vector (one width per row) for grids whose cell width varies with latitude.
    """
    z = np.asarray(z, dtype=np.float64) * z_factor
    dx = np.broadcast_to(np.asarray(dx_m, dtype=np.float64).reshape(-1, 1), z.shape)
    filled = np.where(np.isfinite(z), z, np.nanmean(z) if np.isfinite(z).any() else 0.0)
    gy, gx = np.gradient(filled)
    gx = gx / dx
    gy = -gy / float(dy_m)  # rows run south: make +y north
    slope = np.arctan(np.hypot(gx, gy))
    aspect = np.arctan2(-gx, -gy)  # direction the slope faces, clockwise from north, radians
    altitude = math.radians(altitude_deg)

    def lit(azimuth: float) -> np.ndarray:
        return (math.sin(altitude) * np.cos(slope)
                + math.cos(altitude) * np.sin(slope) * np.cos(math.radians(azimuth) - aspect))

    if multidirectional:
        # Weight each light by how much it faces the slope (GDAL's -multidirectional): soft, no dark shadows.
        weights = [np.sin(aspect - math.radians(a)) ** 2 for a in MULTI_AZIMUTHS_DEG]
        total = np.sum(weights, axis=0)
        shade = np.sum([w * lit(a) for w, a in zip(weights, MULTI_AZIMUTHS_DEG)], axis=0) / np.where(
            total > 0, total, 1.0)
        shade = np.where(total > 0, shade, math.sin(altitude))
    else:
        shade = lit(azimuth_deg)
    shade = np.clip(shade, 0.0, 1.0)
    return np.where(np.isfinite(z), shade, np.nan)


def hypsometric_tint(z: np.ndarray, *, low_m: float, high_m: float) -> np.ndarray:
    """Return an RGB float grid (0..1) tinting elevations (m) from low_m to high_m with the quiet palette."""
    span = max(high_m - low_m, 1.0)
    t = np.clip((np.nan_to_num(z, nan=low_m) - low_m) / span, 0.0, 1.0)
    stops = np.array([s for s, _ in TINT_STOPS])
    colours = np.array([c for _, c in TINT_STOPS], dtype=np.float64) / 255.0
    return np.stack([np.interp(t, stops, colours[:, k]) for k in range(3)], axis=-1)


def _display_grid(dem: Dem, max_side_px: int) -> Dem:
    """Return the DEM warped (cubic) onto a Web Mercator grid of at most max_side_px pixels a side."""
    from rasterio.warp import transform_bounds

    from geo.terrain.dem import _rio_crs

    west, south, east, north = transform_bounds(_rio_crs(dem.crs), _rio_crs(WEB_MERCATOR), *dem.bounds,
                                                densify_pts=21)
    resolution = max(east - west, north - south) / max_side_px
    # Trim the short side to whole pixels (under one pixel), so no row or column lies beyond the data.
    east = west + math.floor((east - west) / resolution + 1e-6) * resolution
    south = north - math.floor((north - south) / resolution + 1e-6) * resolution
    return reproject_dem(dem, WEB_MERCATOR, resolution=resolution, bounds=(west, south, east, north),
                        resampling="cubic")


def terrain_image(dem: Dem, *, max_side_px: int = MAX_SIDE_PX, multidirectional: bool = True,
                  elevation_range_m: tuple[float, float] | None = None, outline=None,
                  outside_alpha: float = OUTSIDE_ALPHA, colors: int | None = None) -> TerrainImage:
    """Render a DEM (any CRS) as a hillshaded, tinted RGBA PNG with its WGS84 bounds for a Leaflet ImageOverlay.

    The tint spans `elevation_range_m` (default: the 2nd–98th percentile of the DEM); no-data cells are transparent.
    With an `outline` (GeoDataFrame/GeoSeries with a CRS) the land outside it is drawn at `outside_alpha` opacity.
    `colors` (e.g. 256) stores a palette PNG instead of true colour: about a sixth of the bytes, for inlining.
    """
    from PIL import Image

    grid = _display_grid(dem, max_side_px)
    z = grid.array.astype(np.float64)
    height, width = z.shape
    ys = grid.transform.f + grid.transform.e * (np.arange(height) + 0.5)
    lat = np.degrees(2.0 * np.arctan(np.exp(ys / 6378137.0)) - math.pi / 2.0)
    scale = np.cos(np.radians(lat))  # Web Mercator metres × cos(latitude) = ground metres
    dx = abs(grid.transform.a) * scale
    dy = float(abs(grid.transform.e) * np.cos(np.radians(np.mean(lat))))
    shade = hillshade(z, dx, dy, multidirectional=multidirectional)
    if elevation_range_m is None:
        finite = z[np.isfinite(z)]
        low, high = (np.percentile(finite, [2, 98]) if finite.size else (0.0, 1.0))
    else:
        low, high = elevation_range_m
    tint = hypsometric_tint(z, low_m=float(low), high_m=float(high))
    rgb = tint * ((1.0 - SHADE_WEIGHT) + SHADE_WEIGHT * np.nan_to_num(shade, nan=1.0))[..., None] / 0.85
    rgba = np.empty((height, width, 4), dtype=np.uint8)
    rgba[..., :3] = np.clip(np.round(rgb * 255.0), 0, 255).astype(np.uint8)
    rgba[..., 3] = np.where(np.isfinite(z), 255, 0).astype(np.uint8)
    if outline is not None:
        inside = _outline_mask(outline, grid)
        rgba[..., 3] = np.where(inside, rgba[..., 3], np.round(rgba[..., 3] * outside_alpha)).astype(np.uint8)
    buffer = io.BytesIO()
    picture = Image.fromarray(rgba, mode="RGBA")
    if colors:
        picture = picture.quantize(colors=int(colors), method=Image.Quantize.FASTOCTREE)
    picture.save(buffer, format="PNG", optimize=bool(colors), compress_level=6)
    west, south, east, north = grid.bounds
    transformer = pyproj.Transformer.from_crs(WEB_MERCATOR, WGS84, always_xy=True)
    lon0, lat0 = transformer.transform(west, south)
    lon1, lat1 = transformer.transform(east, north)
    return TerrainImage(buffer.getvalue(), ((float(lat0), float(lon0)), (float(lat1), float(lon1))), width, height)


def _outline_mask(outline, grid: Dem) -> np.ndarray:
    """Return a bool grid of the display grid's cells whose centre lies inside an outline."""
    import shapely
    from rasterio.features import geometry_mask

    from geo.crs import require_crs

    require_crs(outline, "outline")
    series = outline.geometry if hasattr(outline, "geometry") else outline
    shape = shapely.union_all(series.to_crs(WEB_MERCATOR).values)
    return geometry_mask([shape], out_shape=grid.shape, transform=grid.transform, invert=True)


@dataclass(frozen=True)
class ElevationGrid:
    """Elevations (int16 m, NODATA_M where none) on the overlay's Web Mercator grid, for a read-out on hover."""

    values: np.ndarray
    bounds: tuple[tuple[float, float], tuple[float, float]]  # WGS84 [[south, west], [north, east]]


NODATA_M = -32768  # int16 marker of "no elevation" in an ElevationGrid


def display_elevation(dem: Dem, *, max_side_px: int = 200) -> ElevationGrid:
    """Return the DEM's elevations on a small Web Mercator grid covering the same extent as terrain_image."""
    grid = _display_grid(dem, max_side_px)
    values = np.where(np.isfinite(grid.array), np.round(grid.array), NODATA_M).astype(np.int16)
    west, south, east, north = grid.bounds
    transformer = pyproj.Transformer.from_crs(WEB_MERCATOR, WGS84, always_xy=True)
    lon0, lat0 = transformer.transform(west, south)
    lon1, lat1 = transformer.transform(east, north)
    return ElevationGrid(values, ((float(lat0), float(lon0)), (float(lat1), float(lon1))))


def terrain_image_key(dem: Dem, **options) -> str:
    """Return the cache key of a terrain image: the DEM's version, the options and the renderer's version."""
    text = f"{_IMAGE_VERSION}|{dem_version(dem)}|{sorted(options.items())!r}"
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def _nice_interval(span_m: float, target_lines: int = 12) -> float:
    raw = max(span_m, 1.0) / target_lines
    magnitude = 10 ** math.floor(math.log10(raw))
    for step in (1, 2, 2.5, 5, 10):
        if raw <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def contour_lines(dem: Dem, *, interval_m: float | None = None, outline=None) -> gpd.GeoDataFrame:
    """Return contour lines (WGS84 LineStrings with elevation_m) every interval_m metres, clipped to an outline."""
    import contourpy
    import shapely

    z = dem.array.astype(np.float64)
    finite = z[np.isfinite(z)]
    if finite.size == 0:
        raise ValueError("the DEM has no data: no contours to draw")
    interval = interval_m or _nice_interval(float(finite.max() - finite.min()))
    if not interval > 0:
        raise ValueError(f"interval_m must be > 0, got {interval_m!r}")
    levels = np.arange(math.ceil(finite.min() / interval) * interval, finite.max() + 1e-9, interval)
    generator = contourpy.contour_generator(z=np.ma.masked_invalid(z), line_type="Separate")
    rows = []
    for level in levels:
        for line in generator.lines(float(level)):
            if len(line) < 2:
                continue
            cols, rws = line[:, 0] + 0.5, line[:, 1] + 0.5  # contourpy works on cell centres
            xs, ys = dem.transform @ (cols, rws)
            rows.append((float(level), shapely.LineString(np.column_stack([xs, ys]))))
    frame = gpd.GeoDataFrame({"elevation_m": [r[0] for r in rows]}, geometry=[r[1] for r in rows], crs=dem.crs)
    frame = frame.to_crs(WGS84)
    if outline is not None:
        region = shapely.union_all(outline.to_crs(WGS84).geometry.values)
        frame = frame.assign(geometry=frame.geometry.intersection(region))
        frame = frame[~frame.geometry.is_empty]
    return frame.reset_index(drop=True)
