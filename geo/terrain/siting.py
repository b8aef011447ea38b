"""Where things sit on the land: a settlement suitability grid and least-cost paths along valley floors.

Both work on a DEM in a metric CRS (Gauss-Krüger metres, see `valleys.metric_dem`). The illustrative seed data uses
them (scripts/build_seed_data.py): villages are drawn where villages are — valley floors and gentle slopes near
streams, below the snow line — and industry belts follow valleys between district seats instead of crossing ranges.
"""
from __future__ import annotations

import math

import numpy as np
import shapely

from geo.terrain.dem import Dem
from geo.terrain.flow import accumulate, flow_directions

SLOPE_SCALE_DEG = 8.0  # suitability halves roughly every this many degrees of slope
STREAM_SCALE_M = 1500.0  # ... and falls off with distance from a stream over this many metres
FLOOR_SCALE_M = 350.0  # ... and with height above the local valley floor over this many metres
FLOOR_WINDOW_M = 6000.0  # the local valley floor is the lowest cell within this distance
STREAM_CELLS = 25  # a stream starts where this many cells drain through a cell
PATH_SLOPE_SCALE_DEG = 6.0  # least-cost path: a cell costs 1 + (slope / this)² per metre
PATH_FLOOR_SCALE_M = 300.0  # ... times 1 + (height above the local valley floor / this)


def _require_metric(dem_m: Dem) -> None:
    if dem_m.crs.is_geographic:
        raise ValueError("siting needs a DEM in a metric CRS (Gauss-Krüger metres); reproject it with "
                         "geo.terrain.valleys.metric_dem first")


def height_above_floor_m(dem_m: Dem, *, window_m: float = FLOOR_WINDOW_M) -> np.ndarray:
    """Return each cell's height (m) above the lowest cell within window_m metres (NaN on no data)."""
    from scipy.ndimage import minimum_filter

    _require_metric(dem_m)
    z = dem_m.array.astype(np.float64)
    size = max(3, int(round(window_m / abs(dem_m.transform.a))) | 1)
    floor = minimum_filter(np.where(np.isfinite(z), z, np.inf), size=size, mode="nearest")
    return np.where(np.isfinite(z), z - floor, np.nan)


def stream_distance_m(dem_m: Dem, *, stream_cells: int = STREAM_CELLS) -> np.ndarray:
    """Return each cell's distance (m) to the nearest stream cell (D8 accumulation ≥ stream_cells)."""
    from scipy.ndimage import distance_transform_edt

    _require_metric(dem_m)
    z = dem_m.array
    down, order, _ = flow_directions(z, dx=abs(dem_m.transform.a), dy=abs(dem_m.transform.e))
    acc = accumulate(down, order, np.isfinite(z).ravel().astype(np.float64)).reshape(z.shape)
    stream = acc >= stream_cells
    if not stream.any():
        return np.zeros(z.shape)
    return distance_transform_edt(~stream, sampling=(abs(dem_m.transform.e), abs(dem_m.transform.a)))


def settlement_suitability(dem_m: Dem, *, snow_line_m: float | None = None) -> np.ndarray:
    """Return a relative suitability (0..1) of each cell for a village: gentle, low in its valley, near a stream.

    Cells at or above `snow_line_m` (m a.s.l.) get 0; no-data cells get 0.
    """
    from geo.terrain.valleys import slope_deg

    _require_metric(dem_m)
    slope = slope_deg(dem_m)
    score = (np.exp(-np.nan_to_num(slope, nan=90.0) / SLOPE_SCALE_DEG)
             * np.exp(-np.nan_to_num(height_above_floor_m(dem_m), nan=1e4) / FLOOR_SCALE_M)
             * np.exp(-stream_distance_m(dem_m) / STREAM_SCALE_M))
    valid = np.isfinite(dem_m.array)
    if snow_line_m is not None:
        valid &= dem_m.array < snow_line_m
    score = np.where(valid, score, 0.0)
    peak = score.max()
    return score / peak if peak > 0 else score


def sample_weighted_points(weights: np.ndarray, dem_m: Dem, area: shapely.Geometry, n: int,
                           rng: np.random.Generator) -> np.ndarray:
    """Return n points (x, y in the DEM's metric CRS) inside an area, drawn with probability ∝ a cell weight grid.

    A cell is drawn by weight, then a point uniformly inside it; points outside the area are drawn again.
    """
    if n == 0:
        return np.zeros((0, 2))
    from rasterio.features import geometry_mask

    inside = geometry_mask([area.buffer(abs(dem_m.transform.a))], out_shape=dem_m.shape, transform=dem_m.transform,
                           invert=True)
    w = np.where(inside, weights, 0.0).ravel()
    if not w.sum() > 0:
        raise ValueError("no cell of positive weight lies in the area: cannot place points there")
    p = w / w.sum()
    shapely.prepare(area)
    out: list[np.ndarray] = []
    have = 0
    for _ in range(1000):
        batch = max(64, 3 * (n - have))
        cells = rng.choice(w.size, size=batch, p=p)
        rows, cols = np.divmod(cells, dem_m.shape[1])
        x, y = dem_m.transform @ (cols + rng.uniform(0, 1, batch), rows + rng.uniform(0, 1, batch))
        keep = shapely.contains_xy(area, x, y)
        out.append(np.column_stack([x[keep], y[keep]]))
        have += int(keep.sum())
        if have >= n:
            break
    points = np.concatenate(out)
    if len(points) < n:
        raise ValueError(f"placed only {len(points)} of {n} points: the area is mostly outside the weighted cells")
    return points[:n]


def path_cost(dem_m: Dem) -> np.ndarray:
    """Return the cost per metre of crossing each cell: steep slopes and heights above the valley floor cost more."""
    from geo.terrain.valleys import slope_deg

    slope = np.nan_to_num(slope_deg(dem_m), nan=60.0)
    floor = np.nan_to_num(height_above_floor_m(dem_m), nan=2000.0)
    return (1.0 + (slope / PATH_SLOPE_SCALE_DEG) ** 2) * (1.0 + floor / PATH_FLOOR_SCALE_M)


def least_cost_path(dem_m: Dem, waypoints, *, cost: np.ndarray | None = None) -> shapely.LineString:
    """Return the cheapest 8-connected path (metric CRS) through waypoints (x, y) in order, on the cost grid.

    Each step between neighbouring cells costs its length (m) times the mean of the two cells' cost; the result is
    the chain of cell centres, smoothed a little (simplified to half a cell).
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import dijkstra

    _require_metric(dem_m)
    grid = path_cost(dem_m) if cost is None else np.asarray(cost, dtype=np.float64)
    rows, cols = grid.shape
    dx, dy = abs(dem_m.transform.a), abs(dem_m.transform.e)
    index = np.arange(rows * cols).reshape(rows, cols)
    heads, tails, weights = [], [], []
    for dr, dc in ((0, 1), (1, 0), (1, 1), (1, -1)):
        r0, r1 = max(0, -dr), rows - max(0, dr)
        c0, c1 = max(0, -dc), cols - max(0, dc)
        a = index[r0:r1, c0:c1].ravel()
        b = index[r0 + dr:r1 + dr, c0 + dc:c1 + dc].ravel()
        step = math.hypot(dr * dy, dc * dx)
        w = step * (grid.ravel()[a] + grid.ravel()[b]) / 2.0
        heads += [a, b]
        tails += [b, a]
        weights += [w, w]
    graph = coo_matrix((np.concatenate(weights), (np.concatenate(heads), np.concatenate(tails))),
                       shape=(rows * cols, rows * cols)).tocsr()
    inverse = ~dem_m.transform
    cells = []
    for x, y in waypoints:
        col, row = inverse @ (x, y)
        r = int(np.clip(math.floor(row), 0, rows - 1))
        c = int(np.clip(math.floor(col), 0, cols - 1))
        cells.append(r * cols + c)
    chain: list[int] = [cells[0]]
    for start, end in zip(cells, cells[1:]):
        _, predecessors = dijkstra(graph, indices=start, return_predecessors=True)
        leg = [end]
        while leg[-1] != start:
            previous = predecessors[leg[-1]]
            if previous < 0:
                raise ValueError("the waypoints are not connected on the DEM (no data between them?)")
            leg.append(int(previous))
        chain += leg[::-1][1:]
    r, c = np.divmod(np.asarray(chain), cols)
    x, y = dem_m.transform @ (c + 0.5, r + 0.5)
    line = shapely.LineString(np.column_stack([x, y]))
    return shapely.simplify(line, 0.5 * dx)
