"""UI strings in Chinese (default) and English, one TOML file per language under data/i18n/."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path

I18N_DIR = Path(__file__).resolve().parent.parent / "data" / "i18n"
LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"


@cache
def strings(lang: str = DEFAULT_LANGUAGE) -> dict[str, str]:
    """Return every UI string of a language ('zh' or 'en')."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; expected one of {', '.join(LANGUAGES)}")
    with open(I18N_DIR / f"{lang}.toml", "rb") as fh:
        return tomllib.load(fh)


def t(key: str, lang: str = DEFAULT_LANGUAGE, **values) -> str:
    """Return the UI string for a key in a language, formatted with the given values."""
    text = strings(lang)[key]
    return text.format(**values) if values else text


def pick(lang: str, zh, en):
    """Return the Chinese value when lang is 'zh', else the English one (the one place this choice is made)."""
    return zh if lang == "zh" else en


def localized(record, field_name: str, lang: str):
    """Return the language's variant of a field — record.name_zh or record.name_en for "name" — of an object, a
    frame (a column), a row or a dict."""
    key = f"{field_name}_{pick(lang, 'zh', 'en')}"
    return record[key] if isinstance(record, dict) else getattr(record, key)


# ---------------------------------------------------------------------- import messages (data/i18n/issues.toml)
@lru_cache(maxsize=1)
def catalogue() -> dict[str, dict[str, str]]:
    with open(I18N_DIR / "issues.toml", "rb") as fh:
        return tomllib.load(fh)


@dataclass(frozen=True)
class Message:
    """One message: a catalogue key and the values it is formatted with."""

    key: str
    params: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.key not in catalogue():
            raise KeyError(f"message {self.key!r} is not in data/i18n/issues.toml")

    def text(self, lang: str = "en") -> str:
        return self._render(lang if lang in LANGUAGES else "en", "")

    def fix(self, lang: str = "en") -> str:
        return self._render(lang if lang in LANGUAGES else "en", "fix_")

    def _render(self, lang: str, prefix: str) -> str:
        return catalogue()[self.key][f"{prefix}{lang}"].format(**self.params)


# ---------------------------------------------------------------------- industries of the seed zones
@lru_cache(maxsize=1)
def _industries_en() -> dict[str, str]:
    with open(I18N_DIR / "industries.toml", "rb") as fh:
        return tomllib.load(fh)


BUNDLED_PROVENANCES = ("illustrative", "published")  # the atlas' own zones, whose industries it can translate


def industry_names(industries, lang: str, *, provenance: str = "illustrative") -> list[str]:
    """Return a zone's industries in a language: the seed zones' in English from data/i18n/industries.toml; the
    user's own zones' (provenance "user") as typed."""
    names = [str(i) for i in industries]
    if lang == "zh" or provenance not in BUNDLED_PROVENANCES:
        return names
    return [_industries_en().get(n, n) for n in names]


def industries_text(industries, lang: str, *, provenance: str = "illustrative") -> str:
    """Return a zone's industries as one line: "茶、水果" or "tea, fruit"."""
    return pick(lang, "、", ", ").join(industry_names(industries, lang, provenance=provenance))
