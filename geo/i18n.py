"""UI strings in Chinese (default) and English, one TOML file per language under data/i18n/."""
from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path

I18N_DIR = Path(__file__).resolve().parent.parent / "data" / "i18n"
LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"


@lru_cache(maxsize=None)
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
