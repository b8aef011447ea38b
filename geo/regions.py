"""The seed-region registry (data/regions.toml): regions, their published figures and the source articles."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from geo.errors import RegistryError  # noqa: F401  (importable from geo.regions as before)
from geo.i18n import localized, pick

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
REGISTRY_PATH = DATA_DIR / "regions.toml"
SEEDS_DIR = DATA_DIR / "seeds"
_QUALIFIERS = {"about", "more than", "at least", "less than"}


@dataclass(frozen=True)
class Source:
    """A source article under data/seeds/."""

    file: str
    title_zh: str
    title_en: str
    publisher: str
    date: str

    def title(self, lang: str = "zh") -> str:
        return localized(self, "title", lang)


@dataclass(frozen=True)
class Figure:
    """A published figure: a number with unit, year or period, what it measures and its source file."""

    id: str
    label_zh: str
    label_en: str
    unit: str
    measures: str
    source: str
    value: float | None = None
    year: int | None = None
    period: str | None = None
    qualifier: str | None = None
    garbled: bool = False
    raw: str | None = None
    note: str | None = None
    computed: str | None = None  # the atlas metric that reproduces it (geo/reconcile.py), e.g. "poor_population"
    computed_year: int | None = None  # the year to compute it for, when the figure gives a period
    tolerance: float | None = None  # |computed - published| allowed, in `unit` (rounding of the printed figure)
    assumption: str | None = None  # what the comparison assumes beyond the article

    def label(self, lang: str = "zh") -> str:
        return localized(self, "label", lang)

    @property
    def when(self) -> str:
        return str(self.year) if self.year is not None else str(self.period)

    def display_value(self, lang: str = "zh") -> str:
        """Return the value as a reader sees it; a garbled figure shows its printed text, never a number."""
        if self.garbled:
            return pick(lang, f"原文乱码：“{self.raw}”", f"garbled in source: “{self.raw}”")
        number = f"{self.value:,.0f}" if float(self.value).is_integer() else f"{self.value:,.3g}"
        prefix = {
            "about": ("约", "about "), "more than": ("", "more than "),
            "at least": ("不少于", "at least "), "less than": ("不足", "less than "),
        }.get(self.qualifier or "", ("", ""))
        suffix = "多" if self.qualifier == "more than" and lang == "zh" else ""
        return f"{prefix[0] if lang == 'zh' else prefix[1]}{number}{suffix} {self.unit}"


@dataclass(frozen=True)
class Assumption:
    """A quantity the illustrative data had to invent, what value it took and why."""

    quantity_zh: str
    quantity_en: str
    value: str  # English; value_zh / why_zh give the Chinese text where the registry has it
    why: str
    value_zh: str = ""
    why_zh: str = ""

    def quantity(self, lang: str = "zh") -> str:
        return localized(self, "quantity", lang)

    def value_text(self, lang: str = "zh") -> str:
        """Return the assumed value in the language (English where no Chinese text is registered)."""
        return self.value_zh if lang == "zh" and self.value_zh else self.value

    def why_text(self, lang: str = "zh") -> str:
        return self.why_zh if lang == "zh" and self.why_zh else self.why


@dataclass(frozen=True)
class Region:
    """A seed region: ids, names, codes and its published figures."""

    id: str
    name_zh: str
    name_en: str
    adcode: str
    adcodes: tuple[str, ...]
    level: str
    zone_kind: str
    summary_zh: str
    summary_en: str
    figures: tuple[Figure, ...] = field(default_factory=tuple)
    seed_villages: str | None = None  # path under data/ of the illustrative villages
    seed_zones: str | None = None  # path under data/, or "counties" (the region's county boundaries are its zones)
    assumptions: tuple[Assumption, ...] = field(default_factory=tuple)

    def name(self, lang: str = "zh") -> str:
        return localized(self, "name", lang)

    def figure(self, figure_id: str) -> Figure:
        for fig in self.figures:
            if fig.id == figure_id:
                return fig
        raise KeyError(f"region {self.id} has no figure {figure_id!r}")


@dataclass(frozen=True)
class Registry:
    """The whole registry: regions in file order and the source articles by file name."""

    regions: tuple[Region, ...]
    sources: dict[str, Source]

    def region(self, region_id: str) -> Region:
        for region in self.regions:
            if region.id == region_id:
                return region
        known = ", ".join(r.id for r in self.regions)
        raise KeyError(f"unknown region id {region_id!r}; seed regions are: {known}")


def _require(entry: dict, key: str, kind, where: str):
    if key not in entry:
        raise RegistryError(f"{where}: missing field '{key}'")
    value = entry[key]
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        expected = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise RegistryError(f"{where}: field '{key}' is {value!r} ({type(value).__name__}); expected {expected}")
    return value


def _figure(entry: dict, where: str, sources: dict[str, Source], seeds_dir: Path | None) -> Figure:
    fid = _require(entry, "id", str, where)
    where = f"{where} '{fid}'"
    for key in ("label_zh", "label_en", "unit", "measures", "source"):
        _require(entry, key, str, where)
    known = set(Figure.__dataclass_fields__)
    unknown = sorted(set(entry) - known)
    if unknown:
        raise RegistryError(f"{where}: unknown field(s) {', '.join(unknown)}")
    garbled = bool(entry.get("garbled", False))
    if garbled:
        if "value" in entry:
            raise RegistryError(f"{where}: a garbled figure must not have a 'value' (it would be shown as a number)")
        _require(entry, "raw", str, where)
    else:
        _require(entry, "value", (int, float), where)
    if ("year" in entry) == ("period" in entry):
        raise RegistryError(f"{where}: give exactly one of 'year' (int) or 'period' (text)")
    if "year" in entry:
        _require(entry, "year", int, where)
    else:
        _require(entry, "period", str, where)
        if "computed" in entry and "computed_year" not in entry:
            raise RegistryError(f"{where}: a computed figure with a period needs 'computed_year'")
    for key, kind in (("computed", str), ("computed_year", int), ("tolerance", (int, float)), ("assumption", str)):
        if key in entry:
            _require(entry, key, kind, where)
    if entry.get("qualifier") not in (None, *_QUALIFIERS):
        raise RegistryError(f"{where}: field 'qualifier' is {entry['qualifier']!r}; expected one of {sorted(_QUALIFIERS)}")
    if entry["source"] not in sources:
        raise RegistryError(f"{where}: field 'source' names {entry['source']!r}, which is not a [[sources]] file")
    if seeds_dir is not None and not (seeds_dir / entry["source"]).exists():
        raise RegistryError(f"{where}: source file {entry['source']!r} is not in {seeds_dir}")
    return Figure(**entry)


def parse_registry(doc: dict, *, seeds_dir: Path | None = SEEDS_DIR) -> Registry:
    """Validate a parsed registry document and return it; raise RegistryError naming the entry and field."""
    sources: dict[str, Source] = {}
    for i, entry in enumerate(doc.get("sources", []), start=1):
        where = f"[[sources]] #{i}"
        for key in ("file", "title_zh", "title_en", "publisher", "date"):
            _require(entry, key, str, where)
        sources[entry["file"]] = Source(**{k: entry[k] for k in Source.__dataclass_fields__})
    regions = []
    seen: set[str] = set()
    if not doc.get("regions"):
        raise RegistryError("registry has no [[regions]] entries")
    for i, entry in enumerate(doc["regions"], start=1):
        rid = _require(entry, "id", str, f"[[regions]] #{i}")
        where = f"region '{rid}'"
        if rid in seen:
            raise RegistryError(f"{where}: duplicate region id")
        seen.add(rid)
        for key in ("name_zh", "name_en", "adcode", "level", "zone_kind", "summary_zh", "summary_en"):
            _require(entry, key, str, where)
        adcodes = _require(entry, "adcodes", list, where)
        for code in [entry["adcode"], *adcodes]:
            if not (isinstance(code, str) and len(code) == 6 and code.isdigit()):
                raise RegistryError(f"{where}: adcode {code!r} is not a 6-digit string (write it in quotes)")
        figures = []
        figure_ids: set[str] = set()
        for j, fig_entry in enumerate(entry.get("figures", []), start=1):
            fig = _figure(fig_entry, f"{where} figure #{j}", sources, seeds_dir)
            if fig.id in figure_ids:
                raise RegistryError(f"{where} figure '{fig.id}': duplicate figure id")
            figure_ids.add(fig.id)
            figures.append(fig)
        seed = entry.get("seed", {})
        for key in ("villages", "zones"):
            path = seed.get(key)
            if path is not None and path != "counties" and seeds_dir is not None and \
                    not (seeds_dir.parent / path).exists():
                raise RegistryError(f"{where}: seed {key} file {path!r} does not exist under data/")
        assumptions = []
        for j, item in enumerate(entry.get("assumptions", []), start=1):
            for key in ("quantity_zh", "quantity_en", "value", "why"):
                _require(item, key, str, f"{where} assumption #{j}")
            assumptions.append(Assumption(**{k: item[k] for k in Assumption.__dataclass_fields__ if k in item}))
        regions.append(Region(
            id=rid, name_zh=entry["name_zh"], name_en=entry["name_en"], adcode=entry["adcode"],
            adcodes=tuple(adcodes), level=entry["level"], zone_kind=entry["zone_kind"],
            summary_zh=entry["summary_zh"], summary_en=entry["summary_en"], figures=tuple(figures),
            seed_villages=seed.get("villages"), seed_zones=seed.get("zones"), assumptions=tuple(assumptions),
        ))
    return Registry(regions=tuple(regions), sources=sources)


def load_registry_file(path: Path) -> Registry:
    """Read and validate a registry TOML file."""
    try:
        with open(path, "rb") as fh:
            doc = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise RegistryError(f"{path}: not valid TOML — {exc}") from exc
    return parse_registry(doc)


@lru_cache(maxsize=1)
def load_registry() -> Registry:
    """Return the bundled seed-region registry (validated once per process)."""
    return load_registry_file(REGISTRY_PATH)


def seed_region(region_id: str) -> Region:
    """Return one seed region by id (heishui, yaan, qu, suining, guizhou)."""
    return load_registry().region(region_id)


@dataclass(frozen=True)
class RegionRef:
    """Any region the atlas can open: a seed region (with figures) or any division of China by code or name."""

    key: str  # the seed id, or the 6-digit adcode of any other division
    name_zh: str
    name_en: str
    adcode: str
    level: str
    seed: Region | None = None

    def name(self, lang: str = "zh") -> str:
        return localized(self, "name", lang)

    @property
    def figures(self) -> tuple[Figure, ...]:
        return self.seed.figures if self.seed else ()


def resolve_region(key_or_query: str) -> RegionRef:
    """Return the region for a seed id (heishui …), a 6-digit adcode or a Chinese name; raise if none or ambiguous."""
    from geo.boundaries import find_division

    registry = load_registry()
    query = str(key_or_query).strip()
    for region in registry.regions:
        if query in (region.id, region.adcode, region.name_zh):
            return RegionRef(key=region.id, name_zh=region.name_zh, name_en=region.name_en,
                             adcode=region.adcode, level=region.level, seed=region)
    division = find_division(query)
    return RegionRef(key=division.adcode, name_zh=division.name, name_en=division.name,
                     adcode=division.adcode, level=division.level)
