"""Coverage: which villages and how many poor people each zone's industries reach, the union, gaps and what-ifs.

Every function is pure: inputs untouched, results on the zones' (or villages') index. Membership is exact and
measured in metres in the CGCS2000 Gauss-Kruger zone of the zones (never degrees, never EPSG:3857):
- a village is in a valley/county zone when the zone's polygon covers its point (a point on the edge counts, so a
  village on the shared edge of two zones counts in both; the union counts it once);
- a village is in a belt when its distance to the belt's centreline is at most the half-width.
"""
from __future__ import annotations

import hashlib
import weakref
from collections import OrderedDict
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from geo.crs import metric_crs, require_crs
from geo.villages import poor_population, poverty_status
from geo.zones import MU_PER_KM2, zone_area_km2

WHATIF_WIDTHS_KM = tuple(np.round(np.arange(0.0, 20.01, 0.5), 2))  # the what-if curve's belt half-widths


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


def _metric_frame(zones: gpd.GeoDataFrame, villages: gpd.GeoDataFrame):
    require_crs(zones, "zones")
    require_crs(villages, "villages")
    crs = metric_crs(zones) if len(zones) else (metric_crs(villages) if len(villages) else None)
    return crs


FAST_PATH_MIN_VILLAGES = 20_000  # from this many villages up, zone_membership uses the grid engine (geo/engine.py)
_CACHE_SIZE = 8  # projected zones + their index, and projected village coordinates, kept per fingerprint
_INDEXES: "OrderedDict[tuple, object]" = OrderedDict()
_VILLAGE_XY: "OrderedDict[tuple, tuple[np.ndarray, np.ndarray]]" = OrderedDict()


def _remember(cache: OrderedDict, key, make):
    if key in cache:
        cache.move_to_end(key)
        return cache[key]
    value = make()
    cache[key] = value
    while len(cache) > _CACHE_SIZE:
        cache.popitem(last=False)
    return value


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

    return _remember(_VILLAGE_XY, key, project)


def zone_index(zones: gpd.GeoDataFrame, crs, widths_m: np.ndarray):
    """Return the grid index (geo.engine.ZoneIndex) of a set of zones in a CRS, built once and cached."""
    from geo.engine import ZoneIndex

    def build():
        shapes = zones.geometry.to_crs(crs).values
        return ZoneIndex.build(shapes, (zones["kind"] == "belt").to_numpy(), widths_m)

    return _remember(_INDEXES, _zones_fingerprint(zones, crs, widths_m), build)


def zone_membership(zones: gpd.GeoDataFrame, villages: gpd.GeoDataFrame, *,
                    half_width_km: float | None = None, engine: str = "auto") -> Membership:
    """Return the exact village-in-zone pairs (belts by centreline distance ≤ half-width, in metres).

    half_width_km overrides every belt's own half-width. engine: "simple" (STRtree predicates), "grid" (the
    cached grid index of geo/engine.py) or "auto" (grid from FAST_PATH_MIN_VILLAGES villages up); both give the
    same pairs.
    """
    crs = _metric_frame(zones, villages)
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


def zone_metrics(zones: gpd.GeoDataFrame, villages: gpd.GeoDataFrame, year: int, *,
                 clip_to: gpd.GeoDataFrame | None = None, membership: Membership | None = None) -> pd.DataFrame:
    """Return per-zone coverage in a year: villages, poverty villages, poor population, their shares, area, density.

    Shares are of the region's totals (all villages given). Areas are km² and 万亩 in the equal-area CRS; a belt's
    area is its corridor's, clipped to clip_to (the region boundary) when given.
    """
    membership = membership or zone_membership(zones, villages)
    poor_flag = poverty_status(villages, year).to_numpy() if len(villages) else np.zeros(0, bool)
    poor_people = poor_population(villages, year).to_numpy() if len(villages) else np.zeros(0)
    ones = np.ones(len(villages))
    out = pd.DataFrame(index=zones.index)
    out["zone_id"] = zones["zone_id"]
    out["name_zh"] = zones["name_zh"]
    out["name_en"] = zones["name_en"]
    out["kind"] = zones["kind"]
    out["half_width_km"] = zones["half_width_km"]
    out["industries"] = zones["industries"]
    out["provenance"] = zones["provenance"]
    out["villages"] = membership.per_zone(ones).astype(np.int64)
    out["poverty_villages"] = membership.per_zone(poor_flag).astype(np.int64)
    out["poor_population"] = membership.per_zone(poor_people).astype(np.int64)
    out["village_share"] = _share(out["villages"], len(villages))
    out["poverty_village_share"] = _share(out["poverty_villages"], int(poor_flag.sum()))
    out["poor_population_share"] = _share(out["poor_population"], int(poor_people.sum()))
    area = zone_area_km2(zones, clip_to=clip_to) if len(zones) else pd.Series(dtype=float)
    out["area_km2"] = area
    out["area_10k_mu"] = area * MU_PER_KM2 / 1e4
    with np.errstate(divide="ignore", invalid="ignore"):
        out["poor_per_km2"] = np.where(area > 0, out["poor_population"] / area, np.nan)
        out["villages_per_100km2"] = np.where(area > 0, out["villages"] / area * 100, np.nan)
    return out


def _share(part, whole) -> pd.Series:
    part = pd.Series(part, dtype=float)
    return part / whole if whole else part * 0.0


def union_coverage(zones: gpd.GeoDataFrame, villages: gpd.GeoDataFrame, year: int, *,
                   membership: Membership | None = None) -> dict:
    """Return what the zones together reach in a year; a village in several zones counts once."""
    membership = membership or zone_membership(zones, villages)
    covered = membership.covered()
    poor_flag = poverty_status(villages, year).to_numpy() if len(villages) else np.zeros(0, bool)
    poor_people = poor_population(villages, year).to_numpy() if len(villages) else np.zeros(0, np.int64)
    total_poor = int(poor_people.sum())
    total_pv = int(poor_flag.sum())
    covered_poor = int(poor_people[covered].sum())
    covered_pv = int((poor_flag & covered).sum())
    return {
        "villages_covered": int(covered.sum()),
        "villages_total": int(len(villages)),
        "poverty_villages_covered": covered_pv,
        "poverty_villages_total": total_pv,
        "poverty_village_share": covered_pv / total_pv if total_pv else 0.0,
        "poor_population_covered": covered_poor,
        "poor_population_total": total_poor,
        "poor_population_share": covered_poor / total_poor if total_poor else 0.0,
    }


def distance_to_zones_m(zones: gpd.GeoDataFrame, villages: gpd.GeoDataFrame) -> pd.DataFrame:
    """Return each village's distance (m) to the nearest zone — 0 inside — and that zone's position.

    A belt's distance is the distance to its centreline minus its half-width (exact, not via a buffered polygon).
    """
    crs = _metric_frame(zones, villages)
    n_v = len(villages)
    best = np.full(n_v, np.inf)
    nearest = np.full(n_v, -1, dtype=np.int64)
    if n_v and len(zones):
        points = villages.geometry.to_crs(crs).values
        shapes = zones.geometry.to_crs(crs).values
        is_belt = (zones["kind"] == "belt").to_numpy()
        widths_m = zones["half_width_km"].astype(float).to_numpy() * 1000.0
        polygon_pos = np.flatnonzero(~is_belt)
        if len(polygon_pos):
            tree = shapely.STRtree(shapes[polygon_pos])
            (v, z), dist = tree.query_nearest(points, return_distance=True, all_matches=False)
            best[v] = dist
            nearest[v] = polygon_pos[z]
        for pos in np.flatnonzero(is_belt):
            dist = np.maximum(shapely.distance(points, shapes[pos]) - widths_m[pos], 0.0)
            closer = dist < best
            best[closer] = dist[closer]
            nearest[closer] = pos
    return pd.DataFrame({"distance_m": best, "nearest_zone_pos": nearest}, index=villages.index)


def gap_list(zones: gpd.GeoDataFrame, villages: gpd.GeoDataFrame, year: int, *,
             membership: Membership | None = None) -> pd.DataFrame:
    """Return the poverty villages outside every zone in a year, nearest first, with the distance (km) to a zone."""
    membership = membership or zone_membership(zones, villages)
    poor_flag = poverty_status(villages, year).to_numpy() if len(villages) else np.zeros(0, bool)
    outside = poor_flag & ~membership.covered()
    gaps = villages.loc[outside]
    columns = ["village_id", "name", "township", "code", "poor_population", "distance_km", "nearest_zone_id"]
    if gaps.empty:
        return pd.DataFrame(columns=columns)
    dist = distance_to_zones_m(zones, gaps)
    zone_ids = zones["zone_id"].to_numpy()
    out = pd.DataFrame({
        "village_id": gaps["village_id"], "name": gaps["name"], "township": gaps["township"], "code": gaps["code"],
        "poor_population": poor_population(gaps, year),
        "distance_km": dist["distance_m"] / 1000.0,
        "nearest_zone_id": [zone_ids[p] if p >= 0 else None for p in dist["nearest_zone_pos"]],
    })
    out.loc[~np.isfinite(out["distance_km"]), "distance_km"] = np.nan
    return out.sort_values(["distance_km", "village_id"], na_position="last")


def whatif_curve(zones: gpd.GeoDataFrame, villages: gpd.GeoDataFrame, year: int,
                 widths_km=WHATIF_WIDTHS_KM) -> pd.DataFrame:
    """Return the share of the poor population covered as every belt's half-width varies (valleys unchanged)."""
    poor_people = poor_population(villages, year).to_numpy().astype(float) if len(villages) else np.zeros(0)
    poor_flag = poverty_status(villages, year).to_numpy() if len(villages) else np.zeros(0, bool)
    total = poor_people.sum()
    is_belt = (zones["kind"] == "belt").to_numpy() if len(zones) else np.zeros(0, bool)
    in_polygon = zone_membership(zones[~is_belt], villages).covered() if len(villages) else np.zeros(0, bool)
    belt_distance = np.full(len(villages), np.inf)
    if is_belt.any() and len(villages):
        crs = _metric_frame(zones, villages)
        points = villages.geometry.to_crs(crs).values
        for line in zones[is_belt].geometry.to_crs(crs).values:
            belt_distance = np.minimum(belt_distance, shapely.distance(points, line))
    rows = []
    for width in widths_km:
        covered = in_polygon | (belt_distance <= float(width) * 1000.0)
        covered_poor = poor_people[covered].sum()
        rows.append({"half_width_km": float(width), "poor_population_covered": int(covered_poor),
                     "poor_population_share": covered_poor / total if total else 0.0,
                     "poverty_villages_covered": int((covered & poor_flag).sum())})
    return pd.DataFrame(rows)


def coverage_over_years(zones: gpd.GeoDataFrame, villages: gpd.GeoDataFrame, years) -> pd.DataFrame:
    """Return the union coverage for each year (poor population covered and total, poverty villages)."""
    membership = zone_membership(zones, villages)
    rows = [{"year": y, **union_coverage(zones, villages, y, membership=membership)} for y in years]
    return pd.DataFrame(rows)


def pairing(zones: gpd.GeoDataFrame, villages: gpd.GeoDataFrame, year: int, *,
            membership: Membership | None = None) -> pd.DataFrame:
    """Pair each poverty village of a year one-to-one with the nearest free non-poverty village in the same zone.

    The closest pairs are made first (greedy); a poverty village left without a free partner in its zone, or
    outside every zone, gets none. A village in several zones is paired within the first of them.
    """
    membership = membership or zone_membership(zones, villages)
    poor_flag = poverty_status(villages, year).to_numpy() if len(villages) else np.zeros(0, bool)
    home = membership.first_zone()
    columns = ["village_id", "name", "zone_id", "partner_id", "partner_name", "distance_km"]
    if not poor_flag.any():
        return pd.DataFrame(columns=columns)
    crs = _metric_frame(zones, villages)
    xy = shapely.get_coordinates(villages.geometry.to_crs(crs).values)
    partner = np.full(len(villages), -1, dtype=np.int64)
    partner_dist = np.full(len(villages), np.nan)
    for zone in np.unique(home[home >= 0]):
        needy = np.flatnonzero((home == zone) & poor_flag)
        helpers = np.flatnonzero((home == zone) & ~poor_flag)
        if not len(needy) or not len(helpers):
            continue
        d = np.hypot(xy[needy, None, 0] - xy[None, helpers, 0], xy[needy, None, 1] - xy[None, helpers, 1])
        order = np.argsort(d, axis=None, kind="stable")
        used_n, used_h = set(), set()
        for flat in order:
            i, j = divmod(int(flat), len(helpers))
            if i in used_n or j in used_h:
                continue
            used_n.add(i)
            used_h.add(j)
            partner[needy[i]] = helpers[j]
            partner_dist[needy[i]] = d[i, j]
            if len(used_n) == len(needy) or len(used_h) == len(helpers):
                break
    rows = np.flatnonzero(poor_flag)
    zone_ids = zones["zone_id"].to_numpy()
    names = villages["name"].to_numpy()
    ids = villages["village_id"].to_numpy()
    return pd.DataFrame({
        "village_id": ids[rows], "name": names[rows],
        "zone_id": [zone_ids[home[r]] if home[r] >= 0 else None for r in rows],
        "partner_id": [ids[partner[r]] if partner[r] >= 0 else None for r in rows],
        "partner_name": [names[partner[r]] if partner[r] >= 0 else None for r in rows],
        "distance_km": partner_dist[rows] / 1000.0,
    }, index=villages.index[rows])


def paired_village_count(pairs: pd.DataFrame) -> int:
    """Return the number of distinct villages in pairs (both sides of every pair)."""
    matched = pairs.dropna(subset=["partner_id"])
    return int(len(set(matched["village_id"]) | set(matched["partner_id"])))
