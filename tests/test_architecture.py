"""Dependencies point one way (views -> layers/briefing -> geo -> data); no private Streamlit API anywhere."""
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CODE = ["app.py", "views", "layers", "briefing", "geo", "scripts", "bench"]


def python_files(*folders):
    for folder in folders:
        path = ROOT / folder
        yield from ([path] if path.is_file() else sorted(path.rglob("*.py")))


def test_geo_and_layers_import_without_streamlit():
    code = ("import geo.crs, geo.boundaries, geo.regions, geo.i18n, geo.region_data, geo.coverage, geo.coverage.report, "
            "geo.ingest.villages, geo.ingest.zones, geo.workspace, layers.base, layers.boundaries, layers.assets, "
            "briefing.card, briefing.workbook; import sys; assert 'streamlit' not in sys.modules, 'streamlit was imported'")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


# The command lines (`python -m geo`, `python -m briefing`) are entry points above every layer.
ENTRY_POINTS = {ROOT / "geo" / "__main__.py"}


def test_imports_point_one_way():
    forbidden = {"geo": ("layers", "briefing", "views", "pages", "streamlit"),
                 "layers": ("views", "pages", "briefing", "streamlit"), "briefing": ("views", "pages", "streamlit")}
    checked = 0
    for package, banned in forbidden.items():
        for path in python_files(package):
            if path in ENTRY_POINTS:
                continue
            text = path.read_text(encoding="utf-8")
            checked += 1
            for name in banned:
                assert not re.search(rf"^\s*(from|import)\s+{name}\b", text, re.M), f"{path} imports {name}"
    assert checked > 30, "the scan found too few modules: is the layout still geo/, layers/, briefing/?"


def test_no_private_streamlit_modules_and_no_pages_folder():
    assert not (ROOT / "pages").exists(), "a pages/ folder starts Streamlit's legacy multipage mode"
    for path in python_files(*CODE, "tests"):
        if path.name == "test_architecture.py":
            continue
        text = path.read_text(encoding="utf-8")
        assert "PagesManager" not in text, f"{path} uses Streamlit's private PagesManager"
        assert not re.search(r"streamlit\.runtime\.(?!scriptrunner\b)", text), f"{path} imports private Streamlit"


def test_caching_lives_in_one_module():
    owners = {path.relative_to(ROOT).as_posix() for path in python_files(*CODE)
              if re.search(r"st\.cache_(data|resource)", path.read_text(encoding="utf-8"))}
    assert owners == {"views/cache.py"}, owners
