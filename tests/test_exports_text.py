"""Exports read as an official reads them: PDF text that copies out intact (TrueType, not Type 3), sources cited by
title, numbers formatted, the workbook's shares as percentages, GeoJSON that is GeoJSON (issue 14 items 8, 9, 14, 15).

pdftotext and pdffonts come from the Debian package poppler-utils (.ci/run installs it when missing).
"""
import io
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest

from briefing.atlas import cover_rows, render_atlas
from briefing.card import card_metrics, projection_label, render_card
from briefing.fonts import cjk_font_path, use_cjk_font
from briefing.workbook import render_workbook
from geo.region_data import load_region_data

ROOT = Path(__file__).resolve().parent.parent
POPPLER = shutil.which("pdftotext") and shutil.which("pdffonts")
needs_poppler = pytest.mark.skipif(not POPPLER and not __import__("os").environ.get("CI"),
                                   reason="poppler-utils (pdftotext, pdffonts) is not installed")


@pytest.fixture(scope="module")
def yaan():
    return load_region_data("yaan")


@pytest.fixture(scope="module")
def heishui():
    return load_region_data("heishui")


def pdftotext(pdf: bytes, tmp_path: Path, name: str) -> str:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def pdffonts(pdf: bytes, tmp_path: Path, name: str) -> list[tuple[str, str]]:
    """Return (font name, type) for each font of a PDF, as pdffonts lists them."""
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True)
    assert "Mismatch" not in out.stderr, out.stderr  # a CFF font labelled TrueType: readers reject it
    fonts = []
    for line in out.stdout.splitlines()[2:]:
        parts = line.split()
        kind = " ".join(parts[1:-6])  # "CID TrueType", "Type 3"
        fonts.append((parts[0], kind))
    return fonts


def test_the_cjk_font_is_truetype_and_the_pinned_file():
    path = cjk_font_path()
    assert path.suffix == ".ttc" and path.read_bytes()[:4] == b"ttcf"
    from fontTools.ttLib import TTCollection

    font = TTCollection(str(path)).fonts[0]
    assert "glyf" in font and "CFF " not in font  # TrueType outlines: embeddable as Type 42
    import matplotlib

    use_cjk_font()
    assert matplotlib.rcParams["pdf.fonttype"] == 42


@needs_poppler
@pytest.mark.parametrize("lang, title", [("zh", "雅安市覆盖情况（2014 年）"), ("en", "Ya'an City coverage (2014)")])
def test_card_pdf_text_extracts_intact(yaan, tmp_path, lang, title):
    pdf = render_card(yaan, 2014, fmt="pdf", lang=lang)
    fonts = pdffonts(pdf, tmp_path, "card")
    assert fonts and all(kind != "Type 3" for _, kind in fonts), fonts
    assert any(kind == "CID TrueType" for _, kind in fonts), fonts
    text = pdftotext(pdf, tmp_path, "card")
    assert title in text
    assert "±5 km" in text  # the belts' half-width in the legend
    assert "151 / 264" in text and "80.0%" in text
    # sources cited by title, publisher and date, not by the file's hash name (item 8)
    assert "001_19a1db734a75c876.txt" not in text
    assert "雅安市人民政府" in text and "2019-10-23" in text
    flat = " ".join(text.split()) if lang == "en" else "".join(text.split())
    assert ("創新扶貧機制" if lang == "zh" else "Innovating poverty-alleviation mechanisms") in flat
    assert ("高斯-克吕格" if lang == "zh" else "Gauss-Krüger") in text and "EPSG:4543" in text


@needs_poppler
def test_atlas_pdf_text_extracts_intact(heishui, tmp_path):
    pdf = render_atlas(heishui, 2018)
    fonts = pdffonts(pdf, tmp_path, "atlas")
    assert all(kind != "Type 3" for _, kind in fonts), fonts
    text = pdftotext(pdf, tmp_path, "atlas")
    assert "黑水县沟域经济覆盖图集（2018 年）" in text.replace("\n", "") or "黑水县" in text and "2018 年" in text
    assert "果蔬中蜂民俗沟" in text and "000_3031640f769f7549.txt" not in text
    assert "四川省扶贫开发局" in text


def test_atlas_cover_keeps_whole_names_and_says_the_figures_year(yaan):
    rows = cover_rows(yaan, 2018, "en")
    labels = [r[0].replace("\n", " ") for r in rows]
    assert "Hundred-km industry belts" in labels
    assert len(set(labels)) == len(labels), labels  # no three identical "Poverty villages"
    published = {r[0].replace("\n", " "): r[1].replace("\n", " ") for r in rows}
    assert published["Share of the poor population reached by the belts"] == "about 80 % (2019)"
    assert [r[2] for r in rows if r[2] != "—"] == ["3", "151 villages", "80 %", "264 villages"]


def test_computed_values_are_formatted_like_the_published_ones(heishui):
    """18.6001 shows as 18.6, 1.81042 as 1.8 (item 9); a tiny rate keeps its digits."""
    from geo.coverage.report import computed_text, published_table

    assert computed_text(18.6001, "%", "zh") == "18.6 %" and computed_text(1.81042, "%", "en") == "1.8 %"
    assert computed_text(0.0452, "%", "zh") == "0.0452 %" and computed_text(9976, "人", "en") == "9,976 people"
    assert computed_text(None, "人", "zh") is None
    table = published_table(heishui, 2018, "zh").set_index("figure")
    assert table.loc["incidence_start", "computed_text"] == "18.6 %"
    assert table.loc["incidence_start", "published_text"] == "18.6 %（2014 年）"
    assert table.loc["incidence_2018", "published_text"] == "1.8 %"  # the page's own year: no note


def test_card_says_none_for_nothing_to_count(heishui):
    """0 of 0 is not 0.0 %: a year without poverty villages shows — (item 9)."""
    rows = dict(card_metrics(heishui, 2020, None, "zh"))
    assert rows["覆盖贫困村"] == "—" and rows["覆盖比例"] == "—"
    rows = dict(card_metrics(heishui, 2014, None, "en"))
    assert rows["Poverty villages covered"] == "64 / 64" and rows["Share covered"] == "100.0%"


def test_projection_note_in_the_language(heishui):
    from geo.crs import metric_crs

    crs = metric_crs(heishui.outline)
    assert projection_label(crs, "zh") == "CGCS2000 3度带高斯-克吕格投影，中央经线 102°E（EPSG:4543）"
    assert projection_label(crs, "en") == "CGCS2000 3-degree Gauss-Krüger, central meridian 102°E (EPSG:4543)"


def header_row(sheet):
    rows = list(sheet.iter_rows())
    for i, row in enumerate(rows):
        if row[0].value in ("分区编号", "Zone id", "覆盖村数", "Villages covered", "指标编号", "Figure id", "村编号",
                            "Village id"):
            return i + 1, [c.value for c in row]
    raise AssertionError("no header row")


def test_workbook_number_formats_and_words(yaan):
    book = openpyxl.load_workbook(io.BytesIO(render_workbook(yaan, 2014, lang="zh")))
    sheet = book["分区指标"]
    at, header = header_row(sheet)
    first = {h: sheet.cell(row=at + 1, column=i + 1) for i, h in enumerate(header)}
    assert first["贫困人口占比"].number_format == "0.0%" and 0 < first["贫困人口占比"].value < 1
    assert first["面积（平方公里）"].number_format == "#,##0.0"
    assert first["类型"].value == "产业带" and first["数据性质"].value == "示意"
    union = book["合计"]
    at, header = header_row(union)
    assert union.cell(row=at + 1, column=header.index("贫困人口占比") + 1).number_format == "0.0%"
    published = book["公开数据对照"]
    at, header = header_row(published)
    sources = {published.cell(row=r, column=header.index("来源") + 1).value for r in range(at + 1, published.max_row + 1)}
    assert sources == {"《創新扶貧機制 筑造脫貧坦途——我市扶貧工作形成全維度、多層次、主體化格局》，雅安市人民政府，2019-10-23"}
    villages = book["村庄名单"]
    at, header = header_row(villages)
    statuses = {villages.cell(row=r, column=header.index("当年状态") + 1).value for r in range(at + 1, at + 60)}
    assert statuses <= {"贫困村", "已退出贫困村", "非贫困村"} and statuses
    english = openpyxl.load_workbook(io.BytesIO(render_workbook(yaan, 2014, lang="en")))["Zones"]
    at, header = header_row(english)
    assert english.cell(row=at + 1, column=header.index("Lead industries") + 1).value == "tea"


def test_cli_geojson_is_geojson_and_zip_is_zip(tmp_path):
    out = tmp_path / "x.geojson"
    run = subprocess.run([sys.executable, "-m", "briefing", "heishui", "--year", "2018", "--format", "geojson",
                          "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["type"] == "FeatureCollection"
    assert {f["properties"]["layer"] for f in doc["features"]} == {"zones", "villages"}
    import geopandas as gpd

    assert len(gpd.read_file(out)) == len(doc["features"]) == 6 + 100
    one = tmp_path / "zones.geojson"
    run = subprocess.run([sys.executable, "-m", "briefing", "heishui", "--year", "2018", "--format", "geojson",
                          "--layer", "zones", "--out", str(one)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0 and len(json.loads(one.read_text(encoding="utf-8"))["features"]) == 6
    archive = tmp_path / "x.zip"
    run = subprocess.run([sys.executable, "-m", "briefing", "heishui", "--year", "2018", "--format", "geojson",
                          "--out", str(archive)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0 and "zones.geojson, villages.geojson" in run.stderr
    assert sorted(zipfile.ZipFile(archive).namelist()) == ["villages.geojson", "zones.geojson"]
    bad = subprocess.run([sys.executable, "-m", "briefing", "heishui", "--year", "2018", "--format", "geojson",
                          "--layer", "roads", "--out", str(tmp_path / "r.geojson")], cwd=ROOT, capture_output=True,
                         text=True, timeout=300)
    assert bad.returncode == 2 and "the layers are: zones, villages" in bad.stderr


def test_streamlit_hides_the_deploy_button_from_end_users():
    import tomllib

    with open(ROOT / ".streamlit" / "config.toml", "rb") as fh:
        config = tomllib.load(fh)
    assert config["client"]["toolbarMode"] in ("viewer", "minimal")
    from streamlit import config as st_config

    option = st_config._config_options_template["client.toolbarMode"]  # the option exists in this Streamlit
    assert "viewer" in (option.description or "") and "minimal" in (option.description or "")
