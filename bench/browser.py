"""Villages in headless Chromium: the typed-array canvas layer (layers/points.py) against today's markercluster layer.

Each case is a standalone folium map (no basemap, assets from static/ through a loopback http.server; any other
request is refused) with N synthetic villages over 贵州's extent, loaded in a fresh page. Figures (best of --repeats):
  payload MB   the map's HTML
  first s      navigation start -> the first points drawn (canvas layer: its first redraw done; markercluster: the
               first marker or cluster element in the page)
  zoom s       setView one zoom level in, without animation -> the second animation frame after it (painted)
  pan s        panBy 300 x 200 px, without animation -> the second animation frame after it
  heap MB      JS heap in use after the interactions and a forced GC (CDP Runtime.getHeapUsage)
  arrays MB    typed arrays the canvas layer holds (outside the JS heap figure)
  click        a real mouse click at zoom 14 on a random village reports that village (checked against
               layers.points.nearest_village on the server side); canvas layer only
Chromium runs without a GPU (software rendering). Never asserted on time.

Run: .venv/bin/python bench/browser.py [--sizes 10000,100000,300000,1000000] [--repeats 3] [--cluster-max 300000]
"""
from __future__ import annotations

import argparse
import functools
import http.server
import os
import tempfile
import threading
import time
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np

from layers.assets import STATIC_DIR, STATIC_URL, use_local_assets
from layers.points import nearest_village, village_points_layer
from layers.villages import villages_layer

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"  # Debian's; see tests/conftest.py for the same flags
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]
GUIZHOU = (103.6, 24.6, 109.6, 29.2)  # synthetic villages' extent (degrees): about 贵州
YEAR = 2016
VIEWPORT = {"width": 1400, "height": 900}
MB = 1_000_000

FIND_MAP = "Object.values(window).find(v => v instanceof L.Map)"
OBSERVE_FIRST_MARKER = """
window.__firstMarker = null;
new MutationObserver((records, observer) => {
    if (document.querySelector('.leaflet-marker-icon, .marker-cluster, path.leaflet-interactive')) {
        window.__firstMarker = performance.now();
        observer.disconnect();
    }
}).observe(document, {childList: true, subtree: true});
"""
MOVE_AND_PAINT = """async ([kind]) => {
    const map = FIND_MAP;
    const frame = () => new Promise(r => requestAnimationFrame(() => r()));
    await frame(); await frame();
    const t0 = performance.now();
    if (kind === 'zoom') { map.setView(map.getCenter(), map.getZoom() + 1, {animate: false}); }
    else { map.panBy([300, 200], {animate: false}); }
    await frame(); await frame();
    return (performance.now() - t0) / 1000;
}""".replace("FIND_MAP", FIND_MAP)


def synthetic_villages(count: int, seed: int = 0) -> gpd.GeoDataFrame:
    """Return count villages (WGS84) spread uniformly over GUIZHOU, with statuses, poor population and names."""
    rng = np.random.default_rng(seed)
    lon = rng.uniform(GUIZHOU[0], GUIZHOU[2], count)
    lat = rng.uniform(GUIZHOU[1], GUIZHOU[3], count)
    poor_village = rng.random(count) < 0.3
    exit_year = np.where(poor_village & (rng.random(count) < 0.6), rng.integers(2015, 2021, count), np.nan)
    return gpd.GeoDataFrame({
        "village_id": [f"v{i}" for i in range(count)], "name": [f"{i}村" for i in range(count)],
        "poverty_village": poor_village, "identified_year": np.where(poor_village, 2014, np.nan),
        "exit_year": exit_year, f"poor_{YEAR}": rng.integers(0, 300, count),
    }, geometry=gpd.points_from_xy(lon, lat), crs=4326)


def write_page(villages: gpd.GeoDataFrame, kind: str, folder: Path) -> Path:
    """Write a standalone map of the villages drawn by one layer kind ('points' or 'cluster'); return its path."""
    fmap = folium.Map(tiles=None, location=[(GUIZHOU[1] + GUIZHOU[3]) / 2, (GUIZHOU[0] + GUIZHOU[2]) / 2],
                      zoom_start=7, control_scale=True)
    fmap.options["maxZoom"] = 18  # markercluster needs it; without tiles folium sets none
    if kind == "points":
        village_points_layer(villages, YEAR, key="villages").add_to(fmap)
    else:
        villages_layer(villages, YEAR).add_to(fmap)
    use_local_assets(fmap, STATIC_URL)
    path = folder / f"{kind}-{len(villages)}.html"
    fmap.save(str(path))
    return path


class LoopbackServer:
    """A static file server on 127.0.0.1 for a folder that also holds app/static (the repo's static/)."""

    def __init__(self, folder: Path):
        (folder / "app").mkdir(exist_ok=True)
        if not (folder / "app" / "static").exists():
            os.symlink(STATIC_DIR, folder / "app" / "static")

        class Quiet(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=folder))
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()


def only_loopback(refused: list):
    """Return a Playwright route handler that refuses every request not to 127.0.0.1 (and notes it)."""
    def handler(route):
        if route.request.url.startswith("http://127.0.0.1"):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()
    return handler


def measure_once(browser, url: str, kind: str, villages: gpd.GeoDataFrame, rng) -> dict:
    """Load one page in a fresh context and return its figures (seconds, MB, click check)."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    refused, errors = [], []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.route("**/*", only_loopback(refused))
    page.add_init_script(OBSERVE_FIRST_MARKER)
    page.goto(url, wait_until="load", timeout=600_000)
    if kind == "points":
        page.wait_for_function("() => L.valleyPoints.registry.villages && L.valleyPoints.registry.villages.firstDraw",
                               timeout=600_000)
        first = page.evaluate("() => L.valleyPoints.registry.villages.firstDraw.at") / 1000
    else:
        page.wait_for_function("() => window.__firstMarker !== null", timeout=600_000, polling=100)
        first = page.evaluate("() => window.__firstMarker") / 1000
    page.wait_for_timeout(300)
    zoom = page.evaluate(MOVE_AND_PAINT, ["zoom"])
    page.wait_for_timeout(300)
    pan = page.evaluate(MOVE_AND_PAINT, ["pan"])
    cdp = context.new_cdp_session(page)
    cdp.send("HeapProfiler.collectGarbage")
    heap = cdp.send("Runtime.getHeapUsage")["usedSize"] / MB
    arrays = click = None
    if kind == "points":
        arrays = page.evaluate("() => L.valleyPoints.registry.villages.memoryBytes()") / MB
        click = click_identifies(page, villages, int(rng.integers(len(villages))))
    if refused or errors:
        raise RuntimeError(f"{kind} page: refused {refused[:3]}, errors {errors[:3]}")
    context.close()
    return {"first": first, "zoom": zoom, "pan": pan, "heap": heap, "arrays": arrays, "click": click}


def click_identifies(page, villages: gpd.GeoDataFrame, target: int) -> bool:
    """Zoom to a village at zoom 14, click it with the mouse; True when the layer and the server both name it."""
    zoom = 14
    where = page.evaluate("""async ([i, zoom]) => {
        const map = FIND_MAP, layer = L.valleyPoints.registry.villages, ll = layer.latLngOf(i);
        map.setView(ll, zoom, {animate: false});
        await new Promise(r => requestAnimationFrame(() => r()));
        const p = map.latLngToContainerPoint(ll), box = map.getContainer().getBoundingClientRect();
        return [p.x + box.left, p.y + box.top];
    }""".replace("FIND_MAP", FIND_MAP), [target, zoom])
    page.mouse.click(*where)
    clicked = page.evaluate("() => L.valleyPoints.registry.villages.featureOf(L.valleyPoints.registry.villages.clicked)")
    lon, lat = clicked["geometry"]["coordinates"]
    on_server = nearest_village(villages, lon, lat, max_px=6, zoom=zoom)
    return clicked["properties"]["point_index"] == target and on_server == villages.index[target]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,300000,1000000")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cluster-max", type=int, default=1_000_000,
                        help="skip the markercluster layer above this many villages (1 M takes minutes)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    folder = Path(tempfile.mkdtemp(prefix="va-bench-browser-"))
    server = LoopbackServer(folder)
    rng = np.random.default_rng(1)
    header = ("| layer | villages | payload MB | build s | first s | zoom s | pan s | heap MB | arrays MB | click |\n"
              "|---|---|---|---|---|---|---|---|---|---|")
    rows = []
    print(header, flush=True)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            for count in (int(s) for s in args.sizes.split(",")):
                villages = synthetic_villages(count)
                for kind in ("points", "cluster"):
                    if kind == "cluster" and count > args.cluster_max:
                        rows.append(f"| markercluster | {count:,} | skipped (--cluster-max) | | | | | | | |")
                        print(rows[-1], flush=True)
                        continue
                    start = time.perf_counter()
                    path = write_page(villages, kind, folder)
                    build = time.perf_counter() - start
                    runs = [measure_once(browser, f"{server.url}/{path.name}", kind, villages, rng)
                            for _ in range(args.repeats)]
                    best = {k: min(r[k] for r in runs) for k in ("first", "zoom", "pan", "heap")}
                    arrays = "" if runs[0]["arrays"] is None else f"{runs[0]['arrays']:.0f}"
                    click = "—" if runs[0]["click"] is None else \
                        f"{sum(r['click'] for r in runs)}/{len(runs)} right"
                    name = "canvas (points.py)" if kind == "points" else "markercluster"
                    rows.append(f"| {name} | {count:,} | {path.stat().st_size / MB:.1f} | {build:.1f} | "
                                f"{best['first']:.2f} | {best['zoom']:.3f} | {best['pan']:.3f} | {best['heap']:.0f} | "
                                f"{arrays} | {click} |")
                    print(rows[-1], flush=True)
                    path.unlink()
            browser.close()
    finally:
        server.stop()
    print()
    print(header)
    print("\n".join(rows))


if __name__ == "__main__":
    main()
