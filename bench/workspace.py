"""Save and read times of the workspace on both back ends: a county (黑水-sized: 100 villages) and 贵州-sized data (13,686).

Run from the repository root: PYTHONPATH=. python bench/workspace.py  (starts a private PostgreSQL + PostGIS cluster unless VALLEY_ATLAS_BENCH_PG is a
postgresql:// URL of an empty database). Prints figures; never asserts on time.
"""
from __future__ import annotations

import importlib.util
import os
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np

from geo.workspace import Workspace

ROOT = Path(__file__).resolve().parent.parent
GUIZHOU_VILLAGES = 13_686  # 贵州's administrative villages in the benchmark (as issue 18 asks)


def villages(count: int, seed: int = 0) -> gpd.GeoDataFrame:
    """Return count illustrative villages with the attributes an import carries (ids, names, 7 years of figures)."""
    rng = np.random.default_rng(seed)
    frame = gpd.GeoDataFrame({
        "village_id": [f"v{i:06d}" for i in range(count)], "name_zh": [f"示意村 {i:05d}" for i in range(count)],
        "code": [f"52{i:010d}" for i in range(count)], "population": rng.integers(200, 3000, count),
        "poverty_village": rng.random(count) < 0.3,
        **{f"poor_{year}": rng.integers(0, 300, count) for year in range(2014, 2021)},
    }, geometry=gpd.points_from_xy(rng.uniform(103.6, 109.5, count), rng.uniform(24.6, 29.2, count)), crs=4326)
    return frame


def timed(fn, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def run(location: str, label: str) -> None:
    ws = Workspace(location)
    for name, frame in (("county (黑水-sized, 100 villages)", villages(100)),
                        (f"贵州 ({GUIZHOU_VILLAGES:,} villages)", villages(GUIZHOU_VILLAGES))):
        save = timed(lambda: ws.save("villages", "guizhou", frame, source="bench", replace_region=True), 3)
        read = timed(lambda: ws.read("villages", "guizhou"), 3)
        one = timed(lambda: ws.save("villages", "guizhou", frame.iloc[:1], source="bench one"), 3)
        revision = timed(ws.revision, 20)
        print(f"| {label} | {name} | {save:.3f} | {read:.3f} | {one:.3f} | {revision * 1000:.1f} |")


def main() -> None:
    print("| back end | data | save, replace region (s) | read region (s) | save one village (s) | revision() (ms) |")
    print("|---|---|---|---|---|---|")
    run(str(Path(tempfile.mkdtemp(prefix="va-bench-")) / "workspace.gpkg"), "GeoPackage")
    url = os.environ.get("VALLEY_ATLAS_BENCH_PG")
    cluster = None
    if not url:
        spec = importlib.util.spec_from_file_location("va_conftest", ROOT / "tests" / "conftest.py")
        conftest = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(conftest)
        cluster = conftest.PostgresCluster()
        url = cluster.new_database()
    try:
        run(url, "PostgreSQL + PostGIS")
    finally:
        if cluster is not None:
            cluster.stop()


if __name__ == "__main__":
    main()
