"""Elevation metrics: per zone elevation range, relief and mean slope; village elevations, bands and 高寒 flags.

Each metric is a pure function over a GeoDataFrame with a CRS, returning a Series or DataFrame on its index.
Slopes are measured on the DEM warped to the zones' Gauss-Krüger CRS (metres), never on degrees.
"""
from __future__ import annotations

from itertools import pairwise

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.crs import metric_crs, require_crs
from geo.terrain.dem import Dem, reproject_dem, sample_dem

DEFAULT_HIGH_COLD_M = 800.0  # 高寒山区 threshold (m a.s.l.): a common provincial usage (e.g. Hunan); users set it
DEFAULT_BANDS_M = (500.0, 1000.0, 1500.0, 2000.0, 2500.0, 3000.0, 3500.0, 4000.0)  # elevation band edges (m)
ZONE_TERRAIN_COLUMNS = ["elevation_min_m", "elevation_max_m", "elevation_mean_m", "relief_m", "slope_mean_deg"]


def zone_terrain(zones: gpd.GeoDataFrame, dem: Dem, *, cell_m: float | None = None) -> pd.DataFrame:
    """Return per zone its elevation min, max and mean (m), relief (m) and mean slope (degrees) from a DEM.

    Belts are measured over their corridor (centreline buffered by the half-width). A zone smaller than one cell
    gets the values of the cell under its representative point.
    """
    from rasterio.features import rasterize

    from geo.terrain.valleys import slope_deg
    from geo.zones import corridors

    require_crs(zones, "zones")
    if len(zones) == 0:
        return pd.DataFrame(columns=ZONE_TERRAIN_COLUMNS, index=zones.index, dtype=float)
    crs = metric_crs(zones)
    shapes = corridors(zones).to_crs(crs)
    window = tuple(shapes.total_bounds)
    margin = 2 * (cell_m or 1000.0)
    dem_m = reproject_dem(dem, crs, resolution=cell_m, bounds=(window[0] - margin, window[1] - margin,
                                                              window[2] + margin, window[3] + margin))
    slope = slope_deg(dem_m)
    rows = []
    for geom in shapes.values:
        mask = rasterize([(geom, 1)], out_shape=dem_m.shape, transform=dem_m.transform, fill=0, dtype="uint8") == 1
        values, slopes = dem_m.array[mask], slope[mask]
        if not np.isfinite(values).any():
            point = gpd.GeoSeries([geom.representative_point()], crs=crs).to_crs(4326)
            values = sample_dem(dem_m, point.x.to_numpy(), point.y.to_numpy(), method="bilinear")
            slopes = np.array([np.nan])
        values = values[np.isfinite(values)]
        slopes = slopes[np.isfinite(slopes)]
        rows.append({
            "elevation_min_m": values.min() if values.size else np.nan,
            "elevation_max_m": values.max() if values.size else np.nan,
            "elevation_mean_m": values.mean() if values.size else np.nan,
            "slope_mean_deg": slopes.mean() if slopes.size else np.nan,
        })
    out = pd.DataFrame(rows, index=zones.index, dtype=float)
    out["relief_m"] = out["elevation_max_m"] - out["elevation_min_m"]
    return out[ZONE_TERRAIN_COLUMNS]


def village_elevation_m(villages: gpd.GeoDataFrame, dem: Dem | None = None, *, method: str = "bilinear") -> pd.Series:
    """Return each village's elevation (m) from a DEM (default: the DEM covering them), NaN where it has none."""
    from geo.terrain.dem import sample_elevation

    require_crs(villages, "villages")
    points = villages.geometry.to_crs(4326)
    if len(points) == 0:
        return pd.Series([], index=villages.index, dtype=float, name="elevation_m")
    lon = points.x.to_numpy()
    lat = points.y.to_numpy()
    values = sample_dem(dem, lon, lat, method=method) if dem is not None else sample_elevation(lon, lat, method=method)
    return pd.Series(values, index=villages.index, name="elevation_m")


def _band_labels(edges: np.ndarray) -> list[str]:
    labels = [f"< {edges[0]:,.0f} m"]
    labels += [f"{lo:,.0f}–{hi:,.0f} m" for lo, hi in pairwise(edges)]
    labels.append(f"≥ {edges[-1]:,.0f} m")
    return labels


def elevation_band(elevation_m: pd.Series, *, edges_m=DEFAULT_BANDS_M) -> pd.Series:
    """Return each elevation's band as an ordered categorical ("2,000–2,500 m"); NaN stays missing."""
    edges = np.asarray(sorted(float(e) for e in edges_m))
    if edges.size == 0 or np.any(np.diff(edges) <= 0):
        raise ValueError(f"band edges must be distinct elevations in metres, got {list(edges_m)!r}")
    labels = _band_labels(edges)
    values = pd.Series(elevation_m, dtype=float)
    codes = np.searchsorted(edges, values.to_numpy(), side="right")
    cat = pd.Categorical.from_codes(np.where(values.notna(), codes, -1), categories=labels, ordered=True)
    return pd.Series(cat, index=values.index, name="elevation_band")


def villages_by_elevation_band(elevation_m: pd.Series, *, edges_m=DEFAULT_BANDS_M,
                               weights: pd.Series | None = None) -> pd.Series:
    """Return the number of villages (or the sum of `weights`, e.g. poor population) in each elevation band."""
    bands = elevation_band(elevation_m, edges_m=edges_m)
    values = pd.Series(1.0, index=bands.index) if weights is None else pd.Series(weights, dtype=float)
    name = "village_count" if weights is None else (getattr(weights, "name", None) or "total")
    out = values.groupby(bands, observed=False).sum()
    out.name = name
    return out.astype(int) if weights is None else out


def high_cold(elevation_m: pd.Series, *, threshold_m: float = DEFAULT_HIGH_COLD_M) -> pd.Series:
    """Return True where a village lies at or above the 高寒 (high-cold) threshold (m a.s.l.); False where unknown."""
    if not np.isfinite(threshold_m):
        raise ValueError(f"threshold_m must be an elevation in metres, got {threshold_m!r}")
    values = pd.Series(elevation_m, dtype=float)
    return (values >= float(threshold_m)).rename("high_cold")
