"""The fast exact membership engine: a grid index over the zones, exact tests only near their edges.

Villages are plain x/y float64 arrays in the zones' metric CRS (16 bytes a village, never Point objects).

Polygons (valleys, counties): the zones are rasterised onto a grid (pixel centres). A cell that no zone edge
touches (each edge's bounding box, padded for rounding) and that at most one zone covers is decided by its owner.
A cell that edges touch, or that overlapping zones share, is a "slot": it keeps its candidate zones, their status
at a reference point (GEOS, exact) and the edges touching it; a village there is decided by the parity of the
crossings between the reference point and the village (geo/coverage/_kernels.py, compiled with numba), with every
orientation sign certified by Shewchuk's error bound — a village on or extremely near an edge's line goes to the
exact GEOS test with the simple path's predicate (shapely "intersects": a point on an edge counts).
Belts: per belt, cells whose centre lies inside the centreline buffered by (half-width − cell diagonal)
are inside, cells whose centre lies outside the buffer by (half-width + cell diagonal) — widened for the buffer's
chords — are outside, and the villages of the cells between are tested exactly with shapely.dwithin.

So the fast path answers exactly what the simple path answers (tests/test_engine.py proves it on random inputs).
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass

import numpy as np
import shapely

# Polygon grid size: about CELLS_PER_VERTEX cells per polygon vertex (so a cell holds a few edges whatever the zones),
# between MIN_CELLS and MAX_CELLS. A small table stays in the CPU cache; the lookups are then ~2 ns a village.
MIN_CELLS = 1 << 18
MAX_CELLS = 1 << 22  # 16 MB of int32 owners
CELLS_PER_VERTEX = 2
BELT_MAX_CELLS = 1 << 16  # one grid for up to 8 belts (uint16 cells, 128 KB): it stays in the fastest CPU caches
QUAD_SEGS = 16  # buffer resolution for the belt bands
PARALLEL_MIN_VILLAGES = 200_000  # below this a query is quicker on one thread
MAX_THREADS = 4
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


@dataclass
class PolygonIndex:
    """A grid over polygons. A cell no polygon edge touches has one owner (or none), read from the grid; a cell
    that edges touch (or that overlapping polygons share) is a "slot" with its candidate zones, their status at a
    reference point, and the edges touching it, so that its villages are decided exactly by crossing parity
    (geo/coverage/_kernels.py), the few degenerate ones by GEOS."""

    shapes: np.ndarray  # the polygons in the metric CRS
    positions: np.ndarray  # their positions among all zones
    owner: np.ndarray  # (ny, nx) int32: zone number, NO_ZONE, UNDECIDED (GEOS decides) or -(slot + 3)
    x0: float
    y1: float
    cell: float
    tree: shapely.STRtree
    sub_owner: np.ndarray  # int32, SUB x SUB per slot: a zone, NO_ZONE, UNDECIDED or -(record offset + 3)
    records: np.ndarray  # float64: per subcell record, its reference point, candidates and edges (kernels.pack_slots)
    max_out: int  # the most zones one village can be in

    @classmethod
    def build(cls, shapes: np.ndarray, positions: np.ndarray, *, max_cells: int = MAX_CELLS) -> PolygonIndex:
        from rasterio.enums import MergeAlg
        from rasterio.features import rasterize

        from geo.coverage import _kernels as kernels

        n_vertices = int(shapely.get_num_coordinates(shapes).sum())
        cells = int(min(max_cells, max(MIN_CELLS, CELLS_PER_VERTEX * n_vertices)))
        x0, y1, cell, nx, ny = _grid(shapely.total_bounds(shapes), cells)
        transform = _transform(x0, y1, cell)
        owner = rasterize(((g, i) for i, g in enumerate(shapes)), out_shape=(ny, nx), transform=transform,
                          fill=NO_ZONE, dtype="int32")
        count = rasterize(((g, 1) for g in shapes), out_shape=(ny, nx), transform=transform, fill=0,
                          dtype="uint16", merge_alg=MergeAlg.add)
        # every ring segment, with its polygon
        parts, part_poly = shapely.get_parts(shapes, return_index=True)  # multipolygons into polygons
        rings, ring_part = shapely.get_rings(parts, return_index=True)
        ring_poly = part_poly[ring_part]
        coords, coord_ring = shapely.get_coordinates(rings, return_index=True)
        same_ring = coord_ring[1:] == coord_ring[:-1]
        ax, ay = coords[:-1, 0][same_ring], coords[:-1, 1][same_ring]
        bx, by = coords[1:, 0][same_ring], coords[1:, 1][same_ring]
        edge_zone = ring_poly[coord_ring[:-1][same_ring]].astype(np.int32)
        # cells touched by an edge (its bounding box, padded for rounding), and cells shared by overlapping polygons
        pad = cell * 1e-6 + 1e-9 * max(abs(x0), abs(y1), 1.0)
        pair_cell, pair_edge = kernels.edge_cell_pairs(ax, ay, bx, by, x0, y1, cell, nx, ny, pad)
        overlap_cells = np.flatnonzero(count.ravel() > 1)
        slot_cell, slot_of_pair = np.unique(pair_cell, return_inverse=True)
        extra = np.setdiff1d(overlap_cells, slot_cell, assume_unique=True)
        slot_cell = np.concatenate([slot_cell, extra])
        order = np.argsort(slot_of_pair, kind="stable")
        slot_edges = pair_edge[order]
        slot_edge_ptr = np.zeros(len(slot_cell) + 1, np.int64)
        np.cumsum(np.bincount(slot_of_pair, minlength=len(slot_cell)), out=slot_edge_ptr[1:])
        del pair_cell, pair_edge, slot_of_pair, order
        # candidates: every polygon whose bounding box meets the (padded) cell
        rows, cols = np.divmod(slot_cell, nx)
        boxes = shapely.box(x0 + cols * cell - pad, y1 - (rows + 1) * cell - pad, x0 + (cols + 1) * cell + pad,
                            y1 - rows * cell + pad)
        tree = shapely.STRtree(shapes)
        cand_slot, cand_zone = tree.query(boxes)
        del boxes
        order = np.lexsort((cand_zone, cand_slot))
        cand_slot, cand_zone = cand_slot[order], cand_zone[order].astype(np.int32)
        cand_ptr = np.zeros(len(slot_cell) + 1, np.int64)
        np.cumsum(np.bincount(cand_slot, minlength=len(slot_cell)), out=cand_ptr[1:])
        slot_edge_cand = kernels.local_candidate(slot_edge_ptr, slot_edges, edge_zone, cand_ptr, cand_zone)
        if (slot_edge_cand < 0).any():
            raise AssertionError("an edge's polygon is missing from its cell's candidates")
        ref_x, ref_y, ok = kernels.reference_points(slot_cell, slot_edge_ptr, slot_edges, ax, ay, bx, by, x0, y1,
                                                    cell, nx)
        # status of each candidate at its slot's reference point (GEOS, exact; the point is on no edge)
        shapely.prepare(shapes)
        cand_inside = np.zeros(len(cand_zone), dtype=bool)
        by_zone = np.argsort(cand_zone, kind="stable")
        bounds = np.flatnonzero(np.diff(cand_zone[by_zone])) + 1
        for lo, hi in zip(np.r_[0, bounds], np.r_[bounds, len(by_zone)]):
            members = by_zone[lo:hi]
            if len(members):
                slots = cand_slot[members]
                cand_inside[members] = shapely.intersects_xy(shapes[cand_zone[members[0]]], ref_x[slots],
                                                             ref_y[slots])
        arguments = (slot_cell, slot_edge_ptr, slot_edges, slot_edge_cand, cand_ptr, cand_zone, cand_inside, ref_x,
                     ref_y, ax, ay, bx, by, x0, y1, cell, nx, pad)
        size = kernels.pack_slots(*arguments, False, np.zeros(0), np.zeros(0, np.int32))
        if size + 3 >= np.iinfo(np.int32).max:
            raise ValueError("too many edge cells for one index: split the zones")
        records = np.empty(size, np.float64)
        sub_owner = np.full(len(slot_cell) * kernels.SUB ** 2, UNDECIDED, np.int32)
        kernels.pack_slots(*arguments, True, records, sub_owner)
        flat = owner.ravel()
        flat[slot_cell] = -(np.arange(len(slot_cell), dtype=np.int64) + 3)  # slot s is stored as -(s + 3)
        flat[slot_cell[~ok]] = UNDECIDED  # no clean reference point (never seen): GEOS decides these cells
        max_out = int(max(1, np.diff(cand_ptr).max(initial=1)))  # the most zones a village can be in
        return cls(shapes, positions, owner, x0, y1, cell, tree, sub_owner, records, max_out)

    def query(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return (village positions, zone positions) of every village inside (or on the edge of) a polygon."""
        from geo.coverage import _kernels as kernels

        x = np.ascontiguousarray(x, dtype=np.float64)
        y = np.ascontiguousarray(y, dtype=np.float64)
        v, z, hard = kernels.polygon_query(x, y, self.owner, self.x0, self.y1, self.cell, self.sub_owner,
                                           self.records, self.positions, self.max_out)
        if len(hard):
            hv, hz = self._exact(x[hard], y[hard])
            v = np.concatenate([v, hard[hv].astype(np.int32)])
            z = np.concatenate([z, self.positions[hz].astype(np.int32)])
        return v, z

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
    """One grid over up to 8 belts' corridors: per cell 16 bits, bit b "inside belt b" and bit 8 + b "near belt b's
    corridor edge". Villages near an edge are decided by their distance to the centreline's segments, computed in
    the kernel and certified against a tolerance; the few within it (and belts of many segments) go to GEOS."""

    lines: list
    widths_m: np.ndarray
    masks: np.ndarray  # (ny, nx) uint16
    x0: float
    y1: float
    cell: float
    seg_ptr: np.ndarray  # CSR: each belt's centreline segments (only for belts of ≤ MAX_KERNEL_SEGMENTS)
    segments: tuple  # (ax, ay, bx, by)

    MAX_BELTS = 8
    MAX_KERNEL_SEGMENTS = 256  # a longer centreline leaves its edge villages to GEOS

    @classmethod
    def build(cls, lines, widths_m, *, max_cells: int = BELT_MAX_CELLS) -> BeltIndex:
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
        masks = np.zeros((ny, nx), dtype=np.uint16)
        seg_ptr = [0]
        ax, ay, bx, by = [], [], [], []
        for b, (line, width) in enumerate(zip(lines, widths_m)):
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
            masks[core] |= np.uint16(1 << b)
            masks[near & ~core] |= np.uint16(1 << (8 + b))
            shapely.prepare(line)
            parts = shapely.get_parts(line)
            coords, which = shapely.get_coordinates(parts, return_index=True)
            same = which[1:] == which[:-1]
            if int(same.sum()) <= cls.MAX_KERNEL_SEGMENTS:
                ax.append(coords[:-1, 0][same])
                ay.append(coords[:-1, 1][same])
                bx.append(coords[1:, 0][same])
                by.append(coords[1:, 1][same])
                seg_ptr.append(seg_ptr[-1] + int(same.sum()))
            else:
                seg_ptr.append(seg_ptr[-1])  # no segments: GEOS decides this belt's edge villages
        segments = tuple(np.concatenate(v) if v else np.zeros(0) for v in (ax, ay, bx, by))
        return cls(lines, widths_m, masks, x0, y1, cell, np.asarray(seg_ptr, dtype=np.int64), segments)

    def query(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return (village positions, belt numbers) of the villages within each belt's half-width."""
        from geo.coverage import _kernels as kernels

        x = np.ascontiguousarray(x, dtype=np.float64)
        y = np.ascontiguousarray(y, dtype=np.float64)
        v, b, test_v, test_b = kernels.belt_query(x, y, self.masks, self.x0, self.y1, self.cell, len(self.lines),
                                                  self.seg_ptr, *self.segments, self.widths_m)
        if not len(test_v):
            return v, b
        v_parts, b_parts = [v], [b]
        order = np.argsort(test_b, kind="stable")
        test_v, test_b = test_v[order], test_b[order]
        bounds = np.flatnonzero(np.diff(test_b)) + 1
        for lo, hi in zip(np.r_[0, bounds], np.r_[bounds, len(test_b)]):
            belt = int(test_b[lo])
            members = test_v[lo:hi]
            near = shapely.dwithin(shapely.points(x[members], y[members]), self.lines[belt], self.widths_m[belt])
            v_parts.append(members[near])
            b_parts.append(np.full(int(near.sum()), belt, dtype=np.int32))
        return np.concatenate(v_parts), np.concatenate(b_parts)


_POOLS: dict = {}


def _pool(threads: int):
    """Return a lasting thread pool of that size (threads are reused across queries)."""
    from concurrent.futures import ThreadPoolExecutor

    if threads not in _POOLS:
        _POOLS[threads] = ThreadPoolExecutor(threads, thread_name_prefix="zone-index")
    return _POOLS[threads]


@dataclass
class ZoneIndex:
    """Every zone of a set, indexed once: polygons on one grid, each belt on its own."""

    polygons: PolygonIndex | None
    belts: list[tuple[np.ndarray, BeltIndex]]  # (zone positions of the belts, their grid), ≤ 64 belts a grid

    @classmethod
    def build(cls, shapes: np.ndarray, is_belt: np.ndarray, widths_m: np.ndarray) -> ZoneIndex:
        polygon_pos = np.flatnonzero(~is_belt)
        polygons = PolygonIndex.build(shapes[polygon_pos], polygon_pos) if len(polygon_pos) else None
        belt_pos = np.flatnonzero(is_belt)
        belts = [(group, BeltIndex.build(shapes[group], widths_m[group]))
                 for group in np.array_split(belt_pos, max(1, -(-len(belt_pos) // BeltIndex.MAX_BELTS)))
                 if len(group)]
        return cls(polygons, belts)

    def query(self, x: np.ndarray, y: np.ndarray, *, threads: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Return (village positions, zone positions) as int32 arrays, in no particular order.

        From PARALLEL_MIN_VILLAGES up, the villages are split between threads (the compiled kernels release the
        GIL); threads defaults to the machine's cores, at most MAX_THREADS."""
        if len(x) >= 2**31:
            raise ValueError("more than 2^31 villages: split the query")
        x = np.ascontiguousarray(x, dtype=np.float64)
        y = np.ascontiguousarray(y, dtype=np.float64)
        if not (np.isfinite(x).all() and np.isfinite(y).all()):
            raise ValueError("village coordinates must be finite numbers")
        threads = threads or min(os.cpu_count() or 1, MAX_THREADS)
        if threads < 2 or len(x) < PARALLEL_MIN_VILLAGES:
            return self._query(x, y)
        cuts = np.linspace(0, len(x), threads + 1).astype(np.int64)
        parts = list(_pool(threads).map(lambda lo, hi: self._query(x[lo:hi], y[lo:hi]), cuts[:-1], cuts[1:]))
        return (np.concatenate([v + np.int32(lo) for (v, _), lo in zip(parts, cuts[:-1])]),
                np.concatenate([z for _, z in parts]))

    def _query(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        v_parts, z_parts = [], []
        if self.polygons is not None:
            v, z = self.polygons.query(x, y)
            v_parts.append(v)
            z_parts.append(z)
        for positions, belt in self.belts:
            v, b = belt.query(x, y)
            v_parts.append(v)
            z_parts.append(positions[b].astype(np.int32))
        if len(v_parts) == 1:
            return v_parts[0], z_parts[0]
        if not v_parts:
            return np.zeros(0, np.int32), np.zeros(0, np.int32)
        return np.concatenate(v_parts), np.concatenate(z_parts)


def warm_up() -> float:
    """Compile the kernels (numba caches them on disk next to geo/coverage/_kernels.py); return the seconds it took."""
    import time

    start = time.perf_counter()
    square = np.array([shapely.box(0.0, 0.0, 10.0, 10.0), shapely.box(5.0, 5.0, 15.0, 15.0)])
    for shapes, is_belt in ((square, np.array([False, False])),
                            (np.array([shapely.LineString([(0.0, 0.0), (10.0, 10.0)])]), np.array([True]))):
        index = ZoneIndex.build(shapes, is_belt, np.ones(len(shapes)))
        index.query(np.array([1.0, 7.0, 20.0]), np.array([1.0, 7.0, 20.0]))
    return time.perf_counter() - start


if __name__ == "__main__":
    print(f"geo.coverage.engine: kernels ready in {warm_up():.1f} s")
