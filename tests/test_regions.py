"""The seed-region registry: completeness against FIGURES.md, sources, garbled figures and validation errors."""
import copy
import re
import tomllib

import pytest

from geo.regions import (
    REGISTRY_PATH,
    SEEDS_DIR,
    RegistryError,
    load_registry,
    parse_registry,
    resolve_region,
)

REGION_IDS = ("heishui", "yaan", "qu", "suining", "guizhou")  # what the registry must hold, in order

FIGURES_MD = (SEEDS_DIR / "FIGURES.md").read_text(encoding="utf-8")
SECTION_OF = {"heishui": "Heishui County", "yaan": "Ya'an City", "guizhou": "Guizhou Province",
              "qu": "Qu County", "suining": "Suining County"}
_NUMBER = re.compile(r"(?<![\w.])(\d[\d,]*(?:\.\d+)?)\s*(M\b|million|bn|万)?")


def section(region_id: str) -> str:
    start = FIGURES_MD.index(f"## {SECTION_OF[region_id]}")
    end = FIGURES_MD.find("\n## ", start + 3)
    return FIGURES_MD[start:end]


def published_numbers(text: str) -> set[float]:
    """Every number printed in a FIGURES.md section, scaled (1.0 M -> 1,000,000; 9万 -> 90,000)."""
    out = set()
    for line in text.splitlines()[1:]:
        line = re.sub(r"^\s*\d+\.\s", "", line)  # enumerations "1. 果蔬…"
        for number, scale in _NUMBER.findall(line):
            value = float(number.replace(",", ""))
            out.add(value * {"M": 1e6, "million": 1e6, "万": 1e4, "bn": 1}.get(scale, 1))
    return out


def registry_numbers(region) -> set[float]:
    """Every number the registry holds for a region: values, years and numbers in its texts."""
    out = {float(c) for c in (region.adcode, *region.adcodes)}
    for fig in region.figures:
        if fig.value is not None:
            out.add(float(fig.value))
        if fig.year is not None:
            out.add(float(fig.year))
        for text in (fig.period, fig.measures, fig.raw, fig.label_zh, fig.label_en):
            for number, scale in _NUMBER.findall(text or ""):
                value = float(number.replace(",", ""))
                out.add(value * {"M": 1e6, "million": 1e6, "万": 1e4, "bn": 1}.get(scale, 1))
    return out


def test_registry_has_the_five_seed_regions():
    registry = load_registry()
    assert tuple(r.id for r in registry.regions) == REGION_IDS
    assert registry.region("yaan").adcodes == ("511802", "511803", "511822", "511823", "511824", "511825",
                                               "511826", "511827")


@pytest.mark.parametrize("region_id", REGION_IDS)
def test_every_figure_in_figures_md_is_in_the_registry(region_id):
    region = load_registry().region(region_id)
    missing = sorted(published_numbers(section(region_id)) - registry_numbers(region))
    assert not missing, f"{region_id}: FIGURES.md numbers not in data/regions.toml: {missing}"


@pytest.mark.parametrize("region_id", REGION_IDS)
def test_every_figure_cites_an_existing_seed_file(region_id):
    registry = load_registry()
    for fig in registry.region(region_id).figures:
        assert (SEEDS_DIR / fig.source).exists()
        assert fig.source in registry.sources
        assert fig.source in section(region_id), f"{fig.id} cites {fig.source}, not this region's article"


def test_garbled_figure_is_never_a_number():
    fig = load_registry().region("yaan").figure("belt_base_area")
    assert fig.garbled and fig.value is None and fig.raw == "487畝"
    assert "487畝" in fig.display_value("zh") and "乱码" in fig.display_value("zh")
    assert "garbled" in fig.display_value("en")


@pytest.mark.parametrize("figure_id, lang, expected", [
    ("belt_poor_share", "zh", "约80 %"), ("belt_poor_share", "en", "about 80 %"),
    ("poverty_villages_surveyed", "zh", "260多 村"), ("belt_poverty_villages", "zh", "151 村"),
])
def test_display_values_carry_qualifiers(figure_id, lang, expected):
    assert load_registry().region("yaan").figure(figure_id).display_value(lang) == expected


def _doc():
    with open(REGISTRY_PATH, "rb") as fh:
        return tomllib.load(fh)


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d["regions"][0]["figures"][0].pop("source"), r"region 'heishui' figure #1 'poverty_villages_start': missing field 'source'"),
    (lambda d: d["regions"][0]["figures"][1].__setitem__("value", "four"), r"figure #2 'poverty_villages_2018': field 'value' is 'four'"),
    (lambda d: d["regions"][0]["figures"][1].__setitem__("source", "nope.txt"), r"'source' names 'nope.txt'"),
    (lambda d: d["regions"][1]["figures"][3].__setitem__("value", 487), r"region 'yaan' figure #4 'belt_base_area': a garbled figure must not have a 'value'"),
    (lambda d: d["regions"][0].__setitem__("adcode", 513228), r"region 'heishui': field 'adcode' is 513228 \(int\); expected str"),
    (lambda d: d["regions"][1]["adcodes"].append("5118"), r"region 'yaan': adcode '5118' is not a 6-digit string"),
    (lambda d: d["regions"][0]["figures"][0].__setitem__("period", "2014"), r"exactly one of 'year'"),
    (lambda d: d["regions"][2]["figures"].append(dict(d["regions"][2]["figures"][0])), r"region 'qu' figure 'poverty_villages_2014': duplicate figure id"),
    (lambda d: d["regions"][0]["figures"][0].__setitem__("qualifier", "roughly"), r"field 'qualifier' is 'roughly'"),
    (lambda d: d["regions"][0].pop("name_zh"), r"region 'heishui': missing field 'name_zh'"),
    (lambda d: d["regions"][0]["figures"][0].__setitem__("valeu", 1), r"unknown field\(s\) valeu"),
])
def test_malformed_registry_names_entry_and_field(mutate, message):
    doc = copy.deepcopy(_doc())
    mutate(doc)
    with pytest.raises(RegistryError, match=message):
        parse_registry(doc)


def test_resolve_region_seed_and_any_division():
    assert resolve_region("heishui").seed is not None
    assert resolve_region("513228").key == "heishui"
    other = resolve_region("福州市鼓楼区")
    assert other.key == "350102" and other.seed is None and other.figures == ()
