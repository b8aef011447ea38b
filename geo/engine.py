"""The fast exact membership engine: a grid index over the zones, exact tests only near their edges.

Villages are plain x/y float64 arrays in the zones' metric CRS (16 bytes a village, never Point objects).

Polygons (valleys, counties): the zones are rasterised onto a grid. A cell that no zone edge touches (GDAL
all_touched, widened by one cell) and that lies in at most one zone is decided by its owner; a village in any
other cell is tested exactly with the same predicate as the simple path (shapely "intersects": a point on an edge
counts). Belts: per belt, cells whose centre lies inside the centreline buffered by (half-width − cell diagonal)
are inside, cells whose centre lies outside the buffer by (half-width + cell diagonal) — widened for the buffer's
chords — are outside, and the villages of the cells between are tested exactly with shapely.dwithin.

So the fast path answers exactly what the simple path answers (tests/test_engine.py proves it on random inputs).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely

MAX_CELLS = 1 << 24  # grid size cap (16.8 M cells: 64 MB of int32 owners) for a polygon index
BELT_MAX_CELLS = 1 << 22  # per belt
CHUNK = 1 << 18  # villages per chunk: keeps the temporaries of a query to a few MB
QUAD_SEGS = 16  # buffer resolution for the belt bands
UNDECIDED = -2  # owner of a cell that needs the exact test
NO_ZONE = -1


GRID_MARGIN_CELLS = 2  # empty cells around the zones: no edge ever lies on the grid's own border


def _grid(bounds, max_cells: int):
    minx, miny, maxx, maxy = bounds
    width, height = max(maxx - minx, 1e-6), max(maxy - miny, 1e-6)
    cell = max(math.sqrt(width * height / max_cells), 1e-3)
    margin = GRID_MARGIN_CELLS * cell
    nx = int(math.ceil(width / cell)) + 1 + 2 * GRID_MARGIN_CELLS
    ny = int(math.ceil(height / cell)) + 1 + 2 * GRID_MARGIN_CELLS
    return minx - margin, maxy + margin, cell, nx, ny


def _transform(x0, y1, cell):
    from affine import Affine

    return Affine(cell, 0.0, x0, 0.0, -cell, y1)


def _cell_of(x: np.ndarray, y: np.ndarray, x0: float, y1: float, cell: float, nx: int, ny: int) -> np.ndarray:
    """Return each point's flat cell number (row * nx + col), or -1 outside the grid (few temporaries)."""
    col = np.subtract(x, x0)
    col *= 1.0 / cell
    np.floor(col, out=col)
    row = np.subtract(y1, y)
    row *= 1.0 / cell
    np.floor(row, out=row)
    outside = (col < 0) | (col >= nx) | (row < 0) | (row >= ny)
    flat = row.astype(np.int64)
    flat *= nx
    flat += col.astype(np.int64)
    flat[outside] = -1
    return flat


def _lookup(table: np.ndarray, flat: np.ndarray, missing) -> np.ndarray:
    """Return table.ravel()[flat] with `missing` where flat is -1."""
    values = table.ravel()[np.maximum(flat, 0)]
    values[flat < 0] = missing
    return values


@dataclass
class PolygonIndex:
    """A grid over polygons: each cell's single owner, or UNDECIDED near edges and where polygons overlap."""

    shapes: np.ndarray  # the polygons in the metric CRS
    positions: np.ndarray  # their positions among all zones
    owner: np.ndarray  # (ny, nx) int32
    x0: float
    y1: float
    cell: float
    tree: shapely.STRtree

    @classmethod
    def build(cls, shapes: np.ndarray, positions: np.ndarray, *, max_cells: int = MAX_CELLS) -> "PolygonIndex":
        from rasterio.enums import MergeAlg
        from rasterio.features import rasterize
        from scipy.ndimage import binary_dilation

        x0, y1, cell, nx, ny = _grid(shapely.total_bounds(shapes), max_cells)
        transform = _transform(x0, y1, cell)
        owner = rasterize(((g, i) for i, g in enumerate(shapes)), out_shape=(ny, nx), transform=transform,
                          fill=NO_ZONE, dtype="int32")
        count = rasterize(((g, 1) for g in shapes), out_shape=(ny, nx), transform=transform, fill=0,
                          dtype="uint16", merge_alg=MergeAlg.add)
        edges = rasterize(((b, 1) for b in shapely.boundary(shapes)), out_shape=(ny, nx), transform=transform,
                          fill=0, dtype="uint8", all_touched=True)
        # An edge lying exactly on a cell boundary can escape GDAL's all_touched; the owners on either side of
        # it still differ, so cells whose owner or count changes from a neighbour's are marked too.
        changes = edges.astype(bool) | (count > 1)
        for table in (owner, count):
            vertical = table[1:, :] != table[:-1, :]
            horizontal = table[:, 1:] != table[:, :-1]
            changes[1:, :] |= vertical
            changes[:-1, :] |= vertical
            changes[:, 1:] |= horizontal
            changes[:, :-1] |= horizontal
        near_edge = binary_dilation(changes, structure=np.ones((3, 3), bool))
        owner[near_edge] = UNDECIDED
        if len(shapes) < np.iinfo(np.int16).max:
            owner = owner.astype(np.int16)  # half the table: the lookup is bound by memory access
        shapely.prepare(shapes)
        return cls(shapes, positions, owner, x0, y1, cell, shapely.STRtree(shapes))

    def query(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return (village positions, zone positions) of every village inside (or on the edge of) a polygon."""
        v_parts, z_parts = [], []
        ny, nx = self.owner.shape
        for start in range(0, len(x), CHUNK):
            cx, cy = x[start:start + CHUNK], y[start:start + CHUNK]
            owner = _lookup(self.owner, _cell_of(cx, cy, self.x0, self.y1, self.cell, nx, ny), NO_ZONE).astype(np.int32)
            decided = np.flatnonzero(owner >= 0).astype(np.int32)
            v_parts.append(decided + np.int32(start))
            z_parts.append(self.positions[owner[decided]].astype(np.int32))
            exact = np.flatnonzero(owner == UNDECIDED)
            if len(exact):
                v, z = self._exact(cx[exact], cy[exact])
                v_parts.append((exact[v] + start).astype(np.int32))
                z_parts.append(self.positions[z].astype(np.int32))
        return np.concatenate(v_parts), np.concatenate(z_parts)

    def _exact(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Test points exactly: candidates by bounding box, then each polygon's prepared intersects_xy."""
        v, z = self.tree.query(shapely.points(x, y))
        keep = np.zeros(len(v), dtype=bool)
        order = np.argsort(z, kind="stable")
        v, z = v[order], z[order]
        bounds = np.flatnonzero(np.diff(z)) + 1
        for lo, hi in zip(np.r_[0, bounds], np.r_[bounds, len(z)]):
            members = v[lo:hi]
            keep[lo:hi] = shapely.intersects_xy(self.shapes[z[lo]], x[members], y[members])
        return v[keep], z[keep]


@dataclass
class BeltIndex:
    """One grid over all belts' corridors: per cell, a bit per belt for "inside" and for "test exactly"."""

    lines: list
    widths_m: np.ndarray
    inside: np.ndarray  # (ny, nx) bitmask (uint8 for ≤ 8 belts): the cell lies wholly within belt b's half-width
    undecided: np.ndarray  # (ny, nx) bitmask: the cell straddles belt b's corridor edge
    x0: float
    y1: float
    cell: float

    MAX_BELTS = 64  # one bit per belt

    @classmethod
    def build(cls, lines, widths_m, *, max_cells: int = BELT_MAX_CELLS) -> "BeltIndex":
        from rasterio.features import rasterize

        lines = list(lines)
        widths_m = np.asarray(widths_m, dtype=float)
        if len(lines) > cls.MAX_BELTS:
            raise ValueError(f"{len(lines)} belts: the grid holds at most {cls.MAX_BELTS}")
        pad = float(widths_m.max()) * 1.05 + 1.0
        minx, miny, maxx, maxy = shapely.total_bounds(np.asarray(lines, dtype=object))
        x0, y1, cell, nx, ny = _grid((minx - pad, miny - pad, maxx + pad, maxy + pad), max_cells)
        transform = _transform(x0, y1, cell)
        diagonal = cell * math.sqrt(2)
        mask_type = np.uint8 if len(lines) <= 8 else np.uint64  # small tables: the lookup is memory-bound
        inside = np.zeros((ny, nx), dtype=mask_type)
        undecided = np.zeros((ny, nx), dtype=mask_type)
        for b, (line, width) in enumerate(zip(lines, widths_m)):
            bit = mask_type(1 << b)
            # outside the outer band no point of a cell is within the half-width (the buffer's chords lie inside
            # the true offset curve, so its radius is widened by 1/cos(π/4q) to contain it)
            outer = line.buffer((width + diagonal) / math.cos(math.pi / (4 * QUAD_SEGS)), quad_segs=QUAD_SEGS)
            near = rasterize([(outer, 1)], out_shape=(ny, nx), transform=transform, fill=0, dtype="uint8",
                             all_touched=True).astype(bool)
            core = np.zeros_like(near)
            if width > diagonal:
                inner = line.buffer(width - diagonal, quad_segs=QUAD_SEGS)  # chords: inside the true band
                core = rasterize([(inner, 1)], out_shape=(ny, nx), transform=transform, fill=0,
                                 dtype="uint8").astype(bool)
            inside[core] |= bit
            undecided[near & ~core] |= bit
            shapely.prepare(line)
        return cls(lines, widths_m, inside, undecided, x0, y1, cell)

    def query(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return (village positions, belt numbers) of the villages within each belt's half-width."""
        v_parts, b_parts = [np.zeros(0, np.int32)], [np.zeros(0, np.int32)]
        ny, nx = self.inside.shape
        for start in range(0, len(x), CHUNK):
            cx, cy = x[start:start + CHUNK], y[start:start + CHUNK]
            flat = _cell_of(cx, cy, self.x0, self.y1, self.cell, nx, ny)
            inside = _lookup(self.inside, flat, 0)
            undecided = _lookup(self.undecided, flat, 0)
            touched = np.flatnonzero((inside | undecided) != 0)  # most villages are near no belt
            inside, undecided = inside[touched], undecided[touched]
            for b, line in enumerate(self.lines):
                bit = self.inside.dtype.type(1 << b)
                hit = touched[(inside & bit) != 0]
                exact = touched[(undecided & bit) != 0]
                if len(exact):
                    near = shapely.dwithin(shapely.points(cx[exact], cy[exact]), line, self.widths_m[b])
                    hit = np.concatenate([hit, exact[near]])
                v_parts.append((hit + start).astype(np.int32))
                b_parts.append(np.full(len(hit), b, dtype=np.int32))
        return np.concatenate(v_parts), np.concatenate(b_parts)


@dataclass
class ZoneIndex:
    """Every zone of a set, indexed once: polygons on one grid, each belt on its own."""

    polygons: PolygonIndex | None
    belts: list[tuple[np.ndarray, BeltIndex]]  # (zone positions of the belts, their grid), ≤ 64 belts a grid

    @classmethod
    def build(cls, shapes: np.ndarray, is_belt: np.ndarray, widths_m: np.ndarray) -> "ZoneIndex":
        polygon_pos = np.flatnonzero(~is_belt)
        polygons = PolygonIndex.build(shapes[polygon_pos], polygon_pos) if len(polygon_pos) else None
        belt_pos = np.flatnonzero(is_belt)
        belts = [(group, BeltIndex.build(shapes[group], widths_m[group]))
                 for group in np.array_split(belt_pos, max(1, -(-len(belt_pos) // BeltIndex.MAX_BELTS)))
                 if len(group)]
        return cls(polygons, belts)

    def query(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return (village positions, zone positions) as int32 arrays, in no particular order."""
        if len(x) >= 2**31:
            raise ValueError("more than 2^31 villages: split the query")
        v_parts, z_parts = [np.zeros(0, np.int32)], [np.zeros(0, np.int32)]
        if self.polygons is not None:
            v, z = self.polygons.query(x, y)
            v_parts.append(v)
            z_parts.append(z)
        for positions, belt in self.belts:
            v, b = belt.query(x, y)
            v_parts.append(v)
            z_parts.append(positions[b].astype(np.int32))
        return np.concatenate(v_parts), np.concatenate(z_parts)
