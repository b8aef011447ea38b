"""The national zone index (all 2,875 counties): built from the boundaries, then read back from its disk cache.

Run: .venv/bin/python bench/index.py      (prints seconds, best / median / worst of 3, and the traced peak MB)
"""
from __future__ import annotations

import statistics
import time
import tracemalloc

import numpy as np

from geo.coverage import membership
from geo.memo import BoundedCache
from geo.region_data import load_region_data


def seconds(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def peak_mb(fn) -> float:
    """Return the traced peak (MB) of fn(); tracing slows allocation-heavy code several times: timed apart."""
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1e6


def spread(values: list[float]) -> str:
    return " / ".join(f"{v:.2f}" for v in (min(values), statistics.median(values), max(values)))


def main() -> None:
    zones = load_region_data("100000").zones
    crs = membership.metric_crs_of(zones, zones)  # the zones decide the metric CRS
    widths = np.zeros(len(zones))
    key = membership._zones_fingerprint(zones, crs, widths)
    path = membership._index_file(key)
    def build():
        path.unlink(missing_ok=True)
        membership._INDEXES = BoundedCache(max_entries=2)
        membership.zone_index(zones, crs, widths)

    def read():
        membership._INDEXES = BoundedCache(max_entries=2)
        membership.zone_index(zones, crs, widths)

    builds, reads = [], []
    for _ in range(3):
        builds.append(seconds(build))
        reads.append(seconds(read))
    peaks = {"build": peak_mb(build), "read": peak_mb(read)}
    print(f"{len(zones):,} county zones; index file {path.stat().st_size / 1e6:.0f} MB at {path}")
    print(f"{'':22} {'seconds (best / median / worst)':>34} {'traced peak MB':>16}")
    print(f"{'build (no cache)':22} {spread(builds):>34} {peaks['build']:>16.0f}")
    print(f"{'read from disk cache':22} {spread(reads):>34} {peaks['read']:>16.0f}")


if __name__ == "__main__":
    main()
