"""Membership: which village lies in which zone — exact, measured in metres, computed once per data version.

Membership is exact and measured in metres in the CGCS2000 Gauss-Kruger zone of the zones (never degrees, never
EPSG:3857):
- a village is in a valley/county zone when the zone's polygon covers its point (a point on the edge counts, so a
  village on the shared edge of two zones counts in both; the union counts it once);
- a village is in a belt when its distance to the belt's centreline is at most the half-width;
- a village is also in every zone its zones_assigned column names (matched by the zone's name_zh, name_en or
  zone_id, spaces ignored): zones by membership (a 所属沟域 column). A village counts when inside OR assigned, so an
  unplaced village (no point) counts in the zones it is assigned to, and a zone with members but no outline yet
  (geometry None) has exactly its assigned villages.
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
from geo.villages import placed, split_zone_names


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
    """Return the metric CRS (CGCS2000 Gauss-Kruger) membership is measured in: the zones', else the villages'
    (None when neither has a geometry: no outline and no placed village)."""
    require_crs(zones, "zones")
    require_crs(villages, "villages")
    outlined = zones[has_outline(zones)] if len(zones) else zones
    located = villages[placed(villages)] if len(villages) else villages
    return metric_crs(outlined) if len(outlined) else (metric_crs(located) if len(located) else None)


def has_outline(zones: gpd.GeoDataFrame) -> np.ndarray:
    """Return True for each zone with a geometry (False for a zone with members but no outline yet)."""
    geom = zones.geometry
    return ~(geom.isna() | geom.is_empty).to_numpy()


def _name_key(name: object) -> str:
    return "".join(str(name).split()).lower()


def assigned_pairs(zones: gpd.GeoDataFrame, villages: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Return (village positions, zone positions) of the villages assigned to zones by name (zones_assigned).

    A name matches a zone's name_zh, name_en or zone_id (spaces and case ignored); a name no zone has gives no pair
    (geo.zones.with_assigned_zones adds such zones, without an outline, to a region's zones).
    """
    if "zones_assigned" not in villages.columns or not len(zones) or not len(villages):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    by_name: dict[str, int] = {}
    for column in ("zone_id", "name_en", "name_zh"):  # name_zh last: it wins a clash
        if column in zones.columns:
            for pos, value in enumerate(zones[column]):
                if isinstance(value, str) and value.strip():
                    by_name[_name_key(value)] = pos
    v_out, z_out = [], []
    for v, text in enumerate(villages["zones_assigned"]):
        for name in split_zone_names(text):
            z = by_name.get(_name_key(name))
            if z is not None:
                v_out.append(v)
                z_out.append(z)
    return np.asarray(v_out, dtype=np.int64), np.asarray(z_out, dtype=np.int64)


def assigned_membership(zones: gpd.GeoDataFrame, villages: gpd.GeoDataFrame) -> Membership:
    """Return the village-zone pairs of the assignment by name alone (no geometry involved)."""
    v, z = assigned_pairs(zones, villages)
    return Membership(v, z, len(villages), len(zones))


def _union(a: Membership, b: Membership) -> Membership:
    """Return the pairs of either membership, each pair once."""
    if not len(b.village_pos):
        return a
    pairs = np.unique(np.column_stack([np.concatenate([a.village_pos, b.village_pos]),
                                       np.concatenate([a.zone_pos, b.zone_pos])]).astype(np.int64), axis=0)
    return Membership(pairs[:, 0].copy(), pairs[:, 1].copy(), a.n_villages, a.n_zones)


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
                    half_width_km: float | None = None, engine: str = "auto", assigned: bool = True) -> Membership:
    """Return the exact village-in-zone pairs: inside the outline (belts by centreline distance ≤ half-width, in
    metres) or, with assigned, assigned to the zone by name (zones_assigned).

    half_width_km overrides every belt's own half-width. engine: "simple" (STRtree predicates), "grid" (the
    cached grid index of geo/engine.py) or "auto" (grid from FAST_PATH_MIN_VILLAGES villages up); both give the
    same pairs. Unplaced villages and zones without an outline take part by assignment only.
    """
    if engine not in ("auto", "simple", "grid"):
        raise ValueError(f"engine {engine!r} is not auto, simple or grid")
    metric_crs_of(zones, villages)  # both layers must say their CRS
    n_v, n_z = len(villages), len(zones)
    if n_v == 0 or n_z == 0:
        return Membership(np.zeros(0, np.int64), np.zeros(0, np.int64), n_v, n_z)
    outline_pos = np.flatnonzero(has_outline(zones))
    village_pos = np.flatnonzero(placed(villages))
    if len(outline_pos) == len(zones) and len(village_pos) == len(villages):
        spatial = _spatial_membership(zones, villages, half_width_km, engine)
    elif len(outline_pos) and len(village_pos):
        inner = _spatial_membership(zones.iloc[outline_pos], villages.iloc[village_pos], half_width_km, engine)
        spatial = Membership(village_pos[inner.village_pos], outline_pos[inner.zone_pos], n_v, n_z)
    else:
        spatial = Membership(np.zeros(0, np.int64), np.zeros(0, np.int64), n_v, n_z)
    return _union(spatial, assigned_membership(zones, villages)) if assigned else spatial


def _spatial_membership(zones: gpd.GeoDataFrame, villages: gpd.GeoDataFrame, half_width_km: float | None,
                        engine: str) -> Membership:
    """Return the pairs of placed villages inside outlined zones (every geometry present)."""
    crs = metric_crs_of(zones, villages)
    n_v, n_z = len(villages), len(zones)
    widths_m = (zones["half_width_km"].astype(float).to_numpy() if half_width_km is None
                else np.full(n_z, float(half_width_km))) * 1000.0
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




ASSIGNED_ZONE_PREFIX = "assigned-"  # zone_id of a zone that has members (by name) but no outline yet


def with_assigned_zones(zones: gpd.GeoDataFrame, villages: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return the zones plus one zone without an outline (geometry None) for each name villages are assigned to
    that no zone has: it is shown in every table with its members, and drawn once an outline of that name is saved.
    """
    if "zones_assigned" not in villages.columns or not len(villages):
        return zones
    known = set()
    for column in ("zone_id", "name_en", "name_zh"):
        known |= {_name_key(v) for v in zones[column] if isinstance(v, str)} if column in zones.columns else set()
    new: dict[str, str] = {}
    for text in villages["zones_assigned"]:
        for name in split_zone_names(text):
            if _name_key(name) not in known:
                new.setdefault(_name_key(name), name)
    if not new:
        return zones
    import pandas as pd

    extra = gpd.GeoDataFrame({
        "zone_id": [f"{ASSIGNED_ZONE_PREFIX}{key}" for key in new], "name_zh": list(new.values()),
        "name_en": list(new.values()), "kind": "valley", "half_width_km": np.nan,
        "industries": [[] for _ in new], "provenance": "user", "source": "assigned by name (所属沟域), no outline yet",
        "color": None,
    }, geometry=gpd.GeoSeries([None] * len(new), crs=4326), crs=4326)
    frame = pd.concat([zones.to_crs(4326), extra], ignore_index=True) if len(zones) else extra
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=4326)


def membership_disagreements(zones: gpd.GeoDataFrame, villages: gpd.GeoDataFrame) -> list[dict]:
    """Return the villages where outline and assignment disagree, for zones that have both an outline and members:
    {"village": position, "zone": position, "kind": "assigned_outside" | "inside_assigned_elsewhere"}.

    assigned_outside: assigned to a zone (by name) but its point lies outside the zone's outline;
    inside_assigned_elsewhere: inside an outline, but assigned to other zones only.
    """
    if "zones_assigned" not in villages.columns or not len(villages) or not len(zones):
        return []
    spatial = zone_membership(zones, villages, assigned=False)
    assigned = assigned_membership(zones, villages)
    inside = set(zip(spatial.village_pos.tolist(), spatial.zone_pos.tolist()))
    given = set(zip(assigned.village_pos.tolist(), assigned.zone_pos.tolist()))
    assigned_villages = set(assigned.village_pos.tolist())
    located = placed(villages)
    outlined = has_outline(zones)
    members = {z for _, z in given}
    out = [{"village": v, "zone": z, "kind": "assigned_outside"} for v, z in sorted(given - inside)
           if located[v] and outlined[z]]
    out += [{"village": v, "zone": z, "kind": "inside_assigned_elsewhere"} for v, z in sorted(inside - given)
            if v in assigned_villages and z in members]
    return out
