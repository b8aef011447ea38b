"""The offline terrain basemap in a real browser: it draws with every outside request refused (issue 16)."""
import os
import shutil

import pytest
from conftest import ARTIFACTS, CHROMIUM, StreamlitServer, map_frame

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server():
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.fail("Debian chromium is not installed (.ci/run installs it): apt-get install chromium fonts-noto-cjk")
    srv = StreamlitServer()
    yield srv
    srv.stop()


def offline_page(server, browser, refused: list):
    """A page on which every request that is not to the app is refused (an intranet without internet)."""
    page = browser.new_page(viewport={"width": 1500, "height": 950})

    def only_the_app(route):
        if route.request.url.startswith(server.url) or route.request.url.startswith("data:"):
            route.continue_()
        else:
            refused.append((route.request.resource_type, route.request.url))
            route.abort()

    page.route("**/*", only_the_app)
    return page


def terrain_image_loaded(frame) -> dict:
    image = frame.locator("img.va-terrain-image")
    image.wait_for(state="attached", timeout=30_000)
    return image.evaluate("img => ({complete: img.complete, width: img.naturalWidth, height: img.naturalHeight, "
                          "src: img.src.slice(0, 22), pane: img.parentElement.className, "
                          "z: getComputedStyle(img.parentElement).zIndex})")


@pytest.mark.parametrize("region, heading, zones", [("heishui", "黑水县", 6), ("yaan", "雅安市", 3)])
def test_terrain_basemap_draws_with_every_outside_request_refused(server, browser, region, heading, zones):
    """A new session opens on the offline terrain (no basemap parameter): the image loads, under the zones."""
    refused: list = []
    page = offline_page(server, browser, refused)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{server.url}/?region={region}&year=2018", wait_until="domcontentloaded")
    page.get_by_role("heading", name=heading).wait_for(timeout=90_000)
    frame = map_frame(page)
    frame.locator("path.leaflet-interactive").nth(zones).wait_for(timeout=30_000)
    page.wait_for_function("() => true")
    loaded = terrain_image_loaded(frame)
    for _ in range(40):  # a data: URL decodes asynchronously
        if loaded["complete"] and loaded["width"] > 0:
            break
        page.wait_for_timeout(250)
        loaded = terrain_image_loaded(frame)
    assert loaded["width"] > 0 and loaded["height"] > 0, loaded
    assert 512 <= max(loaded["width"], loaded["height"]) <= 1024
    assert loaded["src"].startswith("data:image/png")
    assert "leaflet-va-terrain-pane" in loaded["pane"] and int(loaded["z"]) < 400  # under the overlay pane
    # the elevation read-out answers on hover over the middle of the map
    box = frame.locator(".leaflet-container").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.move(box["x"] + box["width"] / 2 + 5, box["y"] + box["height"] / 2 + 5)
    readout = frame.locator(".va-elevation")
    page.wait_for_timeout(300)
    assert readout.inner_text().startswith("海拔") and readout.inner_text().endswith(" m"), readout.inner_text()
    page.mouse.move(box["x"] + box["width"] - 5, box["y"] + box["height"] - 5)  # the read-out off the picture
    page.wait_for_timeout(800)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"terrain_{region}_after.png"))
    frame.locator(".leaflet-container").screenshot(path=str(ARTIFACTS / f"terrain_{region}_after_map.png"))
    needed = [(kind, url) for kind, url in refused if kind in ("script", "stylesheet", "font", "xhr", "fetch",
                                                                 "image")]
    assert not needed, f"the terrain basemap needed something from outside: {needed[:5]}"
    assert not refused, f"the offline terrain still asked the outside for {refused[:5]}"
    assert not errors, errors
    page.close()
