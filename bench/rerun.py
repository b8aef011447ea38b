"""Rerun time of the map and coverage pages (Streamlit AppTest, in-process): first load, then moving the year.

Run: .venv/bin/python bench/rerun.py      (prints seconds; never asserted on time)
"""
from __future__ import annotations

import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def app_test(timeout: float) -> AppTest:
    return AppTest.from_file(APP, default_timeout=timeout)


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    print(f"{'region':8} {'page':9} {'first load s':>13} {'year change s':>14} {'again s':>8}")
    for region in ("heishui", "yaan", "guizhou", "100000"):  # 100000: 全国, all 2,875 counties
        for page in ("map", "coverage"):
            at = app_test(timeout=600)
            at.query_params.update({"region": region, "year": "2014"})
            first = timed(at.run) if page == "map" else None
            if page == "coverage":
                at.run()
                first = timed(lambda: at.switch_page("views/coverage.py").run())
            slider = at.select_slider(key="year")
            change = timed(lambda: slider.set_value(2016).run())
            again = timed(lambda: at.select_slider(key="year").set_value(2018).run())
            assert not at.exception, at.exception
            print(f"{region:8} {page:9} {first:13.2f} {change:14.2f} {again:8.2f}", flush=True)


if __name__ == "__main__":
    main()
