"""Coverage metrics: per zone, the union, gaps, what-ifs, yearly series and pairing, from a membership.

Every function is pure: inputs untouched, results on the zones' (or villages') index. Pass the membership of
geo.coverage.membership (computed once per data version) to avoid recomputing it.
"""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.coverage.membership import Membership, assigned_membership, has_outline, metric_crs_of, zone_membership
from geo.crs import gk3_bands, gk3_epsg
from geo.villages import placed, poor_population, poverty_status
from geo.zones import MU_PER_KM2, zone_area_km2

WHATIF_WIDTHS_KM = tuple(np.round(np.arange(0.0, 20.01, 0.5), 2))  # the what-if curve's belt half-widths


def zone_metrics(zones: gpd.GeoDataFrame, villages: gpd.GeoDataFrame, year: int, *,
                 clip_to: gpd.GeoDataFrame | None = None, membership: Membership | None = None,
                 areas_km2: pd.Series | None = None) -> pd.DataFrame:
    """Return per-zone coverage in a year: villages, poverty villages, poor population, their shares, area, density.

    Shares are of the region's totals (all villages given). Areas are km² and 万亩 in the equal-area CRS; a belt's
    area is its corridor's, clipped to clip_to (the region boundary) when given. areas_km2: the zones' areas when
    already known (they do not depend on the year; geo.zones.zone_area_km2 with the same clip_to).
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
    if areas_km2 is not None:
        area = areas_km2
    else:
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
    Each village is measured in the Gauss-Kruger zone of its own longitude (a province spans several). An unplaced
    village has no distance (inf, nearest -1); a zone without an outline is never the nearest.
    """
    metric_crs_of(zones, villages)  # both layers must say their CRS
    n_v = len(villages)
    best = np.full(n_v, np.inf)
    nearest = np.full(n_v, -1, dtype=np.int64)
    located = np.flatnonzero(placed(villages)) if n_v else np.zeros(0, np.int64)
    if len(located) and len(zones) and has_outline(zones).any():
        outlined = has_outline(zones)
        is_belt = (zones["kind"] == "belt").to_numpy() & outlined
        widths_m = zones["half_width_km"].astype(float).to_numpy() * 1000.0
        polygon_pos = np.flatnonzero(~is_belt & outlined)
        lon = villages.geometry.iloc[located].to_crs(4326).x.to_numpy()
        for epsg, band in gk3_bands(lon).items():
            group = located[band]
            points = villages.geometry.iloc[group].to_crs(epsg).values
            shapes = zones.geometry.to_crs(epsg).values
            if len(polygon_pos):
                tree = shapely.STRtree(shapes[polygon_pos])
                (v, z), dist = tree.query_nearest(points, return_distance=True, all_matches=False)
                best[group[v]] = dist
                nearest[group[v]] = polygon_pos[z]
            for pos in np.flatnonzero(is_belt):
                dist = np.maximum(shapely.distance(points, shapes[pos]) - widths_m[pos], 0.0)
                closer = dist < best[group]
                best[group[closer]] = dist[closer]
                nearest[group[closer]] = pos
    return pd.DataFrame({"distance_m": best, "nearest_zone_pos": nearest}, index=villages.index)


def gap_list(zones: gpd.GeoDataFrame, villages: gpd.GeoDataFrame, year: int, *,
             membership: Membership | None = None) -> pd.DataFrame:
    """Return the poverty villages outside every zone in a year, nearest first, with the distance (km) to a zone.

    An unplaced poverty village assigned to no zone is listed last, with no distance (NaN, shown as —).
    """
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
    if len(villages) and is_belt.any():  # assigned to a belt: covered at any half-width
        in_polygon = in_polygon | assigned_membership(zones, villages).covered()
    belt_distance = np.full(len(villages), np.inf)
    lines = is_belt & has_outline(zones) if len(zones) else is_belt
    located = np.flatnonzero(placed(villages)) if len(villages) else np.zeros(0, np.int64)
    if lines.any() and len(located):
        metric_crs_of(zones, villages)
        for epsg, band in gk3_bands(villages.geometry.iloc[located].to_crs(4326).x.to_numpy()).items():
            group = located[band]
            points = villages.geometry.iloc[group].to_crs(epsg).values
            for line in zones[lines].geometry.to_crs(epsg).values:
                belt_distance[group] = np.minimum(belt_distance[group], shapely.distance(points, line))
    rows = []
    for width in widths_km:
        covered = in_polygon | (belt_distance <= float(width) * 1000.0)
        covered_poor = poor_people[covered].sum()
        rows.append({"half_width_km": float(width), "poor_population_covered": int(covered_poor),
                     "poor_population_share": covered_poor / total if total else 0.0,
                     "poverty_villages_covered": int((covered & poor_flag).sum())})
    return pd.DataFrame(rows)


def coverage_over_years(zones: gpd.GeoDataFrame, villages: gpd.GeoDataFrame, years, *,
                        membership: Membership | None = None) -> pd.DataFrame:
    """Return the union coverage for each year (poor population covered and total, poverty villages)."""
    membership = membership or zone_membership(zones, villages)
    rows = [{"year": y, **union_coverage(zones, villages, y, membership=membership)} for y in years]
    return pd.DataFrame(rows)


def pairing(zones: gpd.GeoDataFrame, villages: gpd.GeoDataFrame, year: int, *,
            membership: Membership | None = None) -> pd.DataFrame:
    """Pair each poverty village of a year one-to-one with the nearest free non-poverty village in the same zone.

    The closest pairs are made first (greedy); a poverty village left without a free partner in its zone, or
    outside every zone, gets none. A village in several zones is paired within the first of them. Unplaced villages
    have no distance and are not paired.
    """
    membership = membership or zone_membership(zones, villages)
    poor_flag = poverty_status(villages, year).to_numpy() if len(villages) else np.zeros(0, bool)
    home = membership.first_zone()
    located = placed(villages) if len(villages) else np.zeros(0, bool)
    columns = ["village_id", "name", "zone_id", "partner_id", "partner_name", "distance_km"]
    if not poor_flag.any():
        return pd.DataFrame(columns=columns)
    metric_crs_of(zones, villages)
    lonlat = np.full((len(villages), 2), np.nan)
    lonlat[located] = shapely.get_coordinates(villages.geometry.iloc[np.flatnonzero(located)].to_crs(4326).values)
    partner = np.full(len(villages), -1, dtype=np.int64)
    partner_dist = np.full(len(villages), np.nan)
    for zone in np.unique(home[home >= 0]):
        needy = np.flatnonzero((home == zone) & poor_flag & located)
        helpers = np.flatnonzero((home == zone) & ~poor_flag & located)
        if not len(needy) or not len(helpers):
            continue
        # measured in the Gauss-Kruger zone of the zone's own villages (a province spans several)
        epsg = gk3_epsg(float(np.mean(lonlat[np.concatenate([needy, helpers]), 0])))
        a = shapely.get_coordinates(villages.geometry.iloc[needy].to_crs(epsg).values)
        b = shapely.get_coordinates(villages.geometry.iloc[helpers].to_crs(epsg).values)
        d = np.hypot(a[:, None, 0] - b[None, :, 0], a[:, None, 1] - b[None, :, 1])
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
