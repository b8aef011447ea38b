"""Rerun time of the map and coverage pages (Streamlit AppTest, in-process): first load, then moving the year.

Run: .venv/bin/python bench/rerun.py            (prints seconds; never asserted on time)
     .venv/bin/python bench/rerun.py --quick    (one run each; no 全国 cold)

- county / city / province (黑水, 雅安, 贵州): first load of the map page, then three year changes to years not seen
  yet (each computes that year's report), then the coverage page the same way; best / median / worst of the three.
- 全国 cold: a fresh Python process per run (nothing cached in memory; the boundaries' disk cache as a user has it
  after the first start), from AppTest's first run of the map page to its end — three processes; then, in each,
  three year changes.
"""
from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
YEARS_TO_VISIT = (2016, 2018, 2020)  # the year slider starts at 2014: each change is to a year not computed yet


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def spread(values: list[float]) -> str:
    """Return 'best / median / worst' of timings in seconds."""
    return f"{min(values):.2f} / {statistics.median(values):.2f} / {max(values):.2f}"


def year_changes(at: AppTest) -> list[float]:
    out = []
    for year in YEARS_TO_VISIT:
        out.append(timed(lambda y=year: at.select_slider(key="year").set_value(y).run()))
        assert not at.exception, at.exception
    return out


def open_page(region: str, page: str, timeout: float = 600) -> tuple[AppTest, float]:
    at = AppTest.from_file(APP, default_timeout=timeout)
    at.query_params.update({"region": region, "year": "2014", "basemap": "none"})
    if page == "map":
        first = timed(at.run)
    else:
        at.run()
        first = timed(lambda: at.switch_page("views/coverage.py").run())
    assert not at.exception, at.exception
    return at, first


def national_cold_child() -> None:
    """In a fresh process: time the first map of 全国, then three year changes; print them as JSON."""
    at, first = open_page("100000", "map")
    print(json.dumps({"first": first, "changes": year_changes(at)}))


def main(quick: bool = False) -> None:
    print(f"{'region':14} {'page':9} {'first load s':>13} {'year change s (best / median / worst)':>40}")
    for region in ("heishui", "yaan", "guizhou"):
        for page in ("map", "coverage"):
            at, first = open_page(region, page)
            print(f"{region:14} {page:9} {first:13.2f} {spread(year_changes(at)):>40}", flush=True)
    if quick:
        return
    firsts, changes = [], []
    for _ in range(3):
        out = subprocess.run([sys.executable, __file__, "--national-child"], cwd=ROOT, capture_output=True,
                             text=True, timeout=1200)
        if out.returncode != 0:
            raise SystemExit(out.stderr[-2000:])
        result = json.loads(out.stdout.strip().splitlines()[-1])
        firsts.append(result["first"])
        changes += result["changes"]
    print(f"{'100000 (全国)':14} {'map':9} {spread(firsts):>13} {spread(changes):>40}   (cold: fresh process x 3; "
          f"year changes: 3 per process)", flush=True)


if __name__ == "__main__":
    if "--national-child" in sys.argv:
        national_cold_child()
    else:
        main(quick="--quick" in sys.argv)
