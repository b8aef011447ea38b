"""Import messages in both UI languages: a key and its values, rendered as "what is wrong" and "how to fix it".

The catalogue is data/i18n/issues.toml. English is the default rendering (the CLI's JSON and the exceptions'
text); the data page renders the user's language.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import lru_cache

from geo.i18n import I18N_DIR, LANGUAGES


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


class FileProblem(ValueError):
    """A file that cannot be read as asked; carries its Message (str() is the English text and fix)."""

    def __init__(self, key: str, **params):
        self.problem = Message(key, params)
        fix = self.problem.fix()
        super().__init__(self.problem.text() + (f": {fix}" if fix else ""))
