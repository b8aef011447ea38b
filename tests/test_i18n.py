"""UI strings: both languages have the same keys, every key used in code exists, placeholders match."""
import re
from pathlib import Path

import pytest

from geo.i18n import LANGUAGES, strings, t

ROOT = Path(__file__).resolve().parent.parent


def test_languages_have_the_same_keys():
    assert set(strings("zh")) == set(strings("en"))


@pytest.mark.parametrize("key", sorted(strings("zh")))
def test_placeholders_match_between_languages(key):
    fields = [set(re.findall(r"\{(\w+)\}", strings(lang)[key])) for lang in LANGUAGES]
    assert fields[0] == fields[1]


def test_every_key_used_in_code_exists():
    used = set()
    for path in [*ROOT.glob("*.py"), *ROOT.glob("views/*.py"), *ROOT.glob("layers/*.py"), *ROOT.glob("briefing/*.py"),
                 *ROOT.glob("geo/**/*.py")]:
        used |= set(re.findall(r"""\bt\(\s*["']([a-z_0-9]+)["']\s*[,)]""", path.read_text(encoding="utf-8")))
    assert used, "found no t(...) calls: the scan is broken"
    assert used <= set(strings("zh")), sorted(used - set(strings("zh")))


def test_chinese_is_default_and_formatting_works():
    assert t("datum_badge", datum="WGS84") == "坐标系：WGS84"
    assert t("datum_badge", "en", datum="WGS84") == "Datum: WGS84"
    with pytest.raises(ValueError, match="unknown language 'fr'"):
        t("app_title", "fr")


def test_keys_built_from_data_values_exist():
    from geo.boundaries import LEVELS
    from geo.zones import PROVENANCES, ZONE_KINDS
    from layers.villages import STATUS_COLORS

    needed = ([f"zone_kind_{k}" for k in ZONE_KINDS] + [f"provenance_{p}" for p in PROVENANCES]
              + [f"status_{s}" for s in STATUS_COLORS] + [f"level_{lv}" for lv in LEVELS])
    for lang in LANGUAGES:
        assert not [k for k in needed if k not in strings(lang)], lang


def test_import_messages_exist_in_both_languages_with_the_same_placeholders():
    from geo.i18n import catalogue

    for key, entry in catalogue().items():
        assert set(entry) == {"en", "zh", "fix_en", "fix_zh"}, key
        for part in ("", "fix_"):
            fields = [set(re.findall(r"\{(\w+)", entry[f"{part}{lang}"])) for lang in LANGUAGES]
            assert fields[0] == fields[1], (key, part)


def test_every_import_message_used_in_code_exists():
    import ast

    from geo.i18n import catalogue

    used = set()
    for path in (p for p in (ROOT / "geo").rglob("*.py") if p.name not in ("i18n.py", "errors.py")):  # they define them
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
            if name == "add" and len(node.args) >= 4 and isinstance(node.args[0], ast.Constant) and \
                    node.args[0].value in ("error", "warning"):
                key = node.args[3]
            elif name in ("FileProblem", "Message") and node.args:
                key = node.args[0]
            else:
                continue
            if isinstance(key, (ast.Name, ast.Attribute)):
                continue  # a key passed along (Issue.text, failed_import), not chosen here
            keys = [key.body, key.orelse] if isinstance(key, ast.IfExp) else [key]
            assert all(isinstance(k, ast.Constant) for k in keys), f"{path.name}:{node.lineno}: keys must be literals"
            used |= {k.value for k in keys}
    assert len(used) > 50, sorted(used)
    assert used <= set(catalogue()), sorted(used - set(catalogue()))
