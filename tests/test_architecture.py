"""Dependencies point one way: geo and layers import without streamlit; geo never imports layers or pages."""
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_geo_and_layers_import_without_streamlit():
    code = ("import geo.crs, geo.boundaries, geo.regions, geo.i18n, layers.base, layers.boundaries, layers.assets; "
            "import sys; assert 'streamlit' not in sys.modules, 'streamlit was imported'")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


def test_imports_point_one_way():
    forbidden = {"geo": ("layers", "briefing", "pages", "streamlit"), "layers": ("pages", "briefing", "streamlit"),
                 "briefing": ("pages", "streamlit")}
    for package, banned in forbidden.items():
        for path in (ROOT / package).glob("*.py"):
            text = path.read_text(encoding="utf-8")
            for name in banned:
                assert not re.search(rf"^\s*(from|import)\s+{name}\b", text, re.M), f"{path} imports {name}"
