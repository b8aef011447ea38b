"""Village indicators: the registry (data/indicators.toml), the long table (village × year × indicator) and its forms.

The long table has one row per region, village, year, month (None: the year's figure), indicator and value —
LONG_COLUMNS. A value that is not in the table is unknown (None), never 0. Wide tables (监测户数2021 …, poor_2014 …)
and the bundled seed villages' poor_YYYY / poverty status / lifted_YYYY columns convert to it and back.

Months: a row with a month is that month's figure. The figure of a year is the row without a month when there is
one, else the latest month the region reports for that indicator in that year (one time point for every village,
so a zone total never mixes months), unless a month is asked for.
"""
from __future__ import annotations

import datetime as _dt
import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from geo.errors import RegistryError
from geo.schema import Report

REGISTRY_PATH = Path(__file__).resolve().parent.parent / "data" / "indicators.toml"
KINDS = ("people", "households", "villages", "money", "share")
AGGREGATIONS = ("sum", "weighted_mean")
FIRST_YEAR = 2014  # the first year the atlas holds: identification of the registered poor (建档立卡)
CUSTOM_PREFIX = "custom:"  # id of an indicator named by an imported file's header
LONG_COLUMNS = ["region", "village_id", "year", "month", "indicator", "value", "provenance", "source"]
LONG_KEY = ["region", "village_id", "indicator", "year", "month"]  # unique; month None is the year's figure
SEED_INDICATORS = ("rural_population", "poor_population", "poverty_village", "lifted_out")
# Storage: plain (non-spatial) tables of the workspace, GeoPackage (SQLite) or PostgreSQL.
INDICATOR_TABLE = "village_indicators"
DEFINITION_TABLE = "indicator_definitions"
STORAGE_DDL = (
    f"CREATE TABLE IF NOT EXISTS {INDICATOR_TABLE} (region TEXT NOT NULL, village_id TEXT NOT NULL, "
    "year INTEGER NOT NULL, month INTEGER, indicator TEXT NOT NULL, value DOUBLE PRECISION NOT NULL, "
    "provenance TEXT NOT NULL, source TEXT NOT NULL DEFAULT '')",
    f"CREATE UNIQUE INDEX IF NOT EXISTS {INDICATOR_TABLE}_key ON {INDICATOR_TABLE} "
    "(region, village_id, indicator, year, COALESCE(month, 0))",
    f"CREATE INDEX IF NOT EXISTS {INDICATOR_TABLE}_by_year ON {INDICATOR_TABLE} (region, indicator, year)",
    f"CREATE TABLE IF NOT EXISTS {DEFINITION_TABLE} (region TEXT NOT NULL, indicator TEXT NOT NULL, "
    "name_zh TEXT NOT NULL, name_en TEXT NOT NULL, unit_zh TEXT NOT NULL, unit_en TEXT NOT NULL, kind TEXT NOT NULL, "
    "aggregation TEXT NOT NULL, weight TEXT, header TEXT NOT NULL, PRIMARY KEY (region, indicator))",
)


def current_year() -> int:
    """Return this year: the last year a user's file may hold."""
    return _dt.date.today().year


# ---------------------------------------------------------------------------------------------- the registry
@dataclass(frozen=True)
class Source:
    """Where built-in indicators are defined (and, for the seed regions, where their figures come from)."""

    id: str
    title_zh: str
    title_en: str
    publisher: str
    date: str | None = None
    files: tuple[str, ...] = ()


@dataclass(frozen=True)
class Indicator:
    """One village indicator: names, unit, kind and how it aggregates over a zone."""

    id: str
    name_zh: str
    name_en: str
    unit_zh: str
    unit_en: str
    kind: str
    aggregation: str = "sum"
    weight: str | None = None
    integer: bool = False
    source: str | None = None  # a Source id; None for a custom indicator
    aliases: tuple[str, ...] = ()
    notes_zh: str = ""
    notes_en: str = ""
    header: str | None = None  # a custom indicator: the header it was named by

    @property
    def custom(self) -> bool:
        return self.id.startswith(CUSTOM_PREFIX)

    def name(self, lang: str = "zh") -> str:
        return self.name_zh if lang == "zh" else self.name_en

    def unit(self, lang: str = "zh") -> str:
        return self.unit_zh if lang == "zh" else self.unit_en


@dataclass(frozen=True)
class HeaderMatch:
    """What a column header means: an indicator, and the year (and month) of a wide column."""

    indicator: str
    year: int | None = None
    month: int | None = None


@dataclass(frozen=True)
class PlanningClass:
    """A village planning class (村庄分类) and the cell values that mean it."""

    id: str
    name_zh: str
    name_en: str
    aliases: tuple[str, ...] = ()

    def name(self, lang: str = "zh") -> str:
        return self.name_zh if lang == "zh" else self.name_en


@dataclass(frozen=True)
class IndicatorRegistry:
    """The indicators in file order (built-ins first, then any custom ones), the sources by id and the village
    planning classes with the headers of their column."""

    indicators: tuple[Indicator, ...]
    sources: dict[str, Source] = field(default_factory=dict)
    planning_classes: tuple[PlanningClass, ...] = ()
    planning_headers: tuple[str, ...] = ()
    _aliases: dict[str, str] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self):
        table: dict[str, str] = {}
        for indicator in self.indicators:
            for alias in (*indicator.aliases, *([indicator.header] if indicator.header else [])):
                table.setdefault(normalise_header(alias), indicator.id)
        object.__setattr__(self, "_aliases", table)

    def get(self, indicator_id: str) -> Indicator:
        for indicator in self.indicators:
            if indicator.id == indicator_id:
                return indicator
        known = ", ".join(i.id for i in self.indicators)
        raise KeyError(f"unknown indicator {indicator_id!r}; known indicators: {known}")

    def __contains__(self, indicator_id: str) -> bool:
        return any(i.id == indicator_id for i in self.indicators)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(i.id for i in self.indicators)

    def with_custom(self, *custom: Indicator) -> IndicatorRegistry:
        """Return the registry with custom indicators added (an id already present is replaced)."""
        ids = {c.id for c in custom}
        kept = tuple(i for i in self.indicators if i.id not in ids)
        registry = IndicatorRegistry(kept + tuple(custom), self.sources, self.planning_classes, self.planning_headers)
        _check_weights(registry)
        return registry

    def match_header(self, header: str) -> HeaderMatch | None:
        """Return the indicator a column header names (with the year and month of a wide column), or None.

        Recognised: an alias (监测户数), an alias with a year or month before or after it (监测户数2021,
        2021年监测户数, 监测户数（2024年6月）), the canonical id_YEAR (poor_2014, lifted_2015, monitored_people_2024,
        monitored_people_2024_06) and the header a custom indicator was named by.
        """
        key = normalise_header(header)
        if not key:
            return None
        canonical = re.fullmatch(r"(.+?)_((?:19|20)\d\d)(?:_(\d\d))?", str(header).strip())
        if canonical:
            name = {"poor": "poor_population", "lifted": "lifted_out"}.get(canonical.group(1), canonical.group(1))
            if name in self:
                month = int(canonical.group(3)) if canonical.group(3) else None
                return HeaderMatch(name, int(canonical.group(2)), month)
        aliases = self._aliases
        if key in aliases:
            return HeaderMatch(aliases[key])
        for pattern in _PERIOD_AROUND:
            found = pattern.fullmatch(key)
            if found and found.group("rest") in aliases:
                month = int(found.group("month")) if found.group("month") else None
                return HeaderMatch(aliases[found.group("rest")], int(found.group("year")), month)
        return None

    def planning_class_of(self, value: object) -> str | None:
        """Return the planning class id a cell means (集聚提升类, 集聚提升, agglomeration …), "" for an empty cell,
        None when the cell means no class."""
        key = normalise_header(value) if value is not None and not (isinstance(value, float) and np.isnan(value)) \
            else ""
        if key in ("", "nan", "none", "-", "无"):
            return ""
        for planning_class in self.planning_classes:
            if key in {normalise_header(a) for a in (planning_class.id, *planning_class.aliases)}:
                return planning_class.id
        return None

    def is_planning_header(self, header: str) -> bool:
        """Return True when a column header holds village planning classes (村庄分类, 村庄类型 …)."""
        return normalise_header(header) in {normalise_header(h) for h in self.planning_headers}


_PERIOD = r"(?P<year>(?:19|20)\d\d)(?:年(?:末|底|度)?)?(?:(?P<month>1[0-2]|0?[1-9])月(?:末|底|份)?)?"
_PERIOD_AROUND = (re.compile(rf"(?P<rest>.+?){_PERIOD}"), re.compile(rf"{_PERIOD}(?P<rest>.+)"))


def normalise_header(header: object) -> str:
    """Return a header as compared with aliases: no spaces, brackets or punctuation, lower case."""
    return re.sub(r"[\s_\-（）()【】\[\]{}:：/、,，.。·]+", "", str(header)).lower()


def _require(entry: dict, key: str, kind, where: str):
    if key not in entry:
        raise RegistryError(f"{where}: missing field '{key}'")
    value = entry[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        expected = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise RegistryError(f"{where}: field '{key}' is {value!r} ({type(value).__name__}); expected {expected}")
    return value


_ID = re.compile(r"[a-z][a-z0-9_]*")


def parse_indicators(doc: dict, *, seeds_dir: Path | None = None) -> IndicatorRegistry:
    """Validate a parsed indicator registry and return it; raise RegistryError naming the entry and the field."""
    sources: dict[str, Source] = {}
    for i, entry in enumerate(doc.get("sources", []), start=1):
        sid = _require(entry, "id", str, f"[[sources]] #{i}")
        where = f"source '{sid}'"
        for key in ("title_zh", "title_en", "publisher"):
            _require(entry, key, str, where)
        unknown = sorted(set(entry) - set(Source.__dataclass_fields__))
        if unknown:
            raise RegistryError(f"{where}: unknown field(s) {', '.join(unknown)}")
        files = tuple(_require(entry, "files", list, where)) if "files" in entry else ()
        if seeds_dir is not None:
            for name in files:
                if not (seeds_dir / name).exists():
                    raise RegistryError(f"{where}: file {name!r} is not in {seeds_dir}")
        if sid in sources:
            raise RegistryError(f"{where}: duplicate source id")
        sources[sid] = Source(**{**entry, "files": files})
    if not doc.get("indicators"):
        raise RegistryError("indicator registry has no [[indicators]] entries")
    indicators: list[Indicator] = []
    seen: set[str] = set()
    for i, entry in enumerate(doc["indicators"], start=1):
        iid = _require(entry, "id", str, f"[[indicators]] #{i}")
        where = f"indicator '{iid}'"
        if not _ID.fullmatch(iid):
            raise RegistryError(f"{where}: an id is lower_snake_case ASCII (letters, digits, _), starting with a letter")
        if iid in seen:
            raise RegistryError(f"{where}: duplicate indicator id")
        seen.add(iid)
        unknown = sorted(set(entry) - (set(Indicator.__dataclass_fields__) - {"header"}))
        if unknown:
            raise RegistryError(f"{where}: unknown field(s) {', '.join(unknown)}")
        for key in ("name_zh", "name_en", "unit_zh", "unit_en", "kind", "aggregation", "source"):
            _require(entry, key, str, where)
        if entry["kind"] not in KINDS:
            raise RegistryError(f"{where}: field 'kind' is {entry['kind']!r}; expected one of {', '.join(KINDS)}")
        if entry["aggregation"] not in AGGREGATIONS:
            raise RegistryError(f"{where}: field 'aggregation' is {entry['aggregation']!r}; expected one of "
                                f"{', '.join(AGGREGATIONS)}")
        if entry["source"] not in sources:
            raise RegistryError(f"{where}: field 'source' names {entry['source']!r}, which is not a [[sources]] id")
        aliases = _require(entry, "aliases", list, where)
        if not all(isinstance(a, str) and a.strip() for a in aliases):
            raise RegistryError(f"{where}: field 'aliases' must list non-empty strings")
        for key, kind in (("integer", bool), ("weight", str), ("notes_zh", str), ("notes_en", str)):
            if key in entry:
                _require(entry, key, kind, where)
        indicators.append(Indicator(**{**entry, "aliases": tuple(aliases)}))
    planning = doc.get("planning", {})
    classes = []
    for i, entry in enumerate(doc.get("planning_classes", []), start=1):
        cid = _require(entry, "id", str, f"[[planning_classes]] #{i}")
        for key in ("name_zh", "name_en"):
            _require(entry, key, str, f"planning class '{cid}'")
        classes.append(PlanningClass(cid, entry["name_zh"], entry["name_en"],
                                     tuple(_require(entry, "aliases", list, f"planning class '{cid}'"))))
    if classes:
        headers = _require(planning, "headers", list, "[planning]")
        if _require(planning, "source", str, "[planning]") not in sources:
            raise RegistryError(f"[planning]: field 'source' names {planning['source']!r}, which is not a [[sources]] id")
    registry = IndicatorRegistry(tuple(indicators), sources, tuple(classes), tuple(headers) if classes else ())
    _check_weights(registry)
    _check_aliases(registry)
    return registry


def _check_weights(registry: IndicatorRegistry) -> None:
    for indicator in registry.indicators:
        where = f"indicator '{indicator.id}'"
        if indicator.aggregation == "weighted_mean":
            if not indicator.weight:
                raise RegistryError(f"{where}: a weighted_mean needs 'weight' (the id of the indicator weighting it)")
            if indicator.weight not in registry or indicator.weight == indicator.id:
                raise RegistryError(f"{where}: field 'weight' names {indicator.weight!r}, which is not another "
                                    "indicator of the registry")
            if registry.get(indicator.weight).aggregation != "sum":
                raise RegistryError(f"{where}: its weight {indicator.weight!r} must itself be summed")
        elif indicator.weight:
            raise RegistryError(f"{where}: 'weight' is only for aggregation = \"weighted_mean\"")


def _check_aliases(registry: IndicatorRegistry) -> None:
    owner: dict[str, str] = {}
    for indicator in registry.indicators:
        for alias in indicator.aliases:
            key = normalise_header(alias)
            if owner.get(key, indicator.id) != indicator.id:
                raise RegistryError(f"indicator '{indicator.id}': alias {alias!r} is already an alias of "
                                    f"'{owner[key]}'")
            owner[key] = indicator.id


def load_indicator_file(path: Path | str) -> IndicatorRegistry:
    """Read and validate an indicator registry TOML file."""
    try:
        with open(path, "rb") as fh:
            doc = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise RegistryError(f"{path}: not valid TOML — {exc}") from exc
    return parse_indicators(doc, seeds_dir=Path(path).resolve().parent / "seeds")


@lru_cache(maxsize=1)
def load_indicators() -> IndicatorRegistry:
    """Return the bundled indicator registry (validated once per process)."""
    return load_indicator_file(REGISTRY_PATH)


def custom_indicator(header: str, *, unit_zh: str, unit_en: str | None = None, kind: str = "people",
                     aggregation: str = "sum", weight: str | None = None,
                     name_en: str | None = None) -> Indicator:
    """Return the indicator an imported numeric column becomes: named by its header, in the unit the user states.

    Its id is "custom:" + the normalised header, so the same header in a later import is the same indicator.
    """
    header = str(header).strip()
    if not normalise_header(header):
        raise ValueError("a custom indicator needs a non-empty header to be named by")
    if kind not in KINDS:
        raise ValueError(f"kind {kind!r} is not one of {', '.join(KINDS)}")
    if aggregation not in AGGREGATIONS:
        raise ValueError(f"aggregation {aggregation!r} is not one of {', '.join(AGGREGATIONS)}")
    if not str(unit_zh).strip():
        raise ValueError(f"say the unit of {header!r} (e.g. 人, 户, 元, 亩)")
    return Indicator(id=CUSTOM_PREFIX + normalise_header(header), name_zh=header, name_en=name_en or header,
                     unit_zh=unit_zh, unit_en=unit_en or unit_zh, kind=kind, aggregation=aggregation, weight=weight,
                     integer=kind in ("people", "households", "villages"), source=None, header=header)


def definitions_frame(registry: IndicatorRegistry, region: str) -> pd.DataFrame:
    """Return the custom indicators of a registry as rows of the DEFINITION_TABLE (what the workspace stores)."""
    rows = [{"region": region, "indicator": i.id, "name_zh": i.name_zh, "name_en": i.name_en, "unit_zh": i.unit_zh,
             "unit_en": i.unit_en, "kind": i.kind, "aggregation": i.aggregation, "weight": i.weight,
             "header": i.header or i.name_zh} for i in registry.indicators if i.custom]
    return pd.DataFrame(rows, columns=["region", "indicator", "name_zh", "name_en", "unit_zh", "unit_en", "kind",
                                       "aggregation", "weight", "header"])


def registry_with_definitions(definitions: pd.DataFrame | None,
                              registry: IndicatorRegistry | None = None) -> IndicatorRegistry:
    """Return the registry plus the custom indicators stored in DEFINITION_TABLE rows."""
    registry = registry or load_indicators()
    if definitions is None or not len(definitions):
        return registry
    custom = [Indicator(id=r.indicator, name_zh=r.name_zh, name_en=r.name_en, unit_zh=r.unit_zh, unit_en=r.unit_en,
                        kind=r.kind, aggregation=r.aggregation, weight=r.weight if isinstance(r.weight, str) else None,
                        integer=r.kind in ("people", "households", "villages"), header=r.header)
              for r in definitions.itertuples(index=False)]
    return registry.with_custom(*custom)


# ---------------------------------------------------------------------------------------------- periods
_MONTH_TEXT = re.compile(r"\s*((?:19|20)\d\d)\s*(?:年(?:末|底|度)?)?\s*(?:[-/.]?\s*(1[0-2]|0?[1-9])\s*(?:月(?:末|底|份)?)?"
                         r"(?:\s*[-/.]?\s*\d{1,2}\s*日?)?)?\s*")


def parse_period(value: object) -> tuple[int, int | None] | None:
    """Return (year, month or None) of a period cell: 2024, 2024年, 2024年末, 2024年6月, 2024-06, 2024/6/30, 202406.

    None when the cell is not a period.
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, (int, np.integer)) or (isinstance(value, float) and float(value).is_integer()):
        value = str(int(value))
    if isinstance(value, (_dt.date, pd.Timestamp)):
        return value.year, value.month
    text = str(value).strip()
    compact = re.fullmatch(r"((?:19|20)\d\d)(0[1-9]|1[0-2])", text)
    if compact:
        return int(compact.group(1)), int(compact.group(2))
    found = _MONTH_TEXT.fullmatch(text)
    if not found:
        return None
    return int(found.group(1)), (int(found.group(2)) if found.group(2) else None)


# ---------------------------------------------------------------------------------------------- the long table
def empty_long() -> pd.DataFrame:
    """Return a long indicator table with no rows."""
    return _typed(pd.DataFrame({c: [] for c in LONG_COLUMNS}))


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame[LONG_COLUMNS].copy()
    for column in ("region", "village_id", "indicator", "provenance", "source"):
        out[column] = out[column].astype(object).where(out[column].notna(), "").astype(str)
    out["year"] = out["year"].astype(np.int64)
    out["month"] = out["month"].astype("Int64")
    out["value"] = out["value"].astype(float)
    return out


def validate_long(table: pd.DataFrame, *, registry: IndicatorRegistry | None = None, name: str = "indicators",
                  last_year: int | None = None) -> pd.DataFrame:
    """Return a long table checked (types, years 2014…this year, months 1–12, known indicators, no duplicates,
    no negative or fractional counts), sorted by its key; raise SchemaError listing every problem by row."""
    from geo.zones import PROVENANCES

    registry = registry or load_indicators()
    last_year = last_year or current_year()
    report = Report(name)
    frame = table.copy()
    for column, default in (("provenance", "user"), ("source", ""), ("month", pd.NA)):
        if column not in frame.columns:
            frame[column] = default
    for column in LONG_COLUMNS:
        if column not in frame.columns:
            report.add(None, column, "schema_missing_column", column=column)
    report.raise_if_any()
    rows = np.arange(1, len(frame) + 1)
    numbers = {}
    for column in ("year", "month", "value"):
        as_number = pd.to_numeric(frame[column], errors="coerce")
        bad = as_number.isna() & frame[column].notna()
        if column != "month":
            bad |= frame[column].isna()
        for i in np.flatnonzero(bad.to_numpy()):
            report.add(int(rows[i]), column, "schema_not_number", value=repr(frame[column].iloc[i]))
        numbers[column] = as_number
    year, month, value = numbers["year"], numbers["month"], numbers["value"]
    for i in np.flatnonzero(((year < FIRST_YEAR) | (year > last_year) | (year % 1 != 0)).to_numpy()):
        report.add(int(rows[i]), "year", "indicator_year_range", year=year.iloc[i], first=FIRST_YEAR, last=last_year)
    for i in np.flatnonzero((month.notna() & ((month < 1) | (month > 12) | (month % 1 != 0))).to_numpy()):
        report.add(int(rows[i]), "month", "indicator_month_range", month=month.iloc[i])
    for i in np.flatnonzero((~np.isfinite(value.fillna(0))).to_numpy()):
        report.add(int(rows[i]), "value", "schema_not_number", value=repr(frame["value"].iloc[i]))
    known = frame["indicator"].isin(registry.ids)
    for i in np.flatnonzero((~known).to_numpy()):
        report.add(int(rows[i]), "indicator", "indicator_unknown", indicator=str(frame["indicator"].iloc[i]))
    counts = frame["indicator"].map({i.id: i.integer for i in registry.indicators}).fillna(False).astype(bool)
    for i in np.flatnonzero((counts & (value < 0)).to_numpy()):
        report.add(int(rows[i]), "value", "schema_negative", value=value.iloc[i])
    for i in np.flatnonzero((counts & value.notna() & (value % 1 != 0)).to_numpy()):
        report.add(int(rows[i]), "value", "indicator_not_whole", value=value.iloc[i],
                   indicator=str(frame["indicator"].iloc[i]))
    for i in np.flatnonzero((~frame["provenance"].isin(PROVENANCES)).to_numpy()):
        report.add(int(rows[i]), "provenance", "schema_provenance", value=repr(frame["provenance"].iloc[i]),
                   allowed=", ".join(PROVENANCES))
    empty_id = frame["village_id"].isna() | (frame["village_id"].astype(str).str.strip() == "")
    for i in np.flatnonzero(empty_id.to_numpy()):
        report.add(int(rows[i]), "village_id", "indicator_no_village")
    report.raise_if_any()
    frame["year"], frame["month"], frame["value"] = year, month, value
    out = _typed(frame)
    duplicated = out.assign(m=out["month"].fillna(0)).duplicated(["region", "village_id", "indicator", "year", "m"])
    for i in np.flatnonzero(duplicated.to_numpy()):
        report.add(int(rows[i]), None, "indicator_duplicate", village=out["village_id"].iloc[i],
                   indicator=out["indicator"].iloc[i], year=int(out["year"].iloc[i]),
                   month="" if pd.isna(out["month"].iloc[i]) else int(out["month"].iloc[i]))
    report.raise_if_any()
    return sort_long(out)


def sort_long(table: pd.DataFrame) -> pd.DataFrame:
    """Return a long table in its canonical order (region, indicator, year, month — None last —, village)."""
    order = table.assign(_m=table["month"].fillna(99).astype(np.int64))
    order = order.sort_values(["region", "indicator", "year", "_m", "village_id"], kind="stable")
    return order.drop(columns="_m").reset_index(drop=True)


# ---------------------------------------------------------------------------------------------- wide <-> long
def wide_column(indicator: str, year: int, month: int | None = None) -> str:
    """Return the canonical wide column of an indicator in a year (monitored_people_2024, …_2024_06 for June)."""
    return f"{indicator}_{year}" if month is None else f"{indicator}_{year}_{month:02d}"


def long_to_wide(table: pd.DataFrame, *, id_column: str = "village_id") -> pd.DataFrame:
    """Return one row per region and village, one column per indicator, year and month (wide_column names); cells
    without a value are NaN."""
    if not len(table):
        return pd.DataFrame(columns=["region", id_column])
    keyed = table.assign(column=[wide_column(i, y, None if pd.isna(m) else int(m))
                                 for i, y, m in zip(table["indicator"], table["year"], table["month"])])
    wide = keyed.pivot_table(index=["region", "village_id"], columns="column", values="value", aggfunc="first",
                             sort=True, dropna=False)
    wide.columns.name = None
    wide = wide.reset_index().rename(columns={"village_id": id_column})
    return wide


def wide_to_long(table: pd.DataFrame, *, region: str, id_column: str = "village_id",
                 registry: IndicatorRegistry | None = None, provenance: str = "user", source: str = "",
                 columns: dict[str, HeaderMatch] | None = None) -> pd.DataFrame:
    """Return the long form of a wide table: one row per village and matched (indicator, year[, month]) column
    whose cell holds a number. Empty cells are left out (unknown, not 0).

    columns: {column: HeaderMatch} to use instead of matching the headers with the registry (a user's mapping);
    a match without a year is not a wide column and is skipped.
    """
    registry = registry or load_indicators()
    if columns is None:
        columns = {c: m for c in table.columns if c != id_column and (m := registry.match_header(c)) is not None}
    parts = []
    ids = table[id_column].astype(str).to_numpy()
    for column, match in columns.items():
        if match.year is None:
            continue
        values = _numbers(table[column])
        keep = ~np.isnan(values)
        parts.append(pd.DataFrame({"region": region, "village_id": ids[keep], "year": match.year,
                                   "month": match.month, "indicator": match.indicator, "value": values[keep],
                                   "provenance": provenance, "source": source}))
    if not parts:
        return empty_long()
    return sort_long(_typed(pd.concat(parts, ignore_index=True)))


def _numbers(column: pd.Series) -> np.ndarray:
    """Return a column as floats (NaN where empty or not a number; thousands separators allowed).

    The importer reports cells that are not numbers (geo.ingest.tables.parse_number_column) before this."""
    if not pd.api.types.is_numeric_dtype(column):
        column = column.astype(str).str.strip().str.replace(",", "", regex=False).str.replace("，", "", regex=False)
    return pd.to_numeric(column, errors="coerce").to_numpy(dtype=float)


def rows_to_long(table: pd.DataFrame, *, region: str, period_column: str, id_column: str = "village_id",
                 registry: IndicatorRegistry | None = None, provenance: str = "user", source: str = "",
                 columns: dict[str, str] | None = None) -> tuple[pd.DataFrame, list[int]]:
    """Return the long form of a table with a period column (年份 / 统计时点: 2024, 2024年6月) and one column per
    indicator, and the 0-based positions of rows whose period cannot be read.

    columns: {column: indicator id} to use instead of matching the headers with the registry.
    """
    registry = registry or load_indicators()
    if columns is None:
        columns = {c: m.indicator for c in table.columns if c not in (id_column, period_column)
                   and (m := registry.match_header(c)) is not None and m.year is None}
    periods = [parse_period(v) for v in table[period_column]]
    bad = [i for i, p in enumerate(periods) if p is None]
    ok = np.array([p is not None for p in periods], dtype=bool)
    years = np.array([p[0] if p else 0 for p in periods], dtype=np.int64)
    months = pd.array([p[1] if p else None for p in periods], dtype="Int64")
    ids = table[id_column].astype(str).to_numpy()
    parts = []
    for column, indicator in columns.items():
        values = _numbers(table[column])
        keep = ok & ~np.isnan(values)
        parts.append(pd.DataFrame({"region": region, "village_id": ids[keep], "year": years[keep],
                                   "month": months[keep], "indicator": indicator, "value": values[keep],
                                   "provenance": provenance, "source": source}))
    if not parts:
        return empty_long(), bad
    return sort_long(_typed(pd.concat(parts, ignore_index=True))), bad


# ---------------------------------------------------------------------------------------------- any table
PERIOD_HEADERS = ("年份", "年度", "年", "统计时点", "统计年月", "统计月份", "月份", "报告期", "时间", "year", "period")


@dataclass(frozen=True)
class IndicatorColumns:
    """What the columns of an imported table hold: indicators (wide columns with their year), the period column of
    a long table, the planning-class column, and numeric columns no indicator claims (custom: a unit is needed)."""

    matched: dict[str, HeaderMatch]
    period: str | None = None
    planning: str | None = None
    unclaimed_numeric: tuple[str, ...] = ()


def indicator_columns(table: pd.DataFrame, *, registry: IndicatorRegistry | None = None,
                      exclude=()) -> IndicatorColumns:
    """Return what each column of a table holds (columns in exclude — ids, names, coordinates — are skipped).

    A column is numeric when at least half of its non-empty cells read as numbers.
    """
    registry = registry or load_indicators()
    period = next((c for c in table.columns if c not in exclude
                   and normalise_header(c) in {normalise_header(h) for h in PERIOD_HEADERS}), None)
    planning = next((c for c in table.columns if c not in exclude and registry.is_planning_header(c)), None)
    matched: dict[str, HeaderMatch] = {}
    unclaimed = []
    for column in table.columns:
        if column in exclude or column in (period, planning):
            continue
        match = registry.match_header(column)
        if match is not None:
            matched[column] = match
            continue
        text = table[column].astype(str).str.strip().str.replace(",", "", regex=False)
        filled = text[(text != "") & (text.str.lower() != "nan")]
        if len(filled) and pd.to_numeric(filled, errors="coerce").notna().mean() >= 0.5:
            unclaimed.append(column)
    return IndicatorColumns(matched, period, planning, tuple(unclaimed))


@dataclass
class LongImport:
    """The long table of an imported file, the registry with its custom indicators, rows whose period could not be
    read (0-based positions) and numeric columns left out because nobody said their unit."""

    table: pd.DataFrame
    registry: IndicatorRegistry
    bad_period_rows: list[int] = field(default_factory=list)
    needs_unit: list[str] = field(default_factory=list)


def table_to_long(table: pd.DataFrame, *, region: str, id_column: str, registry: IndicatorRegistry | None = None,
                  custom: dict[str, Indicator] | None = None, exclude=(), provenance: str = "user",
                  source: str = "") -> LongImport:
    """Return the long form of an imported table, wide (监测户数2021 …) or long (a 年份 / 统计时点 column).

    custom: {column: custom_indicator(column, unit_zh=…)} for numeric columns no registry indicator claims; those
    without one are listed in needs_unit and left out. exclude: columns that are not values (name, code, lon/lat).
    """
    registry = registry or load_indicators()
    custom = custom or {}
    registry = registry.with_custom(*custom.values()) if custom else registry
    found = indicator_columns(table, registry=registry, exclude=(id_column, *exclude))
    needs_unit = [c for c in found.unclaimed_numeric if c not in custom]
    matched = dict(found.matched)
    for column, indicator in custom.items():
        if column in table.columns:
            matched[column] = registry.match_header(column) or HeaderMatch(indicator.id)
    if found.period is not None:
        yearly = {c: m.indicator for c, m in matched.items() if m.year is None}
        long, bad = rows_to_long(table, region=region, period_column=found.period, id_column=id_column,
                                 registry=registry, provenance=provenance, source=source, columns=yearly)
    else:
        long, bad = empty_long(), []
    wide = {c: m for c, m in matched.items() if m.year is not None}
    if wide:
        long = pd.concat([long, wide_to_long(table, region=region, id_column=id_column, registry=registry,
                                             provenance=provenance, source=source, columns=wide)],
                         ignore_index=True)
    return LongImport(validate_long(long, registry=registry, name=source or "indicators"), registry, bad, needs_unit)


# ---------------------------------------------------------------------------------------------- the seed villages
def seed_villages_to_long(villages: pd.DataFrame, region: str, *, provenance: str | None = None,
                          source: str = "") -> pd.DataFrame:
    """Return the 2014–2020 columns of a villages frame (geo.villages schema) as long rows.

    poor_population (poor_YYYY), lifted_out (lifted_YYYY where given), poverty_village (1/0 status at the end of
    each year) and rural_population (the one figure of a village, given for every year). provenance: the
    villages' own when None.
    """
    from geo.villages import YEARS, poverty_status

    if not len(villages):
        return empty_long()
    ids = villages["village_id"].astype(str).to_numpy()
    prov = villages["provenance"].astype(str).to_numpy() if provenance is None else np.full(len(ids), provenance)
    parts = []

    def add(indicator, year, values):
        values = np.asarray(values, dtype=float)
        keep = ~np.isnan(values)
        parts.append(pd.DataFrame({"region": region, "village_id": ids[keep], "year": year, "month": None,
                                   "indicator": indicator, "value": values[keep], "provenance": prov[keep],
                                   "source": source}))

    for year in YEARS:
        add("rural_population", year, villages["rural_population"])
        add("poor_population", year, villages[f"poor_{year}"])
        add("poverty_village", year, poverty_status(villages, year).astype(float))
        if f"lifted_{year}" in villages.columns:
            add("lifted_out", year, pd.to_numeric(villages[f"lifted_{year}"], errors="coerce"))
    return sort_long(_typed(pd.concat(parts, ignore_index=True)))


def villages_with_long(villages, table: pd.DataFrame):
    """Return villages whose poor_YYYY and lifted_YYYY columns (2014–2020) come from a long table.

    A poor_YYYY without a value becomes 0 (the villages schema has no unknown poor population); lifted_YYYY stays
    NaN. Other columns are kept as they are: the 2014–2020 machinery (geo.coverage, reconcile) runs unchanged.
    """
    from geo.villages import YEARS

    out = villages.copy()
    ids = out["village_id"].astype(str)
    for year in YEARS:
        poor = values_at(table, ids, "poor_population", year)
        out[f"poor_{year}"] = np.nan_to_num(poor, nan=0.0).astype(np.int64)
        if year > YEARS[0]:
            out[f"lifted_{year}"] = values_at(table, ids, "lifted_out", year)
    return out


# ---------------------------------------------------------------------------------------------- reading values
def years_of(table: pd.DataFrame, indicator: str | None = None) -> list[int]:
    """Return the years a long table holds values for (of one indicator when given), ascending."""
    rows = table if indicator is None else table[table["indicator"] == indicator]
    return sorted(int(y) for y in pd.unique(rows["year"]))


def months_of(table: pd.DataFrame, indicator: str, year: int) -> list[int]:
    """Return the months an indicator has rows for in a year, ascending (empty: yearly figures only)."""
    rows = table[(table["indicator"] == indicator) & (table["year"] == year)]
    return sorted(int(m) for m in rows["month"].dropna().unique())


def indicators_of(table: pd.DataFrame) -> list[str]:
    """Return the indicators a long table holds, in first-seen order."""
    return list(pd.unique(table["indicator"]))


def figure_rows(table: pd.DataFrame, indicator: str, year: int, month: int | None = None) -> pd.DataFrame:
    """Return the rows that are an indicator's figure for a year: the given month's, else the yearly rows (month
    None), else the latest month the table reports for that indicator and year."""
    rows = table[(table["indicator"] == indicator) & (table["year"] == year)]
    if month is not None:
        return rows[rows["month"] == month]
    yearly = rows[rows["month"].isna()]
    if len(yearly) or not len(rows):
        return yearly
    return rows[rows["month"] == rows["month"].max()]


def values_at(table: pd.DataFrame, village_ids, indicator: str, year: int, month: int | None = None) -> np.ndarray:
    """Return each village's value of an indicator in a year (month), aligned on village_ids; NaN where unknown."""
    rows = figure_rows(table, indicator, year, month)
    lookup = pd.Series(rows["value"].to_numpy(dtype=float), index=rows["village_id"].astype(str).to_numpy())
    lookup = lookup[~lookup.index.duplicated(keep="last")]
    return lookup.reindex(pd.Index(np.asarray(village_ids).astype(str))).to_numpy(dtype=float)


# ---------------------------------------------------------------------------------------------- storage
def read_indicator_table(workspace, region: str) -> tuple[pd.DataFrame, IndicatorRegistry]:
    """Return a region's long table and the registry with its custom indicators, as the workspace stores them.

    A workspace that knows the tables (a method read_indicators(region) -> (long, definitions)) is asked; otherwise
    the GeoPackage (SQLite) file at workspace.path is read directly. No table: an empty long table.
    """
    if hasattr(workspace, "read_indicators"):
        table, definitions = workspace.read_indicators(region)
        return table, registry_with_definitions(definitions)
    import sqlite3

    path = Path(workspace.path)
    if not path.exists():
        return empty_long(), load_indicators()
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as con:
        names = {n for (n,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        table = pd.read_sql_query(f"SELECT {', '.join(LONG_COLUMNS)} FROM {INDICATOR_TABLE} WHERE region = ?", con,
                                  params=(region,)) if INDICATOR_TABLE in names else None
        definitions = pd.read_sql_query(f"SELECT * FROM {DEFINITION_TABLE} WHERE region = ?", con,
                                        params=(region,)) if DEFINITION_TABLE in names else None
    registry = registry_with_definitions(definitions)
    if table is None or not len(table):
        return empty_long(), registry
    return validate_long(table, registry=registry, name=f"{path.name} {INDICATOR_TABLE}"), registry


def write_indicator_tables(con, table: pd.DataFrame, definitions: pd.DataFrame | None = None) -> None:
    """Write long rows (and custom indicator definitions) into INDICATOR_TABLE / DEFINITION_TABLE of an open SQLite
    connection (a GeoPackage), creating the tables; existing rows of the same regions are replaced.

    For the workspace's atomic save (write into the new file before it replaces the old one); PostgreSQL takes the
    same STORAGE_DDL and rows with %s placeholders."""
    for statement in STORAGE_DDL:
        con.execute(statement)
    regions = sorted(set(table["region"]) | (set(definitions["region"]) if definitions is not None else set()))
    for region in regions:
        con.execute(f"DELETE FROM {INDICATOR_TABLE} WHERE region = ?", (region,))
        con.execute(f"DELETE FROM {DEFINITION_TABLE} WHERE region = ?", (region,))
    con.executemany(f"INSERT INTO {INDICATOR_TABLE} ({', '.join(LONG_COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    storage_rows(table))
    if definitions is not None and len(definitions):
        columns = list(definitions.columns)
        con.executemany(f"INSERT INTO {DEFINITION_TABLE} ({', '.join(columns)}) VALUES "
                        f"({', '.join('?' for _ in columns)})",
                        [tuple(None if pd.isna(v) else v for v in row)
                         for row in definitions.itertuples(index=False, name=None)])


def storage_rows(table: pd.DataFrame) -> list[tuple]:
    """Return a long table as rows for INSERT INTO INDICATOR_TABLE (month None as SQL NULL)."""
    return [(r, v, int(y), None if pd.isna(m) else int(m), i, float(x), p, s)
            for r, v, y, m, i, x, p, s in table[LONG_COLUMNS].itertuples(index=False, name=None)]


def with_region(table: pd.DataFrame, region: str) -> pd.DataFrame:
    """Return a long table with every row's region set (an import names its region once)."""
    out = table.copy()
    out["region"] = region
    return out


__all__ = ["AGGREGATIONS", "CUSTOM_PREFIX", "DEFINITION_TABLE", "FIRST_YEAR", "HeaderMatch", "INDICATOR_TABLE",
           "Indicator", "IndicatorRegistry", "KINDS", "LONG_COLUMNS", "LONG_KEY", "STORAGE_DDL", "Source",
           "IndicatorColumns", "LongImport", "PERIOD_HEADERS", "PlanningClass", "current_year",
           "custom_indicator", "indicator_columns", "table_to_long", "definitions_frame", "empty_long", "figure_rows", "indicators_of",
           "load_indicator_file", "load_indicators", "long_to_wide", "months_of", "normalise_header",
           "parse_indicators", "parse_period", "read_indicator_table", "registry_with_definitions", "rows_to_long",
           "seed_villages_to_long", "sort_long", "storage_rows", "write_indicator_tables", "validate_long", "values_at", "villages_with_long",
           "wide_column", "wide_to_long", "with_region", "years_of"]
