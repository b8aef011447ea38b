"""Membership: which village lies in which zone — exact, measured in metres, computed once per data version.

Membership is exact and measured in metres in the CGCS2000 Gauss-Kruger zone of the zones (never degrees, never
EPSG:3857):
- a village is in a valley/county zone when the zone's polygon covers its point (a point on the edge counts, so a
  village on the shared edge of two zones counts in both; the union counts it once);
- a village is in a belt when its distance to the belt's centreline is at most the half-width.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import weakref
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from geo.crs import metric_crs, require_crs
from geo.memo import BoundedCache


@dataclass(frozen=True)
class Membership:
    """Which village lies in which zone: parallel arrays of village and zone positions (0-based), in no order."""

    village_pos: np.ndarray
    zone_pos: np.ndarray
    n_villages: int
    n_zones: int

    def covered(self) -> np.ndarray:
        """Return True for each village inside at least one zone."""
        out = np.zeros(self.n_villages, dtype=bool)
        out[self.village_pos] = True
        return out

    def per_zone(self, weights: np.ndarray) -> np.ndarray:
        """Return the sum of a per-village weight over each zone's villages."""
        return np.bincount(self.zone_pos, weights=np.asarray(weights, dtype=float)[self.village_pos],
                           minlength=self.n_zones)

    def sorted_pairs(self) -> np.ndarray:
        """Return the (village, zone) pairs as an (n, 2) int64 array sorted by zone then village (for comparison)."""
        order = np.lexsort((self.village_pos, self.zone_pos))
        return np.column_stack([self.village_pos[order], self.zone_pos[order]]).astype(np.int64)

    def first_zone(self) -> np.ndarray:
        """Return each village's lowest zone position, or -1 outside every zone."""
        home = np.full(self.n_villages, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(home, self.village_pos, self.zone_pos)
        home[home == np.iinfo(np.int64).max] = -1
        return home


def metric_crs_of(zones: gpd.GeoDataFrame, villages: gpd.GeoDataFrame):
    """Return the metric CRS (CGCS2000 Gauss-Kruger) membership is measured in: the zones', else the villages'."""
    require_crs(zones, "zones")
    require_crs(villages, "villages")
    crs = metric_crs(zones) if len(zones) else (metric_crs(villages) if len(villages) else None)
    return crs


FAST_PATH_MIN_VILLAGES = 20_000  # from this many villages up, zone_membership uses the grid engine (geo/engine.py)
# Projected village coordinates and zone indexes, reused across calls with the same inputs (what-if curves, the
# CLI, benchmarks). Bounded (a national index is ~300 MB) and safe to share between the app's session threads.
_INDEXES = BoundedCache(max_entries=2)
_VILLAGE_XY = BoundedCache(max_entries=4)


_FINGERPRINT_BY_ID: dict[int, tuple] = {}  # id(zones frame) -> (weakref, fingerprint): skips re-hashing a frame


def _zones_fingerprint(zones: gpd.GeoDataFrame, crs, widths_m: np.ndarray) -> tuple:
    """Return a key for a set of zones: a hash of every vertex, of each geometry's vertex count, of ids, kinds,
    widths and CRS. The hash of a frame is remembered while the frame lives (frames are not mutated in place)."""
    known = _FINGERPRINT_BY_ID.get(id(zones))
    if known is not None and known[0]() is zones:
        geometry_hash = known[1]
    else:
        geoms = zones.geometry.values
        digest = hashlib.sha1(shapely.get_coordinates(geoms).tobytes())
        digest.update(shapely.get_num_coordinates(geoms).tobytes())
        digest.update(shapely.get_type_id(geoms).tobytes())
        digest.update("\x1f".join(map(str, zones["zone_id"])).encode())
        digest.update("\x1f".join(map(str, zones["kind"])).encode())
        geometry_hash = (digest.hexdigest(), str(zones.crs))
        _FINGERPRINT_BY_ID[id(zones)] = (weakref.ref(zones), geometry_hash)
        weakref.finalize(zones, _FINGERPRINT_BY_ID.pop, id(zones), None)
    return (*geometry_hash, np.ascontiguousarray(widths_m, dtype=float).tobytes(), crs.to_wkt())


def village_xy(villages: gpd.GeoDataFrame, crs) -> tuple[np.ndarray, np.ndarray]:
    """Return the villages' x/y (float64 arrays, metres) in a CRS, projected once per set of villages."""
    coords = shapely.get_coordinates(villages.geometry.values)
    key = (hashlib.sha1(coords.tobytes()).hexdigest(), str(villages.crs), crs.to_wkt())

    def project():
        transformer = pyproj.Transformer.from_crs(villages.crs, crs, always_xy=True)
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)

    return _VILLAGE_XY.get_or_make(key, project)


INDEX_ON_DISK_FROM_ZONES = 500  # from this many zones (a province's or China's counties) a built index is kept on
# disk: all 2,875 counties take ~12 s to index and ~1-2 s to read back


def _engine_version() -> str:
    """Return a hash of the engine's source: an index written by other engine code is never read back."""
    from geo.coverage import _kernels, engine

    digest = hashlib.sha1()
    for module in (engine, _kernels):
        digest.update(Path(module.__file__).read_bytes())
    return digest.hexdigest()[:12]


def _index_file(key: tuple) -> Path:
    from geo.boundaries import cache_dir

    digest = hashlib.sha1(repr(key).encode()).hexdigest()[:24]
    return cache_dir().parent.parent / "indexes" / f"engine-{_engine_version()}" / f"{digest}.pickle"


def zone_index(zones: gpd.GeoDataFrame, crs, widths_m: np.ndarray):
    """Return the grid index (geo.coverage.engine.ZoneIndex) of a set of zones in a CRS, built once and cached
    (in memory; from INDEX_ON_DISK_FROM_ZONES zones also on disk, under the boundary cache's folder, keyed on every
    vertex, id, kind, width and the engine's source)."""
    from geo.coverage.engine import ZoneIndex

    key = _zones_fingerprint(zones, crs, widths_m)

    def build():
        path = _index_file(key) if len(zones) >= INDEX_ON_DISK_FROM_ZONES else None
        if path is not None and path.exists():
            try:
                with open(path, "rb") as fh:
                    return pickle.load(fh)  # our own cache folder, written below by this code
            except Exception:  # a damaged file (an interrupted disk, say): build it again
                pass
        shapes = zones.geometry.to_crs(crs).values
        index = ZoneIndex.build(shapes, (zones["kind"] == "belt").to_numpy(), widths_m)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            with open(tmp, "wb") as fh:
                pickle.dump(index, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        return index

    return _INDEXES.get_or_make(key, build)


def zone_membership(zones: gpd.GeoDataFrame, villages: gpd.GeoDataFrame, *,
                    half_width_km: float | None = None, engine: str = "auto") -> Membership:
    """Return the exact village-in-zone pairs (belts by centreline distance ≤ half-width, in metres).

    half_width_km overrides every belt's own half-width. engine: "simple" (STRtree predicates), "grid" (the
    cached grid index of geo/engine.py) or "auto" (grid from FAST_PATH_MIN_VILLAGES villages up); both give the
    same pairs.
    """
    crs = metric_crs_of(zones, villages)
    n_v, n_z = len(villages), len(zones)
    if n_v == 0 or n_z == 0:
        return Membership(np.zeros(0, np.int64), np.zeros(0, np.int64), n_v, n_z)
    widths_m = (zones["half_width_km"].astype(float).to_numpy() if half_width_km is None
                else np.full(n_z, float(half_width_km))) * 1000.0
    if engine not in ("auto", "simple", "grid"):
        raise ValueError(f"engine {engine!r} is not auto, simple or grid")
    if engine == "grid" or (engine == "auto" and n_v >= FAST_PATH_MIN_VILLAGES):
        x, y = village_xy(villages, crs)
        village_pos, zone_pos = zone_index(zones, crs, widths_m).query(x, y)
        return Membership(village_pos, zone_pos, n_v, n_z)
    points = villages.geometry.to_crs(crs).values
    shapes = zones.geometry.to_crs(crs).values
    is_belt = (zones["kind"] == "belt").to_numpy()
    v_parts, z_parts = [], []
    polygon_pos = np.flatnonzero(~is_belt)
    if len(polygon_pos):
        tree = shapely.STRtree(shapes[polygon_pos])
        v, z = tree.query(points, predicate="intersects")
        v_parts.append(v)
        z_parts.append(polygon_pos[z])
    belt_pos = np.flatnonzero(is_belt)
    if len(belt_pos):
        point_tree = shapely.STRtree(points)
        for pos in belt_pos:
            v = point_tree.query(shapes[pos], predicate="dwithin", distance=widths_m[pos])
            v_parts.append(np.asarray(v, dtype=np.int64))
            z_parts.append(np.full(len(v), pos, dtype=np.int64))
    return Membership(np.concatenate(v_parts).astype(np.int64), np.concatenate(z_parts).astype(np.int64), n_v, n_z)


