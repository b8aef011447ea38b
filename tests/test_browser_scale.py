"""The app with 100,000 villages (issue 17): a workspace of 贵州 with 100 k villages draws them on the offline
basemap, a year change recolours them without a new map, and a click opens the record of the village clicked.
"""
import time

import numpy as np
import pytest
from conftest import ARTIFACTS, StreamlitServer
from test_browser_map import VIEWPORT, click_in_map, leaflet, points, wait_for

pytestmark = pytest.mark.browser
N_VILLAGES = 100_000


def hundred_thousand_villages():
    """Return 100,000 villages over 贵州: the seed villages repeated with a small seeded jitter, short names."""
    from geo.region_data import load_region_data

    seed = load_region_data("guizhou").villages
    rng = np.random.default_rng(17)
    copies = -(-N_VILLAGES // len(seed))
    frame = seed.loc[np.tile(seed.index.to_numpy(), copies)[:N_VILLAGES]].reset_index(drop=True)
    lon = frame.geometry.x.to_numpy() + rng.uniform(-0.02, 0.02, N_VILLAGES)
    lat = frame.geometry.y.to_numpy() + rng.uniform(-0.02, 0.02, N_VILLAGES)
    import geopandas as gpd

    frame = frame.set_geometry(gpd.points_from_xy(lon, lat), crs=4326)
    frame["village_id"] = [f"gz-{i:06d}" for i in range(N_VILLAGES)]
    frame["name"] = [f"村{i:05d}" for i in range(N_VILLAGES)]  # 3-4 characters, as real names
    frame["code"] = None
    return frame


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from geo.workspace import Workspace

    path = tmp_path_factory.mktemp("scale") / "workspace.gpkg"
    Workspace(path).save("villages", "guizhou", hundred_thousand_villages(), source="test: 100k villages",
                         replace_region=True)
    srv = StreamlitServer(env={"VALLEY_ATLAS_WORKSPACE": str(path)})
    yield srv
    srv.stop()


def test_100k_villages_draw_recolour_by_year_and_a_click_opens_the_village(server, browser):
    page = browser.new_page(viewport=VIEWPORT)
    page.goto(f"{server.url}/?region=guizhou&basemap=none&year=2014", wait_until="domcontentloaded")
    page.get_by_role("heading", name="贵州省").wait_for(timeout=300_000)
    frame = leaflet(page, timeout_s=300)
    drawn = wait_for(lambda: (p := points(frame)) and p["visible"] > 0 and p, timeout_s=120, what="villages drawn")
    assert drawn["n"] == N_VILLAGES
    assert sum(drawn["classes"].values()) == N_VILLAGES and "6" not in drawn["classes"], "every village coloured"
    page.screenshot(path=str(ARTIFACTS / "flow_guizhou_100k.png"))
    # a year change: new classes only, the same map and view
    frame.evaluate("() => { window.map.setView([26.58, 106.72], 11, {animate: false}); window.__kept = 1; }")
    time.sleep(2)
    start = time.time()
    page.locator("[data-testid=stSidebar]").get_by_role("slider", name="年份").press("ArrowRight")
    wait_for(lambda: points(frame)["classes"] != drawn["classes"], timeout_s=60, what="recoloured villages")
    recolour_s = time.time() - start
    assert frame.evaluate("() => window.__kept") == 1, "the map was rebuilt"
    assert frame.evaluate("() => window.map.getZoom()") == 11
    # a click on a village: the page has no room for 100 k ids and names; the server finds the nearest village
    target = frame.evaluate("""() => {
        var map = window.map, pts = L.valleyPoints.registry.villages, size = map.getSize(), seen = [];
        for (var k = 0; k < pts._n; k++) {  // the drawn villages on screen, away from the edges and the legend
            if (pts._rank[pts._classes[k]] < 0) { continue; }
            var p = map.latLngToContainerPoint(pts.latLngOf(k));
            if (p.x > 80 && p.y > 80 && p.x < size.x - 320 && p.y < size.y - 80) { seen.push({x: p.x, y: p.y, index: k}); }
        }
        for (var a = 0; a < seen.length; a++) {  // one alone within 10 px, so that the click is unambiguous
            var alone = true;
            for (var b = 0; b < seen.length && alone; b++) {
                if (a !== b && Math.hypot(seen[a].x - seen[b].x, seen[a].y - seen[b].y) < 10) { alone = false; }
            }
            if (alone) { return seen[a]; }
        }
        return null;
    }""")
    assert target, "no lone village on screen"
    page.locator("iframe[title*='streamlit_folium']").first.scroll_into_view_if_needed()
    click_in_map(page, frame, target["x"], target["y"])
    name = f"村{target['index']:05d}"
    page.get_by_text(f"村庄：{name}").wait_for(timeout=60_000)
    page.screenshot(path=str(ARTIFACTS / "flow_guizhou_100k_click.png"))
    print(f"100k villages: recoloured in {recolour_s:.2f} s after the year key press")
    page.close()
