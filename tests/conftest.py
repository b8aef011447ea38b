"""Shared fixtures and helpers."""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent  # on sys.path through pyproject.toml's [tool.pytest.ini_options]
ARTIFACTS = ROOT / "tests" / "artifacts"
TEST_DATA = ROOT / "tests" / "data"

# Every test (AppTest and the servers the browser tests start) uses a throwaway workspace, never the user's.
os.environ["VALLEY_ATLAS_WORKSPACE"] = str(Path(tempfile.mkdtemp(prefix="va-ws-")) / "workspace.gpkg")


def metres_between(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Return geodesic distances (m) on the WGS84 ellipsoid between paired points."""
    from pyproj import Geod

    _, _, dist = Geod(ellps="WGS84").inv(lon1, lat1, lon2, lat2)
    return np.asarray(dist)


def geojson_payloads(html: str) -> list[dict]:
    """Return every GeoJSON object folium inlined into a map's HTML (the data of its GeoJson layers)."""
    import json
    import re

    decoder = json.JSONDecoder()
    out = []
    for match in re.finditer(r"geo_json_\w+_add\(", html):
        try:
            obj, _ = decoder.raw_decode(html, match.end())
        except json.JSONDecodeError:
            continue
        out.append(obj)
    return out


APP_PATH = str(ROOT / "app.py")


def app_test(timeout: float = 120):
    """Return an AppTest of app.py (absolute path), not yet run."""
    from streamlit.testing.v1 import AppTest

    return AppTest.from_file(APP_PATH, default_timeout=timeout)


PASSWORD = "Valley-Atlas-2026"  # meets the rules; the accounts the tests create share it


def add_account(workspace, name: str, roles, regions=(), password: str = PASSWORD) -> None:
    """Create an account in a workspace's accounts store, as the server's operator would with `python -m geo users`."""
    from geo.access import Actor
    from geo.workspace import Workspace

    operator = Actor("test-operator", frozenset({"administrator"}), (), "local")
    Workspace(str(workspace)).access().add_user(name, roles, regions, password, by=operator)


def sign_in_app(app, name: str, password: str = PASSWORD):
    """Sign an AppTest session in through the sidebar's form (as a user would); return the app after the rerun."""
    app.text_input(key="signin_name").input(name)
    app.text_input(key="signin_password").input(password)
    next(b for b in app.button if b.label in ("登录", "Sign in")).click()
    return app.run()


def browser_sign_in(page, name: str, password: str = PASSWORD, *, expect: str = "当前用户") -> None:
    """Sign in through the sidebar's form in a real browser; wait until the sidebar shows `expect`."""
    sidebar = page.locator("[data-testid=stSidebar]")
    sidebar.get_by_text("账户登录").wait_for(timeout=90_000)
    if not sidebar.get_by_label("用户名").is_visible():
        sidebar.get_by_text("账户登录").click()
    sidebar.get_by_label("用户名").fill(name)
    sidebar.get_by_label("密码", exact=True).fill(password)
    sidebar.get_by_role("button", name="登录", exact=True).click()
    sidebar.get_by_text(expect).first.wait_for(timeout=60_000)


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class StreamlitServer:
    """`streamlit run app.py` on a free loopback port, for browser tests; stopped on exit. `args`: more options of
    `streamlit run` (e.g. `--secrets.files PATH`)."""

    def __init__(self, env: dict | None = None, args: list[str] | None = None):
        import subprocess
        import time
        import urllib.request

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        run_env = {**os.environ, **(env or {})}
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.log = open(ARTIFACTS / f"streamlit-{self.port}.log", "w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(self.port),
             "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false", *(args or [])],
            cwd=ROOT, env=run_env, stdout=self.log, stderr=subprocess.STDOUT,
        )
        deadline = time.time() + 90
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"streamlit did not start on port {self.port}; see {self.log.name}")

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except Exception:
            self.process.kill()
        self.log.close()


def fonts_rendering(page, selector: str, frame=None) -> dict[str, int]:
    """Return {font family: glyph count} that Chromium actually used to draw the text of the first match."""
    session = page.context.new_cdp_session(page)
    session.send("DOM.enable")
    session.send("CSS.enable")
    root = session.send("DOM.getDocument", {"depth": -1, "pierce": True})
    node = session.send("DOM.querySelector", {"nodeId": root["root"]["nodeId"], "selector": selector})
    if not node.get("nodeId"):
        raise AssertionError(f"no element matches {selector!r}")
    fonts = session.send("CSS.getPlatformFontsForNode", {"nodeId": node["nodeId"]})["fonts"]
    return {f["familyName"]: f["glyphCount"] for f in fonts}


def fonts_rendering_in_frame(page, selector: str) -> dict[str, int]:
    """Like fonts_rendering, for the first element matching a selector inside any iframe of the page."""
    session = page.context.new_cdp_session(page)
    session.send("DOM.enable")
    session.send("CSS.enable")
    root = session.send("DOM.getDocument", {"depth": -1, "pierce": True})["root"]
    documents = []

    def walk(node):
        if node.get("contentDocument"):
            documents.append(node["contentDocument"]["nodeId"])
        for child in node.get("children", []) + ([node["contentDocument"]] if node.get("contentDocument") else []):
            walk(child)

    walk(root)
    for doc in documents:
        found = session.send("DOM.querySelector", {"nodeId": doc, "selector": selector})
        if found.get("nodeId"):
            fonts = session.send("CSS.getPlatformFontsForNode", {"nodeId": found["nodeId"]})["fonts"]
            return {f["familyName"]: f["glyphCount"] for f in fonts}
    raise AssertionError(f"no element in any frame matches {selector!r}")


@pytest.fixture(scope="module")
def browser():
    """A headless Debian Chromium (Playwright drives it), one per test module."""
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.fail("Debian chromium is not installed (.ci/run installs it): apt-get install chromium fonts-noto-cjk")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield instance
        instance.close()


def map_frame(page):
    """Return the frame of the st_folium component once Leaflet has drawn in it."""
    page.wait_for_selector("iframe[title*='streamlit_folium']", timeout=60_000)
    frame = page.frame_locator("iframe[title*='streamlit_folium']").first
    frame.locator(".leaflet-container").wait_for(timeout=60_000)
    return frame


class PostgresCluster:
    """A private PostgreSQL cluster with PostGIS: initdb into a temporary folder, a loopback port and a socket folder
    of its own; run as the `postgres` system user when the tests run as root (initdb refuses root). Stopped on exit."""

    BIN = Path("/usr/lib/postgresql/15/bin")

    def __init__(self):
        import pwd
        import subprocess

        if not (self.BIN / "initdb").exists():
            pytest.fail("PostgreSQL 15 is not installed (.ci/run installs it): "
                        "apt-get install postgresql postgresql-15-postgis-3")
        self.root = Path(tempfile.mkdtemp(prefix="va-pg-"))
        self.data, self.sockets = self.root / "data", self.root / "sockets"
        self.sockets.mkdir()
        self.port = free_port()
        self.prefix = []
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            for path in (self.root, self.sockets):
                os.chown(path, owner.pw_uid, owner.pw_gid)
            self.prefix = ["runuser", "-u", "postgres", "--"]
        run = lambda *cmd: subprocess.run([*self.prefix, *map(str, cmd)], check=True, capture_output=True, text=True)
        run(self.BIN / "initdb", "-D", self.data, "-U", "va", "-A", "trust", "-E", "UTF8", "--no-locale")
        run(self.BIN / "pg_ctl", "-D", self.data, "-l", self.root / "server.log", "-w", "-t", "60", "start", "-o",
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.sockets} -c fsync=off -c max_connections=60")
        self.run = run
        self.url = f"postgresql://va@127.0.0.1:{self.port}"
        self._count = 0
        import psycopg

        with psycopg.connect(f"{self.url}/postgres", autocommit=True) as con:
            con.execute("CREATE DATABASE va_template")
        with psycopg.connect(f"{self.url}/va_template", autocommit=True) as con:
            con.execute("CREATE EXTENSION postgis")

    def new_database(self) -> str:
        """Return the URL of a new empty database with PostGIS (a copy of the template: fast)."""
        import psycopg

        self._count += 1
        name = f"va_test_{self._count}"
        with psycopg.connect(f"{self.url}/postgres", autocommit=True) as con:
            con.execute(f"CREATE DATABASE {name} TEMPLATE va_template")
        return f"{self.url}/{name}"

    def stop(self):
        try:
            self.run(self.BIN / "pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres():
    """A private PostgreSQL + PostGIS cluster for the session's tests (started once, stopped at the end)."""
    cluster = PostgresCluster()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="module")
def editor_workspace(tmp_path_factory):
    """A fresh workspace for one test module, with "hei", an editor of 黑水 (every change names an editor)."""
    path = tmp_path_factory.mktemp("editor-ws") / "workspace.gpkg"
    add_account(path, "hei", ["editor"], ["heishui"])
    return path


@pytest.fixture(scope="module")
def editor_server(editor_workspace):
    """`streamlit run` on the module's editor_workspace."""
    srv = StreamlitServer(env={"VALLEY_ATLAS_WORKSPACE": str(editor_workspace)})
    yield srv
    srv.stop()
