"""Write the corpus of broken import files under tests/data/bad_inputs/ (deterministic; run from the repo root).

Every file is listed in tests/data/bad_inputs/EXPECTED.toml with what it is, the error or warning it must produce,
and its category; tests/test_bad_inputs.py checks each one. Real county boundaries (黑水 513228) place the points;
the village names are invented (示意村) except where a real NBS 2023 name is the point of the case.
"""
from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely

ROOT = Path(__file__).resolve().parent.parent

from geo.boundaries import load_boundary  # noqa: E402
from geo.crs import wgs84_to_bd09, wgs84_to_gcj02  # noqa: E402

OUT = ROOT / "tests" / "data" / "bad_inputs"
FIXED_TIME = (2024, 1, 1, 0, 0, 0)
HEADER = "村名,经度,纬度,户籍人口,2014\n"


def village_rows(rows) -> str:
    return HEADER + "".join(f"{name},{lon},{lat},{pop},{poor}\n" for name, lon, lat, pop, poor in rows)


def write(name: str, content) -> None:
    path = OUT / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)


def zip_bytes(entries: list[tuple[str, bytes]], *, symlink: set[str] = frozenset()) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = ((0o120777 if name in symlink else 0o100644) << 16)
            archive.writestr(info, data)
    return buffer.getvalue()


def shapefile_parts(frame: gpd.GeoDataFrame, *, encoding: str = "UTF-8", drop: tuple[str, ...] = ()) -> list:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "layer.shp"
        pyogrio.write_dataframe(frame, path, encoding=encoding)
        return [(p.name, p.read_bytes()) for p in sorted(Path(folder).iterdir()) if p.suffix not in drop]


def geojson(frame: gpd.GeoDataFrame) -> str:
    return frame.to_json(drop_id=True, ensure_ascii=False)


def edge_points(boundary, n: int = 120) -> tuple[np.ndarray, np.ndarray]:
    """Points ~50 m inside the county edge: a 300-600 m datum shift moves many of them out."""
    shape = boundary.geometry.iloc[0].buffer(-0.0005)
    if shape.geom_type == "MultiPolygon":
        shape = max(shape.geoms, key=lambda g: g.area)
    points = shapely.line_interpolate_point(shape.exterior, np.linspace(0, 1, n, endpoint=False), normalized=True)
    return shapely.get_x(points), shapely.get_y(points)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.iterdir():
        if old.name != "EXPECTED.toml":
            old.unlink()
    heishui = load_boundary("513228")
    good = [("示意村A", 102.99, 32.07, 800, 120), ("示意村B", 103.10, 32.10, 600, 30)]

    # --- tables: encodings and format
    write("empty.csv", b"")
    write("header_only.csv", HEADER)
    write("not_text.csv", b"\x80\xff\x81\xfe\x00\x01" * 50)
    write("pdf_renamed.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n")
    write("gbk_good.csv", village_rows(good).encode("gbk"))  # a valid GBK file: no error, names decoded
    write("missing_coordinates.csv", "村名,户籍人口\n示意村A,800\n")
    write("text_in_number.csv", "村名,经度,纬度\n示意村A,见附图,32.07\n")  # 东经102.99 is an angle (issue 13)
    write("longitude_out_of_range.csv", "村名,经度,纬度\n示意村A,330.5,32.07\n")
    write("swapped_coordinates.csv", "村名,经度,纬度\n示意村A,32.07,102.99\n示意村B,32.10,103.10\n")
    write("duplicate_ids.csv", "编号,村名,经度,纬度\n1,示意村A,102.99,32.07\n1,示意村B,103.10,32.10\n")
    write("empty_name.csv", "村名,经度,纬度\n,102.99,32.07\n")
    write("negative_poor.csv", "村名,经度,纬度,2014\n示意村A,102.99,32.07,-5\n")
    # --- coordinates and datums
    lon, lat = edge_points(heishui)
    for datum, shift in (("gcj02", wgs84_to_gcj02), ("bd09", wgs84_to_bd09)):
        s_lon, s_lat = shift(lon, lat)
        write(f"{datum}_points_declared_wgs84.csv", "村名,经度,纬度\n" + "".join(
            f"示意村{i:03d},{a:.6f},{b:.6f}\n" for i, (a, b) in enumerate(zip(s_lon, s_lat))))
    write("outside_region.csv", "村名,经度,纬度\n示意村A,104.5,30.5\n")
    # --- codes
    write("scientific_code.csv", "村名,经度,纬度,统计用区划代码\n示意村A,102.99,32.07,5.13228E+11\n")
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["村名", "经度", "纬度", "统计用区划代码", "户籍人口"])
    sheet.append(["沙板沟村", 102.99, 32.07, 513228100201, 800])  # a number cell (Excel shows 5.13228E+11)
    buffer = io.BytesIO()
    book.save(buffer)
    write("code_as_excel_number.xlsx", _stable_xlsx(buffer.getvalue()))
    book = Workbook()
    sheet = book.active
    sheet.append(["村名", "经度", "纬度", "户籍人口"])
    sheet.append(["示意村A", 102.99, 32.07, "=400*2"])  # a formula Excel never calculated: no saved value
    buffer = io.BytesIO()
    book.save(buffer)
    write("unsaved_formula.xlsx", _stable_xlsx(buffer.getvalue()))
    write("short_code.csv", "村名,经度,纬度,统计用区划代码\n示意村A,102.99,32.07,5132281\n")
    write("code_of_another_county.csv", "村名,经度,纬度,统计用区划代码\n示意村A,102.99,32.07,511725100001\n")
    write("code_not_in_nbs_list.csv", "村名,经度,纬度,统计用区划代码\n示意村A,102.99,32.07,513228100999\n")
    write("code_name_mismatch.csv", "村名,经度,纬度,统计用区划代码\n示意村A,102.99,32.07,513228100201\n")
    write("name_without_code.csv", "村名,经度,纬度,统计用区划代码\n沙板沟村,102.99,32.07,\n")
    # --- long form
    write("long_form_repeated_year.csv", "村名,经度,纬度,年份,贫困人口\n示意村A,102.99,32.07,2016,50\n"
                                         "示意村A,102.99,32.07,2016,40\n")
    write("long_form_bad_year.csv", "村名,经度,纬度,年份,贫困人口\n示意村A,102.99,32.07,2031,50\n")
    # --- vector villages
    polygons = gpd.GeoDataFrame({"村名": ["示意村A"]}, geometry=[shapely.box(102.98, 32.06, 103.0, 32.08)], crs=4326)
    write("villages_as_polygons.geojson", geojson(polygons))
    points = gpd.GeoDataFrame({"村名": ["示意村A", "示意村B"]}, geometry=shapely.points([102.99, 103.1], [32.07, 32.1]),
                              crs=4326)
    write("villages_shapefile_without_prj.zip", zip_bytes(shapefile_parts(points, drop=(".prj",))))
    write("shapefile_without_dbf.zip", zip_bytes(shapefile_parts(points, drop=(".dbf",))))
    # --- zones
    bow_tie = shapely.Polygon([(102.9, 32.0), (103.0, 32.1), (103.0, 32.0), (102.9, 32.1)])
    zones = gpd.GeoDataFrame({"名称": ["自相交沟"], "产业": ["中药材"]}, geometry=[bow_tie], crs=4326)
    write("zones_self_intersecting.geojson", geojson(zones))
    write("zones_points.geojson", geojson(gpd.GeoDataFrame({"名称": ["点"]}, geometry=shapely.points([102.99], [32.07]),
                                                           crs=4326)))
    valley = shapely.box(102.95, 32.0, 103.05, 32.1)
    projected = gpd.GeoDataFrame({"名称": ["沟"]}, geometry=[valley], crs=4326).to_crs(4543)
    write("zones_projected_without_prj.zip", zip_bytes(shapefile_parts(projected, drop=(".prj",))))
    line = shapely.LineString([(102.9, 32.0), (103.1, 32.2)])
    write("zones_half_width_in_metres.geojson", geojson(gpd.GeoDataFrame(
        {"名称": ["产业带"], "半宽": [5000.0]}, geometry=[line], crs=4326)))
    write("zones_kind_contradicts_geometry.geojson", geojson(gpd.GeoDataFrame(
        {"名称": ["沟"], "类型": ["产业带"]}, geometry=[valley], crs=4326)))
    with tempfile.TemporaryDirectory() as folder:
        kml = Path(folder) / "z.kml"
        pyogrio.write_dataframe(gpd.GeoDataFrame({"名称": ["远处的沟"]}, geometry=[shapely.box(110, 25, 110.1, 25.1)],
                                                 crs=4326), kml, driver="KML")
        write("zones_outside_region.kml", kml.read_bytes())
    write("zones_duplicate_ids.geojson", geojson(gpd.GeoDataFrame(
        {"编号": ["z1", "z1"], "名称": ["沟一", "沟二"]}, geometry=[valley, shapely.box(103.05, 32.0, 103.1, 32.1)],
        crs=4326)))
    write("zones_no_features.geojson", '{"type": "FeatureCollection", "features": []}')
    write("zones_truncated.geojson", geojson(zones)[:60])
    gbk = gpd.GeoDataFrame({"名称": ["芦花沟"], "产业": ["中药材、旅游"]}, geometry=[valley], crs=4326)
    write("zones_shapefile_gbk_without_cpg.zip", zip_bytes(shapefile_parts(gbk, encoding="GBK", drop=(".cpg",))))
    # --- hostile archives
    shp = shapefile_parts(points)
    write("zip_path_traversal.zip", zip_bytes([("../" + n, d) for n, d in shp]))
    write("zip_absolute_path.zip", zip_bytes([("/tmp/" + n, d) for n, d in shp]))
    write("zip_symlink.zip", zip_bytes([*shp, ("link.dbf", b"/etc/passwd")], symlink={"link.dbf"}))
    write("zip_bomb.zip", zip_bytes([("layer.shp", bytes(64 * 1024 * 1024))]))  # 64 MB of zeros in ~64 KB
    write("zip_too_many_entries.zip", zip_bytes([(f"part{i:04d}.txt", b"x") for i in range(500)]))
    write("zip_not_a_zip.zip", b"PK\x03\x04 this is not really an archive" * 10)
    write("zip_without_layer.zip", zip_bytes([("readme.txt", "只有说明，没有图层".encode())]))
    print(f"{len(list(OUT.iterdir())) - 1} files in {OUT.relative_to(ROOT)}")


def _stable_xlsx(data: bytes) -> bytes:
    """Rewrite an xlsx with fixed timestamps so that the corpus is byte-identical on every run."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                import re

                content = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b"2024-01-01T00:00:00Z", content)
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(fixed, content)
    return out.getvalue()


if __name__ == "__main__":
    main()
