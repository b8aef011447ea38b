"""Every exception geo raises, in one place: what went wrong is in the type, what to do about it in the message."""
from __future__ import annotations

from dataclasses import dataclass, field


class CRSError(ValueError):
    """A layer has no CRS, or a CRS that the operation cannot use."""


class RegistryError(ValueError):
    """The registry file is malformed; the message names the entry and the field."""


class BoundaryLookupError(LookupError):
    """A region name or code matches no boundary, or more than one; text(lang) says so in the UI's language.

    key: a message of data/i18n/issues.toml; candidates: the divisions to offer (index rows as dicts: name, adcode,
    level, province, city). str() is the English text and its fix (the command line's language).
    """

    def __init__(self, key: str, *, query: str = "", candidates: list[dict] | None = None):
        self.key = key
        self.query = query
        self.candidates = list(candidates or [])
        super().__init__(self.text("en"))

    def text(self, lang: str = "en") -> str:
        """Return what is wrong and what to do, in a language ("en" or "zh")."""
        from geo.i18n import Message

        listed = ("；" if lang == "zh" else "; ").join(describe_division(c, lang) for c in self.candidates)
        message = Message(self.key, {"query": self.query, "candidates": listed, "n": len(self.candidates)})
        fix = message.fix(lang)
        return message.text(lang) + ((f"。{fix}" if lang == "zh" else f"; {fix}") if fix else "")


def describe_division(row: dict, lang: str = "en") -> str:
    """Describe a division: '鼓楼区 (350102, county, in 福建省 / 福州市)' or '鼓楼区（350102，县级，福建省 / 福州市）'."""
    from geo.i18n import t

    name, level = row["name"], row["level"]
    chain = " / ".join(p for p in (row.get("province"), row.get("city") if level == "county" else None) if p)
    chain = chain if chain and chain != name else ""
    if lang == "zh":
        return f"{name}（{row['adcode']}，{t(f'level_{level}', 'zh')}{'，' + chain if chain else ''}）"
    return f"{name} ({row['adcode']}, {level}{', in ' + chain if chain else ''})"


class WorkspaceError(RuntimeError):
    """The workspace cannot be read or written; the message says which file and why."""


@dataclass
class Problem:
    """One problem of one row (1-based, as a spreadsheet shows it) or of the whole table (row None)."""

    row: int | None
    column: str | None
    key: str  # a message of data/i18n/issues.toml
    params: dict = field(default_factory=dict)

    @property
    def message(self) -> str:
        """Return what is wrong, in English (text(lang) for the UI's language)."""
        return self.text("en")

    def text(self, lang: str = "en") -> str:
        from geo.i18n import Message

        return Message(self.key, self.params).text(lang)

    def __str__(self) -> str:
        where = "table" if self.row is None else f"row {self.row}"
        return f"{where}{'' if self.column is None else f', {self.column}'}: {self.message}"


class SchemaError(ValueError):
    """A table does not fit its schema; .problems lists every problem found, not just the first."""

    def __init__(self, name: str, problems: list[Problem]):
        self.name = name
        self.problems = problems
        shown = "\n".join(f"  - {p}" for p in problems[:20])
        more = f"\n  … and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__(f"{name}: {len(problems)} problem(s)\n{shown}{more}")



class FileProblem(ValueError):
    """A file that cannot be read as asked; carries its Message (str() is the English text and fix)."""

    def __init__(self, key: str, **params):
        from geo.i18n import Message

        self.problem = Message(key, params)
        fix = self.problem.fix()
        super().__init__(self.problem.text() + (f": {fix}" if fix else ""))


class AccessDenied(PermissionError):
    """An actor lacks the right for an action (edit a region, manage accounts, read the audit log); the message says
    who, what and which right would allow it. Raised by the server-side checks, whatever the UI showed."""

    def __init__(self, message: str, *, user: str = "", action: str = "", region: str = ""):
        self.user, self.action, self.region = user, action, region
        super().__init__(message)


class AuthenticationError(PermissionError):
    """A sign-in failed; .reason is one of unknown, password, locked, disabled, expired (the UI says why in the
    user's language without telling an attacker whether the name exists)."""

    def __init__(self, reason: str, message: str):
        self.reason = reason
        super().__init__(message)


class PasswordPolicyError(ValueError):
    """A new password breaks the complexity rules; .problems lists every rule it breaks (message keys)."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("the password " + "; ".join(problems))


class AccountError(ValueError):
    """An account cannot be created or changed as asked (name taken, unknown role, unknown region code)."""
