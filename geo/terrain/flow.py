"""D8 flow routing on a metric grid: depressions filled by priority flood, steepest-descent directions, accumulation.

Cells are addressed by their flat (row-major) index. `downstream[i]` is the cell that cell i drains to, or -1 where
water leaves the grid (an edge, or next to no data). `order` lists the cells downstream-first (the flood's pop
order), so one pass in reverse accumulates flow and one pass forward labels basins. Every direction points to a cell
earlier in `order`, so the network has no cycles: steepest descent goes strictly downhill on the filled surface,
and on flats and filled depressions water follows the flood back to where it spilled in.
"""
from __future__ import annotations

import heapq

import numpy as np
from numba import njit

# Row and column steps of the eight neighbours: N, NE, E, SE, S, SW, W, NW.
_DR = np.array([-1, -1, 0, 1, 1, 1, 0, -1], dtype=np.int64)
_DC = np.array([0, 1, 1, 1, 0, -1, -1, -1], dtype=np.int64)


@njit(cache=True)
def _priority_flood(z, dr, dc):
    """Return (filled surface, flood parent, pop order) of a grid (NaN = no data), flooded from its edges."""
    rows, cols = z.shape
    n = rows * cols
    filled = np.full(n, np.nan)
    parent = np.full(n, -1, dtype=np.int64)
    order = np.empty(n, dtype=np.int64)
    seen = np.zeros(n, dtype=np.bool_)
    heap = [(0.0, np.int64(0), np.int64(0))]
    heap.pop()
    counter = np.int64(0)
    for r in range(rows):
        for c in range(cols):
            if np.isnan(z[r, c]):
                continue
            edge = r == 0 or c == 0 or r == rows - 1 or c == cols - 1
            if not edge:
                for k in range(8):
                    if np.isnan(z[r + dr[k], c + dc[k]]):
                        edge = True
                        break
            if edge:
                i = r * cols + c
                seen[i] = True
                filled[i] = z[r, c]
                heapq.heappush(heap, (z[r, c], counter, np.int64(i)))
                counter += 1
    popped = 0
    while len(heap) > 0:
        level, _, i = heapq.heappop(heap)
        order[popped] = i
        popped += 1
        r = i // cols
        c = i - r * cols
        for k in range(8):
            rr = r + dr[k]
            cc = c + dc[k]
            if rr < 0 or cc < 0 or rr >= rows or cc >= cols:
                continue
            j = rr * cols + cc
            if seen[j] or np.isnan(z[rr, cc]):
                continue
            seen[j] = True
            filled[j] = max(z[rr, cc], level)
            parent[j] = i
            heapq.heappush(heap, (filled[j], counter, j))
            counter += 1
    return filled, parent, order[:popped]


@njit(cache=True)
def _steepest(filled, parent, order, cols, dx, dy, dr, dc):
    """Return each cell's D8 receiver: steepest strictly-downhill neighbour, else the flood parent (-1 = outlet)."""
    n = filled.size
    rows = n // cols
    down = np.full(n, -1, dtype=np.int64)
    dist = np.empty(8)
    for k in range(8):
        dist[k] = np.sqrt((dr[k] * dy) ** 2 + (dc[k] * dx) ** 2)
    for idx in range(order.size):
        i = order[idx]
        r = i // cols
        c = i - r * cols
        best = 0.0
        target = -1
        for k in range(8):
            rr = r + dr[k]
            cc = c + dc[k]
            if rr < 0 or cc < 0 or rr >= rows or cc >= cols:
                continue
            j = rr * cols + cc
            if np.isnan(filled[j]):
                continue
            drop = (filled[i] - filled[j]) / dist[k]
            if drop > best:
                best = drop
                target = j
        down[i] = target if target >= 0 else parent[i]
    return down


@njit(cache=True)
def accumulate(downstream, order, weights):
    """Return the total weight draining through each cell (itself included), in the units of `weights`."""
    acc = weights.astype(np.float64).copy()
    for idx in range(order.size - 1, -1, -1):
        i = order[idx]
        j = downstream[i]
        if j >= 0:
            acc[j] += acc[i]
    return acc


def flow_directions(z: np.ndarray, *, dx: float, dy: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (downstream index, downstream-first order, filled elevation m) for a metric grid (cell dx, dy in m)."""
    z = np.ascontiguousarray(z, dtype=np.float64)
    if z.ndim != 2 or z.size == 0:
        raise ValueError(f"expected a 2-D elevation grid, got shape {z.shape}")
    filled, parent, order = _priority_flood(z, _DR, _DC)
    down = _steepest(filled, parent, order, z.shape[1], float(dx), float(dy), _DR, _DC)
    return down, order, filled.reshape(z.shape)


@njit(cache=True)
def restrict(downstream, inside):
    """Return receivers cut at a mask: a cell inside whose receiver is outside becomes an outlet (-1); outside: -2."""
    out = downstream.copy()
    for i in range(out.size):
        if not inside[i]:
            out[i] = -2
        elif out[i] >= 0 and not inside[out[i]]:
            out[i] = -1
    return out
