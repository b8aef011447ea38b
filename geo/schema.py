"""Row-level validation shared by the zone and village schemas: collect every problem, then raise once."""
from __future__ import annotations

from dataclasses import dataclass, field

from geo.errors import Problem, SchemaError

__all__ = ["Problem", "Report", "SchemaError"]


@dataclass
class Report:
    """Problems collected while validating a table."""

    name: str
    problems: list[Problem] = field(default_factory=list)

    def add(self, row: int | None, column: str | None, key: str, **params) -> None:
        """Record a problem: a message key of data/i18n/issues.toml and the values it is formatted with."""
        self.problems.append(Problem(row, column, key, params))

    def raise_if_any(self) -> None:
        if self.problems:
            raise SchemaError(self.name, self.problems)
