"""Valley zones (沟域) derived from the land: catchments of a region's rivers that tile the region.

The chain: `metric_dem` (the DEM on a square grid in the region's Gauss-Krüger CRS) → `drainage` (depressions
filled, D8 directions, flow cut at the region's outline, accumulation) → `outlet_groups` (the basins draining out of
the region; slivers along the outline merged into their neighbours) → `split_at_pour_points` (greedy: at each step
the mouth of the tributary — or of the upper main stem — whose catchment splits a zone most evenly becomes a new
zone's outlet, so the main stem's own area is shared out as reaches between confluences) → `label_polygons`
(cells to polygons, coverage-simplified so neighbours keep their shared edges, clipped to the outline) → names,
areas and terrain statistics. Zone boundaries then follow ridges except where they cross a valley at a confluence.
"""
from __future__ import annotations

import heapq
import math
from collections.abc import Callable
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from numba import njit

from geo.crs import area_km2, equal_area_crs, metric_crs, require_crs
from geo.terrain.dem import Dem, reproject_dem, sample_dem
from geo.terrain.flow import accumulate, flow_directions, restrict
from geo.zones import validate_zones

Progress = Callable[[float, str], None]

SLIVER_SHARE = 0.02  # an outlet basin smaller than this share of the region is merged into a neighbour
STREAM_SHARE = 1.0 / 400.0  # default stream threshold: a channel starts at this share of the region's area
MIN_STREAM_CELLS = 4  # ...and never at fewer cells than this
MAX_ZONES = 60  # min_area_km2 mode stops here however small the threshold
_DIRECTIONS = [("北部", "north"), ("东北部", "northeast"), ("东部", "east"), ("东南部", "southeast"),
               ("南部", "south"), ("西南部", "southwest"), ("西部", "west"), ("西北部", "northwest")]
_CENTRAL = ("中部", "central")
CENTRAL_SHARE = 0.12  # a zone whose centroid lies this close to the region's (share of its √area) is "central"


@dataclass(frozen=True)
class Drainage:
    """Flow on a metric grid cut at a region: receivers (-1 outlet, -2 outside), order, accumulation (cells)."""

    dem: Dem  # the metric DEM the flow was routed on
    inside: np.ndarray  # bool, flat: cell centre inside the region
    downstream: np.ndarray  # int64, flat
    order: np.ndarray  # int64, downstream-first
    accumulation: np.ndarray  # float64, flat: region cells draining through each cell (itself included)

    @property
    def cell_km2(self) -> float:
        return abs(self.dem.transform.a * self.dem.transform.e) / 1e6


def _outline_geometry(outline, crs) -> shapely.Geometry:
    require_crs(outline, "outline")
    series = outline.geometry if hasattr(outline, "geometry") else outline
    return shapely.union_all(series.to_crs(crs).values)


def metric_dem(dem: Dem, outline, *, cell_m: float | None = None) -> Dem:
    """Return the DEM on a square grid (cell_m metres) in the outline's Gauss-Krüger CRS, covering the DEM window."""
    crs = metric_crs(outline if hasattr(outline, "to_crs") else gpd.GeoSeries(outline))
    return reproject_dem(dem, crs, resolution=cell_m)


def region_mask(dem: Dem, geometry: shapely.Geometry) -> np.ndarray:
    """Return a bool grid of the cells whose centre lies inside a geometry in the DEM's CRS."""
    from rasterio.features import geometry_mask

    return geometry_mask([geometry], out_shape=dem.shape, transform=dem.transform, invert=True)


def drainage(dem_m: Dem, inside: np.ndarray) -> Drainage:
    """Route flow on a metric DEM and cut it at a region mask; accumulation counts region cells."""
    if dem_m.crs.is_geographic:
        raise ValueError("drainage needs a DEM in a metric CRS; reproject it with metric_dem first")
    inside = inside & np.isfinite(dem_m.array)
    if not inside.any():
        raise ValueError("the region holds no DEM cell with data; is the DEM over the region?")
    down, order, _ = flow_directions(dem_m.array, dx=abs(dem_m.transform.a), dy=abs(dem_m.transform.e))
    flat_inside = inside.ravel()
    cut = restrict(down, flat_inside)
    acc = accumulate(cut, order, flat_inside.astype(np.float64))
    return Drainage(dem_m, flat_inside, cut, order, acc)


@njit(cache=True)
def _labels(downstream, order, pour, outlet_label):
    """Label every cell with its zone: a pour point starts its own, an outlet takes its group's; -1 outside."""
    out = np.full(downstream.size, -1, dtype=np.int64)
    for idx in range(order.size):
        i = order[idx]
        j = downstream[i]
        if j == -2:
            continue
        if pour[i] >= 0:
            out[i] = pour[i]
        elif j == -1:
            out[i] = outlet_label[i]
        else:
            out[i] = out[j]
    return out


def _grid_adjacency(labels: np.ndarray, shape: tuple[int, int]) -> dict[tuple[int, int], int]:
    """Return {(a, b): shared cell edges} between differently labelled 4-neighbours (label -1 = outside, ignored)."""
    grid = labels.reshape(shape)
    base = int(grid.min())
    span = int(grid.max()) - base + 1
    keys = []
    for a, b in ((grid[:, :-1], grid[:, 1:]), (grid[:-1, :], grid[1:, :])):
        keep = (a != -1) & (b != -1) & (a != b)
        lo, hi = np.minimum(a[keep], b[keep]) - base, np.maximum(a[keep], b[keep]) - base
        keys.append(lo * span + hi)  # one integer per pair: a 1-D unique is much faster than a 2-D one
    both = np.concatenate(keys)
    if both.size == 0:
        return {}
    unique, counts = np.unique(both, return_counts=True)
    lo, hi = np.divmod(unique, span)
    return {(int(a) + base, int(b) + base): int(n) for a, b, n in zip(lo, hi, counts)}


def outlet_groups(flow: Drainage, *, min_cells: float, max_groups: int | None = None) -> np.ndarray:
    """Return per cell the id of its outlet group: basins leaving the region, small ones merged into neighbours."""
    n = flow.downstream.size
    outlets = np.flatnonzero(flow.downstream == -1)
    outlet_label = np.full(n, -1, dtype=np.int64)
    outlet_label[outlets] = np.arange(outlets.size)  # basins numbered 0..B-1 by outlet
    basin = _labels(flow.downstream, flow.order, np.full(n, -1, dtype=np.int64), outlet_label)
    size = {k: int(v) for k, v in enumerate(np.bincount(basin[basin >= 0], minlength=outlets.size))}
    adjacency = _grid_adjacency(basin, flow.dem.shape)
    neighbours: dict[int, dict[int, int]] = {k: {} for k in size}
    for (a, b), edges in adjacency.items():
        neighbours[a][b] = neighbours[a].get(b, 0) + edges
        neighbours[b][a] = neighbours[b].get(a, 0) + edges
    parent = {k: k for k in size}
    rows, cols = np.divmod(np.flatnonzero(basin >= 0), flow.dem.shape[1])
    weights = np.bincount(basin[basin >= 0], minlength=len(size)).astype(float)
    mean_row = np.bincount(basin[basin >= 0], rows, len(size)) / weights
    mean_col = np.bincount(basin[basin >= 0], cols, len(size)) / weights
    centre = {k: (mean_row[k], mean_col[k]) for k in size}

    def too_many() -> bool:
        return max_groups is not None and len(size) > max_groups

    queue = [(count, k) for k, count in size.items()]
    heapq.heapify(queue)
    while len(size) > 1 and queue:
        count, smallest = heapq.heappop(queue)
        if size.get(smallest) != count:
            continue  # stale entry: the group grew or was merged since
        if count >= min_cells and not too_many():
            break
        if neighbours[smallest]:
            target = max(neighbours[smallest], key=lambda k: (neighbours[smallest][k], k))
        else:  # a detached part of the region (an exclave): join the nearest group
            cy, cx = centre[smallest]
            target = min((k for k in size if k != smallest),
                         key=lambda k: ((centre[k][0] - cy) ** 2 + (centre[k][1] - cx) ** 2, k))
        total = size[target] + size[smallest]
        centre[target] = tuple((np.array(centre[target]) * size[target] + np.array(centre[smallest]) * size[smallest])
                               / total)
        size[target] = total
        size.pop(smallest)
        heapq.heappush(queue, (total, target))
        parent[smallest] = target
        for other, edges in neighbours.pop(smallest).items():
            neighbours[other].pop(smallest, None)
            if other != target:
                neighbours[target][other] = neighbours[target].get(other, 0) + edges
                neighbours[other][target] = neighbours[other].get(target, 0) + edges

    def root(k: int) -> int:
        while parent[k] != k:
            k = parent[k]
        return k

    lookup = np.array([root(k) for k in range(len(parent))], dtype=np.int64)
    _, compact = np.unique(lookup, return_inverse=True)
    out = np.full(n, -1, dtype=np.int64)
    out[basin >= 0] = compact[basin[basin >= 0]]
    return out


def _mouths(flow: Drainage, stream_cells: float) -> np.ndarray:
    """Return the cells that are the last cell of a stream before a confluence (candidate pour points)."""
    stream = flow.inside & (flow.accumulation >= stream_cells) & (flow.downstream >= 0)
    receivers = flow.downstream[stream]
    inflows = np.bincount(receivers, minlength=flow.downstream.size)
    return np.flatnonzero(stream & (inflows[np.maximum(flow.downstream, 0)] >= 2))


def split_at_pour_points(flow: Drainage, groups: np.ndarray, *, count: int | None = None,
                         min_cells: float | None = None, stream_cells: float,
                         progress: Progress | None = None) -> tuple[np.ndarray, list[int]]:
    """Split outlet groups at stream mouths, most even split first, until `count` zones or parts below min_cells.

    Returns the zone label per cell (-1 outside) and the pour-point cells chosen, in order.
    """
    n = flow.downstream.size
    pour = np.full(n, -1, dtype=np.int64)
    group_count = int(groups.max()) + 1
    candidates = _mouths(flow, stream_cells)
    chosen: list[int] = []
    labels = groups.copy()
    target = count if count is not None else MAX_ZONES
    while group_count + len(chosen) < target:
        cut = flow.downstream.copy()
        cut[pour >= 0] = -1
        local = accumulate(cut, flow.order, flow.inside.astype(np.float64))
        sizes = np.bincount(labels[labels >= 0], minlength=group_count + len(chosen))
        open_candidates = candidates[pour[candidates] < 0]
        if open_candidates.size == 0:
            break
        upstream = local[open_candidates]
        rest = sizes[labels[open_candidates]] - upstream
        score = np.minimum(upstream, rest)
        best = int(np.argmax(score))
        if score[best] <= 0 or (min_cells is not None and score[best] < min_cells):
            break
        cell = int(open_candidates[best])
        pour[cell] = group_count + len(chosen)
        chosen.append(cell)
        labels = _labels(flow.downstream, flow.order, pour, _outlet_lookup(flow, groups))
        if progress:
            progress(0.35 + 0.35 * len(chosen) / max(target - group_count, 1), f"zone {group_count + len(chosen)}")
    if count is not None and group_count + len(chosen) < count:
        raise ValueError(f"the terrain gives only {group_count + len(chosen)} valleys at a stream threshold of "
                         f"{stream_cells * flow.cell_km2:.1f} km²; ask for fewer zones or a smaller stream_area_km2")
    return labels, chosen


def _outlet_lookup(flow: Drainage, groups: np.ndarray) -> np.ndarray:
    lookup = np.full(flow.downstream.size, -1, dtype=np.int64)
    outlets = flow.downstream == -1
    lookup[outlets] = groups[outlets]
    return lookup


def absorb_fragments(labels: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Return labels where every zone is one 8-connected piece: detached pieces join the neighbour they share most with.

    Slivers merged into an outlet group stay with that group's label even after a split moves the group's main
    part elsewhere; this gives them to the zone around them. 8-connected, as D8 flow is: a tributary joining
    through a diagonal step stays with its valley.
    """
    from scipy.ndimage import label as connected

    grid = labels.reshape(shape).copy()
    for _ in range(50):
        pieces = np.zeros(shape, dtype=np.int64)
        offset = 0
        for zone in np.unique(grid[grid >= 0]):
            parts, n_parts = connected(grid == zone, structure=np.ones((3, 3), dtype=bool))
            if n_parts > 1:
                sizes = np.bincount(parts.ravel())[1:]
                keep = int(np.argmax(sizes)) + 1
                stray = (parts > 0) & (parts != keep)
                pieces[stray] = parts[stray] + offset
                offset += n_parts
        if offset == 0:
            break
        adjacency = _grid_adjacency(np.where(pieces > 0, -3 - pieces, grid).ravel(), shape)
        best: dict[int, tuple[int, int]] = {}
        for (a, b), edges in adjacency.items():
            for piece, other in ((a, b), (b, a)):
                if piece <= -3 and other >= 0 and edges > best.get(piece, (0, -1))[0]:
                    best[piece] = (edges, other)
        if not best:
            break
        codes = -3 - pieces
        for piece, (_, zone) in best.items():
            grid[codes == piece] = zone
    return grid.ravel()


def merge_small_zones(labels: np.ndarray, shape: tuple[int, int], min_cells: float) -> np.ndarray:
    """Return labels (renumbered 0..k-1) with every zone under min_cells merged into its longest-bordering neighbour."""
    grid = labels.copy()
    while True:
        ids, counts = np.unique(grid[grid >= 0], return_counts=True)
        if ids.size <= 1 or counts.min() >= min_cells:
            break
        small = int(ids[np.argmin(counts)])
        borders = {(b if a == small else a): n for (a, b), n in _grid_adjacency(grid, shape).items() if small in (a, b)}
        if not borders:
            break
        grid[grid == small] = max(borders, key=lambda k: (borders[k], k))
    _, compact = np.unique(grid, return_inverse=True)
    return np.where(grid >= 0, compact.reshape(grid.shape) - (1 if (grid < 0).any() else 0), -1)


def label_polygons(labels: np.ndarray, dem_m: Dem, geometry: shapely.Geometry, *,
                   simplify: bool = True) -> list[shapely.Geometry]:
    """Return one polygon per label (0..k-1) in the metric CRS, outside cells given the nearest label, clipped."""
    from rasterio.features import shapes
    from scipy.ndimage import distance_transform_edt

    grid = labels.reshape(dem_m.shape)
    unknown = grid < 0
    if unknown.any():
        _, (rows, cols) = distance_transform_edt(unknown, return_indices=True)
        grid = grid[rows, cols]
    count = int(grid.max()) + 1
    parts: list[list[shapely.Geometry]] = [[] for _ in range(count)]
    for geom, value in shapes(grid.astype(np.int32), transform=dem_m.transform, connectivity=4):
        parts[int(value)].append(shapely.geometry.shape(geom))
    polygons = np.array([shapely.union_all(p) for p in parts], dtype=object)
    if simplify:
        # Simplify the staircase of cell edges as a coverage so that neighbours keep one shared edge.
        polygons = shapely.coverage_simplify(polygons, tolerance=0.75 * abs(dem_m.transform.a))
        polygons = shapely.make_valid(polygons)
    clipped = shapely.intersection(polygons, geometry)
    return [_polygonal(g) for g in clipped]


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """Return the polygonal part of a geometry (clipping may add stray lines or points)."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    polys = [g for g in getattr(geom, "geoms", [geom]) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(polys) if polys else shapely.Polygon()


def slope_deg(dem_m: Dem) -> np.ndarray:
    """Return the slope (degrees) of every cell of a DEM in a metric CRS (NaN where a neighbour has no data)."""
    if dem_m.crs.is_geographic:
        raise ValueError("slope needs a DEM in a metric CRS; reproject it first (cells in degrees are not lengths)")
    gy, gx = np.gradient(dem_m.array.astype(np.float64), abs(dem_m.transform.e), abs(dem_m.transform.a))
    return np.degrees(np.arctan(np.hypot(gx, gy)))


def _direction_names(centroids: np.ndarray, centre: np.ndarray, scale_m: float) -> list[tuple[str, str]]:
    out = []
    for x, y in centroids:
        dx, dy = x - centre[0], y - centre[1]
        if math.hypot(dx, dy) < CENTRAL_SHARE * scale_m:
            out.append(_CENTRAL)
            continue
        bearing = (math.degrees(math.atan2(dx, dy)) + 360.0) % 360.0
        out.append(_DIRECTIONS[int(((bearing + 22.5) % 360.0) // 45.0)])
    return out


def derive_valley_zones(outline, dem: Dem, *, count: int | None = None, min_area_km2: float | None = None,
                        stream_area_km2: float | None = None, cell_m: float | None = None,
                        progress: Progress | None = None) -> gpd.GeoDataFrame:
    """Return valley zones (WGS84, zone schema + area and terrain columns) that tile a region's outline.

    Give `count` (how many zones) or `min_area_km2` (split while both parts stay at least this large).
    `stream_area_km2` is the catchment at which a channel starts (default 1/400 of the region); `cell_m` the
    metric grid's cell size (default: the DEM's own ground resolution). `progress(fraction, step)` is called
    as the work advances.
    """
    report = progress or (lambda fraction, step: None)
    if (count is None) == (min_area_km2 is None):
        raise ValueError("give exactly one of count (number of zones) or min_area_km2 (smallest zone, km²)")
    if count is not None and (int(count) != count or count < 1):
        raise ValueError(f"count must be a whole number ≥ 1, got {count!r}")
    if min_area_km2 is not None and not min_area_km2 > 0:
        raise ValueError(f"min_area_km2 must be > 0, got {min_area_km2!r}")
    report(0.0, "reproject")
    dem_m = metric_dem(dem, outline, cell_m=cell_m)
    geometry = _outline_geometry(outline, dem_m.crs)
    inside = region_mask(dem_m, geometry)
    report(0.1, "flow")
    flow = drainage(dem_m, inside)
    region_cells = float(flow.inside.sum())
    stream_cells = max(MIN_STREAM_CELLS, (stream_area_km2 / flow.cell_km2) if stream_area_km2 else
                       region_cells * STREAM_SHARE)
    report(0.3, "outlets")
    if count is not None:
        groups = outlet_groups(flow, min_cells=SLIVER_SHARE * region_cells, max_groups=int(count))
        labels, _ = split_at_pour_points(flow, groups, count=int(count), stream_cells=stream_cells, progress=report)
    else:
        min_cells = min_area_km2 / flow.cell_km2
        groups = outlet_groups(flow, min_cells=min_cells)
        labels, _ = split_at_pour_points(flow, groups, min_cells=min_cells, stream_cells=stream_cells,
                                         progress=report)
    report(0.75, "polygons")
    labels = absorb_fragments(labels, dem_m.shape)
    if min_area_km2 is not None:
        labels = merge_small_zones(labels, dem_m.shape, min_area_km2 / flow.cell_km2)
    polygons = label_polygons(labels, dem_m, geometry)
    zones = _zone_frame(polygons, labels, flow, geometry)
    report(1.0, "done")
    return zones


def _zone_frame(polygons: list[shapely.Geometry], labels: np.ndarray, flow: Drainage,
                geometry: shapely.Geometry) -> gpd.GeoDataFrame:
    """Return the zones frame: ranked by area, named by rank and position, with terrain statistics."""
    dem_m = flow.dem
    frame = gpd.GeoDataFrame(geometry=polygons, crs=dem_m.crs)
    keep = ~frame.geometry.is_empty
    frame = frame[keep]
    elevation = dem_m.array.ravel().astype(np.float64)
    slope = slope_deg(dem_m).ravel()
    stats = []
    for label in np.flatnonzero(keep.to_numpy()):
        cells = labels == label
        values = elevation[cells]
        values = values[np.isfinite(values)]
        slopes = slope[cells]
        slopes = slopes[np.isfinite(slopes)]
        stats.append({
            "elevation_min_m": float(values.min()) if values.size else np.nan,
            "elevation_max_m": float(values.max()) if values.size else np.nan,
            "elevation_mean_m": float(values.mean()) if values.size else np.nan,
            "slope_mean_deg": float(slopes.mean()) if slopes.size else np.nan,
        })
    stats = pd.DataFrame(stats, index=frame.index).round(2)
    stats["relief_m"] = stats["elevation_max_m"] - stats["elevation_min_m"]
    frame = frame.join(stats)
    frame["area_km2"] = area_km2(frame)
    frame = frame.sort_values("area_km2", ascending=False).reset_index(drop=True)
    centroids = np.column_stack([frame.geometry.centroid.x, frame.geometry.centroid.y])
    centre = np.array(geometry.centroid.coords[0])
    scale = math.sqrt(geometry.area)  # metric CRS: √area in metres
    names = _direction_names(centroids, centre, scale)
    rank = np.arange(1, len(frame) + 1)
    source = f"derived from {dem_m.source} by D8 flow routing on a {abs(dem_m.transform.a):.0f} m grid"
    frame = frame.assign(
        zone_id=[f"terrain-{r}" for r in rank],
        name_zh=[f"{zh}沟域 {r}" for (zh, _), r in zip(names, rank)],
        name_en=[f"Valley {r} ({en})" for (_, en), r in zip(names, rank)],
        kind="valley", half_width_km=np.nan, industries=[[] for _ in rank], provenance="derived",
        source=source, color=None,
    )
    extra = ["area_km2", "elevation_min_m", "elevation_max_m", "elevation_mean_m", "relief_m", "slope_mean_deg"]
    validated = validate_zones(frame.to_crs(4326))
    return validated.join(frame[extra].round(2).reset_index(drop=True))


def _internal_boundaries(zones: gpd.GeoDataFrame, outline, crs: pyproj.CRS, tolerance_m: float) -> shapely.Geometry:
    """Return the zone boundaries that are not on the region's outline, in a metric CRS."""
    region = _outline_geometry(outline, crs)
    lines = shapely.union_all(shapely.boundary(zones.geometry.to_crs(crs).values))
    return shapely.difference(lines, shapely.buffer(shapely.boundary(region), tolerance_m))


def boundary_elevation_excess_m(zones: gpd.GeoDataFrame, dem: Dem, outline, *, spacing_m: float = 100.0) -> float:
    """Return the median elevation (m) along zones' internal boundaries minus the region's median elevation.

    Positive when the boundaries run along ridges, negative when they cut across valley floors. Boundaries are
    sampled every `spacing_m` metres in the region's Gauss-Krüger CRS; the region's median is over DEM cells whose
    centre lies inside the outline.
    """
    require_crs(zones, "zones")
    crs = metric_crs(outline)
    lines = _internal_boundaries(zones, outline, crs, tolerance_m=1.0)
    if lines.is_empty:
        raise ValueError("the zones have no internal boundary (a single zone?): nothing to measure")
    dense = shapely.segmentize(lines, spacing_m)
    points = gpd.GeoSeries(shapely.points(shapely.get_coordinates(dense)), crs=crs).to_crs(4326)
    along = sample_dem(dem, points.x.to_numpy(), points.y.to_numpy(), method="bilinear")
    mask = region_mask(dem, _outline_geometry(outline, dem.crs))
    region = dem.array[mask & np.isfinite(dem.array)]
    if region.size == 0 or not np.isfinite(along).any():
        raise ValueError("the DEM has no data inside the outline; is it the region's DEM?")
    return float(np.nanmedian(along) - np.median(region))


def tiling_quality(zones: gpd.GeoDataFrame, outline) -> dict[str, float]:
    """Return the share (%) of the region covered by the zones and the share overlapped twice (equal-area CRS)."""
    crs = equal_area_crs()
    region = _outline_geometry(outline, crs)
    geoms = zones.geometry.to_crs(crs).values
    union = shapely.union_all(geoms)
    covered = shapely.area(shapely.intersection(union, region))
    overlap = float(np.sum(shapely.area(geoms))) - shapely.area(union)
    total = shapely.area(region)
    return {"covered_pct": 100.0 * covered / total, "overlap_pct": 100.0 * max(overlap, 0.0) / total}


def merge_valley_zones(zones: gpd.GeoDataFrame, zone_ids, *, name_zh: str | None = None,
                       name_en: str | None = None) -> gpd.GeoDataFrame:
    """Return derived zones with two or more of them merged into one (the first id keeps its place and name).

    Area (km²) is summed; elevation min/max are the extremes, the mean elevation and mean slope are area-weighted,
    relief is recomputed. The input is untouched.
    """
    require_crs(zones, "zones")
    ids = list(dict.fromkeys(zone_ids))
    unknown = [z for z in ids if z not in set(zones["zone_id"])]
    if unknown:
        raise ValueError(f"no zone {', '.join(map(str, unknown))} among {', '.join(zones['zone_id'])}")
    if len(ids) < 2:
        raise ValueError(f"merging needs two or more zones, got {len(ids)}")
    chosen = zones[zones["zone_id"].isin(ids)]
    keep = zones.index[zones["zone_id"] == ids[0]][0]
    out = zones.drop(index=chosen.index.difference([keep])).copy()
    geometry = shapely.union_all(chosen.geometry.values)
    out.loc[keep, "geometry"] = geometry
    if "area_km2" in out.columns:
        weights = chosen["area_km2"].to_numpy(dtype=float)
        out.loc[keep, "area_km2"] = round(float(weights.sum()), 2)
        for column in ("elevation_mean_m", "slope_mean_deg"):
            if column in out.columns:
                out.loc[keep, column] = round(float(np.average(chosen[column], weights=weights)), 2)
        if "elevation_min_m" in out.columns:
            out.loc[keep, "elevation_min_m"] = float(chosen["elevation_min_m"].min())
            out.loc[keep, "elevation_max_m"] = float(chosen["elevation_max_m"].max())
            out.loc[keep, "relief_m"] = round(out.loc[keep, "elevation_max_m"] - out.loc[keep, "elevation_min_m"], 2)
    if name_zh:
        out.loc[keep, "name_zh"] = name_zh
    if name_en:
        out.loc[keep, "name_en"] = name_en
    return out.reset_index(drop=True)


def split_valley_zone(zones: gpd.GeoDataFrame, zone_id, dem: Dem, *, parts: int = 2) -> gpd.GeoDataFrame:
    """Return derived zones with one of them split into `parts` catchments of its own land (WGS84; input untouched).

    The zone's outline is derived again as a region of its own (derive_valley_zones with count=parts), so the new
    boundaries follow its inner ridges; the pieces keep the zone's provenance and source and are named after it
    ("<name> 1", "<name> 2" …, ids "<id>-1" …), taking its place in the order.
    """
    require_crs(zones, "zones")
    hit = zones.index[zones["zone_id"] == zone_id]
    if not len(hit):
        raise ValueError(f"no zone {zone_id!r} among {', '.join(map(str, zones['zone_id']))}")
    row = zones.loc[hit[0]]
    outline = gpd.GeoDataFrame(geometry=[row.geometry], crs=zones.crs)
    pieces = derive_valley_zones(outline, dem, count=int(parts))
    pieces = pieces.assign(
        zone_id=[f"{zone_id}-{k}" for k in range(1, len(pieces) + 1)],
        name_zh=[f"{row['name_zh']} {k}" for k in range(1, len(pieces) + 1)],
        name_en=[f"{row['name_en']} {k}" for k in range(1, len(pieces) + 1)],
        provenance=row["provenance"], source=row["source"])
    pieces = pieces[[c for c in zones.columns if c in pieces.columns]].to_crs(zones.crs)
    at = list(zones.index).index(hit[0])
    return gpd.GeoDataFrame(pd.concat([zones.iloc[:at], pieces, zones.iloc[at + 1:]], ignore_index=True),
                            geometry="geometry", crs=zones.crs)
