"""Compiled loops of the grid engine (numba): cell lookups fused into one pass, and exact local point-in-polygon.

Exactness: a point in a cell that polygon edges touch is decided by the parity of proper crossings between the
segment from the cell's reference point R (whose inside/outside status GEOS computed) and the point P, counted
over the edges that touch the cell. Every orientation is computed with Shewchuk's error bound: when a sign is not
certain (P on or extremely near an edge's line, a vertex on the line RP) the point is handed back for the exact
GEOS test. So a point is either decided with certainty here or tested by GEOS, never guessed.
"""
from __future__ import annotations

import numpy as np
from numba import njit

# Shewchuk's ccwerrboundA = (3 + 16 eps) eps, eps = 2^-53; taken three times larger for margin.
ORIENT_ERROR = 1.0e-15
# Where a reference point is tried inside a cell or subcell (fractions of its width, height), in order: the centre
# first, then points unlikely to sit on an edge's line.
REFERENCE_OFFSETS = np.array([0.5, 0.5, 0.31, 0.43, 0.67, 0.29, 0.23, 0.71, 0.59, 0.83, 0.13, 0.37, 0.89, 0.61])


@njit(cache=True, nogil=True, inline="always")
def orient(ax, ay, bx, by, cx, cy):
    """Sign of the orientation of (a, b, c): 1 left turn, -1 right turn, 0 when the sign is not certain."""
    left = (ax - cx) * (by - cy)
    right = (ay - cy) * (bx - cx)
    det = left - right
    bound = ORIENT_ERROR * (abs(left) + abs(right))
    if det > bound:
        return 1
    if det < -bound:
        return -1
    return 0


@njit(cache=True, inline="always")
def _edge_cells(ax, ay, bx, by, x0, y1, inv, nx, ny, pad):
    """Return the (first column, last column, first row, last row) of the cells an edge's padded bounding box touches."""
    c0 = max(int(np.floor((min(ax, bx) - pad - x0) * inv)), 0)
    c1 = min(int(np.floor((max(ax, bx) + pad - x0) * inv)), nx - 1)
    r0 = max(int(np.floor((y1 - max(ay, by) - pad) * inv)), 0)
    r1 = min(int(np.floor((y1 - min(ay, by) + pad) * inv)), ny - 1)
    return c0, c1, r0, r1


@njit(cache=True)
def edge_cell_pairs(ax, ay, bx, by, x0, y1, cell, nx, ny, pad):
    """Return (cell, edge) pairs for every cell an edge's bounding box (padded by pad) touches."""
    inv = 1.0 / cell
    total = 0
    for e in range(ax.shape[0]):
        c0, c1, r0, r1 = _edge_cells(ax[e], ay[e], bx[e], by[e], x0, y1, inv, nx, ny, pad)
        if c1 >= c0 and r1 >= r0:
            total += (c1 - c0 + 1) * (r1 - r0 + 1)
    cells = np.empty(total, np.int64)
    edges = np.empty(total, np.int32)
    k = 0
    for e in range(ax.shape[0]):
        c0, c1, r0, r1 = _edge_cells(ax[e], ay[e], bx[e], by[e], x0, y1, inv, nx, ny, pad)
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                cells[k] = np.int64(r) * nx + c
                edges[k] = e
                k += 1
    return cells, edges


@njit(cache=True)
def local_candidate(slot_edge_ptr, slot_edges, edge_zone, cand_ptr, cand_zone):
    """Return, for each (slot, edge) entry, the position of the edge's zone among the slot's candidates."""
    out = np.empty(slot_edges.shape[0], np.int32)
    for s in range(slot_edge_ptr.shape[0] - 1):
        for k in range(slot_edge_ptr[s], slot_edge_ptr[s + 1]):
            z = edge_zone[slot_edges[k]]
            out[k] = -1
            for j in range(cand_ptr[s], cand_ptr[s + 1]):
                if cand_zone[j] == z:
                    out[k] = j - cand_ptr[s]
                    break
    return out


@njit(cache=True)
def reference_points(slot_cell, slot_edge_ptr, slot_edges, ax, ay, bx, by, x0, y1, cell, nx):
    """Return a reference point per slot, inside its cell and certainly off the lines of the cell's edges
    (the cell centre, else the first of a few offsets that works); ok=False when none does."""
    offsets = REFERENCE_OFFSETS
    n = slot_cell.shape[0]
    rx = np.empty(n)
    ry = np.empty(n)
    ok = np.zeros(n, np.bool_)
    for s in range(n):
        row = slot_cell[s] // nx
        col = slot_cell[s] % nx
        for o in range(0, offsets.shape[0], 2):
            px = x0 + (col + offsets[o]) * cell
            py = y1 - (row + offsets[o + 1]) * cell
            clean = True
            for k in range(slot_edge_ptr[s], slot_edge_ptr[s + 1]):
                e = slot_edges[k]
                if orient(ax[e], ay[e], bx[e], by[e], px, py) == 0:
                    clean = False
                    break
            if clean:
                rx[s] = px
                ry[s] = py
                ok[s] = True
                break
    return rx, ry, ok


SUB = 4  # a slot's cell is split into SUB x SUB subcells, each decided on its own or given its own record


@njit(cache=True)
def _parity_from(sx, sy, qx, qy, ax, ay, bx, by, lo, hi):
    """Number of proper crossings (mod 2) of segment S-Q with edges lo..hi, or -1 when a sign is uncertain."""
    lox = min(sx, qx)
    hix = max(sx, qx)
    loy = min(sy, qy)
    hiy = max(sy, qy)
    flips = 0
    for k in range(lo, hi):
        if max(ax[k], bx[k]) < lox or min(ax[k], bx[k]) > hix or max(ay[k], by[k]) < loy or min(ay[k], by[k]) > hiy:
            continue
        o1 = orient(ax[k], ay[k], bx[k], by[k], sx, sy)
        o2 = orient(ax[k], ay[k], bx[k], by[k], qx, qy)
        if o1 == 0 or o2 == 0:
            return -1
        if o1 == o2:
            continue
        o3 = orient(sx, sy, qx, qy, ax[k], ay[k])
        o4 = orient(sx, sy, qx, qy, bx[k], by[k])
        if o3 == 0 or o4 == 0:
            return -1
        if o3 != o4:
            flips += 1
    return flips & 1


@njit(cache=True)
def pack_slots(slot_cell, slot_edge_ptr, slot_edges, slot_edge_cand, cand_ptr, cand_zone, cand_inside, ref_x, ref_y,
               ax, ay, bx, by, x0, y1, cell, nx, pad, write, records, sub_owner):
    """Split each slot's cell into SUB x SUB subcells. A subcell no edge touches gets its owner (a zone, -1 none);
    one that edges touch (or overlapping candidates share) gets a record in `records` — [qx, qy, n_candidates,
    then per candidate: zone, inside at q (0/1), n_edges, its edges as ax, ay, bx, by] — and holds
    -(offset + 3); -2 when no certain reference point exists (GEOS decides). The status at a subcell's point q is
    carried from the slot's reference point by crossing parity over the slot's edges (certain, or -2).
    Called twice: first (write=False) to size `records`, then to fill it and sub_owner (slots x SUB*SUB int32)."""
    sub = cell / SUB
    total = 0
    inside_q = np.zeros(64, np.bool_)
    for s in range(ref_x.shape[0]):
        row = slot_cell[s] // nx
        col = slot_cell[s] % nx
        first = cand_ptr[s]
        count = cand_ptr[s + 1] - first
        e_lo = slot_edge_ptr[s]
        e_hi = slot_edge_ptr[s + 1]
        # the slot's edges in slot order, as coordinate arrays (copies: few)
        n_e = e_hi - e_lo
        sax = np.empty(n_e)
        say = np.empty(n_e)
        sbx = np.empty(n_e)
        sby = np.empty(n_e)
        scand = np.empty(n_e, np.int64)
        for k in range(n_e):
            e = slot_edges[e_lo + k]
            sax[k] = ax[e]
            say[k] = ay[e]
            sbx[k] = bx[e]
            sby[k] = by[e]
            scand[k] = slot_edge_cand[e_lo + k]
        for a in range(SUB):  # rows of subcells, from the top
            for b in range(SUB):
                left = x0 + col * cell + b * sub
                top = y1 - row * cell - a * sub
                right = left + sub
                bottom = top - sub
                here = np.zeros(n_e, np.bool_)
                n_here = 0
                for k in range(n_e):
                    if not (max(sax[k], sbx[k]) < left - pad or min(sax[k], sbx[k]) > right + pad
                            or max(say[k], sby[k]) < bottom - pad or min(say[k], sby[k]) > top + pad):
                        here[k] = True
                        n_here += 1
                # a point q in the subcell, certainly off the lines of its edges, whose statuses are certain
                found = False
                qx = 0.0
                qy = 0.0
                if count <= 64:
                    for o in range(0, REFERENCE_OFFSETS.shape[0], 2):
                        qx = left + REFERENCE_OFFSETS[o] * sub
                        qy = top - REFERENCE_OFFSETS[o + 1] * sub
                        clean = True
                        for k in range(n_e):
                            if here[k] and orient(sax[k], say[k], sbx[k], sby[k], qx, qy) == 0:
                                clean = False
                                break
                        if not clean:
                            continue
                        for j in range(count):
                            inside_q[j] = cand_inside[first + j]
                        for k in range(n_e):
                            flip = _parity_from(ref_x[s], ref_y[s], qx, qy, sax, say, sbx, sby, k, k + 1)
                            if flip < 0:
                                clean = False
                                break
                            if flip == 1:
                                inside_q[scand[k]] = not inside_q[scand[k]]
                        if clean:
                            found = True
                            break
                slot_sub = s * SUB * SUB + a * SUB + b
                if not found:
                    if write:
                        sub_owner[slot_sub] = -2
                    continue
                n_in = 0
                zone_in = -1
                for j in range(count):
                    if inside_q[j]:
                        n_in += 1
                        zone_in = cand_zone[first + j]
                if n_here == 0 and n_in <= 1:
                    if write:
                        sub_owner[slot_sub] = zone_in
                    continue
                # a candidate outside at q with no edge in the subcell is outside everywhere in it: left out
                relevant = np.zeros(count, np.bool_)
                n_relevant = 0
                for j in range(count):
                    relevant[j] = inside_q[j]
                for k in range(n_e):
                    if here[k]:
                        relevant[scand[k]] = True
                for j in range(count):
                    n_relevant += relevant[j]
                size = 3 + 3 * n_relevant + 4 * n_here
                if write:
                    o = total
                    sub_owner[slot_sub] = -(o + 3)
                    records[o] = qx
                    records[o + 1] = qy
                    records[o + 2] = n_relevant
                    p = o + 3
                    for j in range(count):
                        if not relevant[j]:
                            continue
                        records[p] = cand_zone[first + j]
                        records[p + 1] = 1.0 if inside_q[j] else 0.0
                        q = p + 3
                        n_j = 0
                        for k in range(n_e):
                            if here[k] and scand[k] == j:
                                records[q] = sax[k]
                                records[q + 1] = say[k]
                                records[q + 2] = sbx[k]
                                records[q + 3] = sby[k]
                                q += 4
                                n_j += 1
                        records[p + 2] = n_j
                        p = q
                total += size
    return total


@njit(cache=True, nogil=True)
def _polygon_fill(x, y, start, owner, x0, y1, cell, sub_owner, records, positions, max_out, out_v, out_z, m, hard, h):
    """Decide villages from `start` on, writing pairs at out_v/out_z[m:] and GEOS cases at hard[h:]; stop early
    (returning the village reached) when fewer than max_out pair slots are left. The output arrays are never
    reallocated in here, so the loop stays tight."""
    ny, nx = owner.shape
    flat_owner = owner.ravel()
    inv = 1.0 / cell
    fx = float(nx)
    fy = float(ny)
    cap = out_v.shape[0]
    for i in range(start, x.shape[0]):
        if m + max_out > cap:
            return i, m, h
        px = x[i]
        py = y[i]
        cu = (px - x0) * inv
        cv = (y1 - py) * inv
        if not (cu >= 0.0 and cv >= 0.0 and cu < fx and cv < fy):
            continue
        o = flat_owner[np.int64(cv) * nx + np.int64(cu)]
        if o <= -3:  # a slot: its subcell's owner
            fu = (cu - np.floor(cu)) * SUB
            fv = (cv - np.floor(cv)) * SUB
            o = sub_owner[np.int64(-o - 3) * SUB * SUB + min(np.int64(fv), SUB - 1) * SUB + min(np.int64(fu), SUB - 1)]
            if o <= -3:
                m, degenerate = _record_test(records, np.int64(-o - 3), px, py, i, positions, out_v, out_z, m)
                if degenerate:
                    hard[h] = i
                    h += 1
                continue
        if o >= 0:
            out_v[m] = i
            out_z[m] = positions[o]
            m += 1
        elif o == -2:  # no certain reference point: GEOS decides
            hard[h] = i
            h += 1
    return x.shape[0], m, h


@njit(cache=True, nogil=True, inline="always")
def _record_test(records, r, px, py, i, positions, out_v, out_z, m):
    """Decide a village against a subcell record by crossing parity; return (m, degenerate)."""
    sx = records[r]
    sy = records[r + 1]
    count = np.int64(records[r + 2])
    lox = min(sx, px)
    hix = max(sx, px)
    loy = min(sy, py)
    hiy = max(sy, py)
    p = r + 3
    m_start = m
    for _j in range(count):
        zone = np.int64(records[p])
        inside = records[p + 1] != 0.0
        n_edges = np.int64(records[p + 2])
        p += 3
        for _k in range(n_edges):
            eax = records[p]
            eay = records[p + 1]
            ebx = records[p + 2]
            eby = records[p + 3]
            p += 4
            # an edge whose bounding box misses the segment R-P's can neither cross it nor pass through P
            if max(eax, ebx) < lox or min(eax, ebx) > hix or max(eay, eby) < loy or min(eay, eby) > hiy:
                continue
            o1 = orient(eax, eay, ebx, eby, sx, sy)
            o2 = orient(eax, eay, ebx, eby, px, py)
            if o2 == 0 or o1 == 0:
                return m_start, True  # forget this village's answers so far: GEOS gives them all
            if o1 == o2:
                continue  # R and P on the same side of the edge's line: no crossing
            o3 = orient(sx, sy, px, py, eax, eay)
            o4 = orient(sx, sy, px, py, ebx, eby)
            if o3 == 0 or o4 == 0:
                return m_start, True
            if o3 != o4:
                inside = not inside
        if inside:
            out_v[m] = i
            out_z[m] = positions[zone]
            m += 1
    return m, False


@njit(cache=True, nogil=True)
def polygon_query(x, y, owner, x0, y1, cell, sub_owner, records, positions, max_out):
    """Return (village, zone position) pairs decided here, and the villages left for the exact GEOS test.

    owner: per cell a zone number (>= 0), -1 (no zone), -2 (GEOS decides) or -(slot + 3); sub_owner: per slot
    SUB x SUB subcells holding a zone, -1, -2 or -(offset + 3) of their record in `records` (see pack_slots).
    max_out: the most zones one village can be in (the largest candidate count, at least 1)."""
    n = x.shape[0]
    out_v = np.empty(n + max_out + 16, np.int32)
    out_z = np.empty(n + max_out + 16, np.int32)
    hard = np.empty(n, np.int32)
    i, m, h = 0, 0, 0
    while True:
        i, m, h = _polygon_fill(x, y, i, owner, x0, y1, cell, sub_owner, records, positions, max_out, out_v,
                                out_z, m, hard, h)
        if i >= n:
            break
        out_v = _grow(out_v, 2 * out_v.shape[0])
        out_z = _grow(out_z, 2 * out_z.shape[0])
    return out_v[:m], out_z[:m], hard[:h]


@njit(cache=True, nogil=True)
def _grow(array, size):
    out = np.empty(size, array.dtype)
    out[:array.shape[0]] = array
    return out


@njit(cache=True, nogil=True, inline="always")
def _segment_distance2(px, py, ax, ay, bx, by):
    dx = bx - ax
    dy = by - ay
    length2 = dx * dx + dy * dy
    t = 0.0
    if length2 > 0.0:
        t = ((px - ax) * dx + (py - ay) * dy) / length2
        t = min(max(t, 0.0), 1.0)
    ex = px - (ax + t * dx)
    ey = py - (ay + t * dy)
    return ex * ex + ey * ey


# A village whose squared distance to a centreline is within this relative band of the half-width squared (a few
# micrometres at 5 km; rounding here is ~1e-9 m) is left to GEOS; outside it both answers are certain and equal.
DISTANCE_TOLERANCE = 1.0e-9


@njit(cache=True, nogil=True)
def _belt_fill(x, y, start, near, found, n_belts, seg_ptr, ax, ay, bx, by, widths, in_v, in_b, m, un_v, un_b, u):
    """Pass 2 of belt_query from entry `start` of the villages near a belt on; stops (returning the entry reached)
    when either output might overflow. The arrays are never reallocated in here."""
    cap = in_v.shape[0]
    un_cap = un_v.shape[0]
    for j in range(start, near.shape[0]):
        if m + n_belts > cap or u + n_belts > un_cap:
            return j, m, u
        i = near[j]
        mask = np.int64(found[j])
        inside = mask & 255
        if inside:
            for k in range(n_belts):
                if (inside >> k) & 1:
                    in_v[m] = i
                    in_b[m] = k
                    m += 1
        near_edge = (mask >> 8) & ~inside & 255
        if near_edge:
            for k in range(n_belts):
                if not (near_edge >> k) & 1:
                    continue
                verdict = -1  # -1: GEOS decides, 0: outside, 1: inside
                lo = seg_ptr[k]
                hi = seg_ptr[k + 1]
                if hi > lo:
                    d2 = np.inf
                    for s in range(lo, hi):
                        d2 = min(d2, _segment_distance2(x[i], y[i], ax[s], ay[s], bx[s], by[s]))
                    w2 = widths[k] * widths[k]
                    if d2 < w2 * (1.0 - DISTANCE_TOLERANCE):
                        verdict = 1
                    elif d2 > w2 * (1.0 + DISTANCE_TOLERANCE):
                        verdict = 0
                if verdict == 1:
                    in_v[m] = i
                    in_b[m] = k
                    m += 1
                elif verdict == -1:
                    un_v[u] = i
                    un_b[u] = k
                    u += 1
    return near.shape[0], m, u


@njit(cache=True, nogil=True)
def belt_query(x, y, masks, x0, y1, cell, n_belts, seg_ptr, ax, ay, bx, by, widths):
    """Return (village, belt) pairs within a belt's half-width, and the (village, belt) pairs left to GEOS.

    masks: (ny, nx) uint16 — bit b: the cell lies within belt b; bit 8 + b: the cell straddles its corridor edge."""
    ny, nx = masks.shape
    flat = masks.ravel()
    inv = 1.0 / cell
    fx = float(nx)
    fy = float(ny)
    n = x.shape[0]
    # pass 1, without branches (the lookups overlap in the CPU): the villages whose cell has a mask, compacted
    near = np.empty(n + 1, np.int32)
    found = np.empty(n + 1, np.uint16)
    k = 0
    for i in range(n):
        cu = (x[i] - x0) * inv
        cv = (y1 - y[i]) * inv
        ok = (cu >= 0.0) & (cv >= 0.0) & (cu < fx) & (cv < fy)
        # off the grid the cell number is multiplied by 0 (coordinates are finite: ZoneIndex.query checks)
        mask = flat[(np.int64(cv) * nx + np.int64(cu)) * ok] * ok
        near[k] = i
        found[k] = mask
        k += mask != 0
    near = near[:k]
    found = found[:k]
    # pass 2: the villages near a belt (a minority)
    in_v = np.empty(k + 64, np.int32)
    in_b = np.empty(k + 64, np.int32)
    un_v = np.empty(k // 8 + 64, np.int32)
    un_b = np.empty(k // 8 + 64, np.int32)
    j, m, u = 0, 0, 0
    while True:
        j, m, u = _belt_fill(x, y, j, near, found, n_belts, seg_ptr, ax, ay, bx, by, widths, in_v, in_b, m, un_v,
                             un_b, u)
        if j >= k:
            break
        if m + n_belts > in_v.shape[0]:
            in_v = _grow(in_v, 2 * in_v.shape[0])
            in_b = _grow(in_b, 2 * in_b.shape[0])
        if u + n_belts > un_v.shape[0]:
            un_v = _grow(un_v, 2 * un_v.shape[0])
            un_b = _grow(un_b, 2 * un_b.shape[0])
    return in_v[:m], in_b[:m], un_v[:u], un_b[:u]
