"""Row-level validation shared by the zone and village schemas: collect every problem, then raise once."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Problem:
    """One problem of one row (1-based, as a spreadsheet shows it) or of the whole table (row None)."""

    row: int | None
    column: str | None
    message: str

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


@dataclass
class Report:
    """Problems collected while validating a table."""

    name: str
    problems: list[Problem] = field(default_factory=list)

    def add(self, row: int | None, column: str | None, message: str) -> None:
        self.problems.append(Problem(row, column, message))

    def raise_if_any(self) -> None:
        if self.problems:
            raise SchemaError(self.name, self.problems)
