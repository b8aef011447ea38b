"""One report type for every import: each problem with where (row or feature), what and how to fix it, in zh and en.

Message texts live in data/i18n/issues.toml (geo.i18n.Message renders them); errors block a save, warnings do not.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd

from geo.errors import FileProblem
from geo.i18n import Message

__all__ = ["FileProblem", "ImportReport", "Issue", "Message", "failed_import"]


@dataclass
class Issue:
    """One problem of an import: where (row, 1-based as in a spreadsheet, or None), what, and how to fix it.

    The text lives in data/i18n/issues.toml under `key`; message and fix are English, text(lang)/fix_text(lang)
    give either UI language.
    """

    severity: str  # "error" blocks the import, "warning" does not, "note" says what was skipped or read (no action)
    row: int | None
    column: str | None
    key: str
    params: dict = field(default_factory=dict)

    @property
    def message(self) -> str:
        return self.text("en")

    @property
    def fix(self) -> str:
        return self.fix_text("en")

    def text(self, lang: str = "en") -> str:
        return Message(self.key, self.params).text(lang)

    def fix_text(self, lang: str = "en") -> str:
        return Message(self.key, self.params).fix(lang)

    def as_dict(self, lang: str = "en") -> dict:
        return {"row": self.row, "column": self.column, "key": self.key, "message": self.text(lang),
                "fix": self.fix_text(lang)}


@dataclass
class ImportReport:
    """Everything found in one file, and the villages (or zones) when nothing blocks the import."""

    file: str
    mapping: dict[str, str]
    issues: list[Issue] = field(default_factory=list)
    rows_ok: int = 0
    villages: gpd.GeoDataFrame | None = None
    zones: gpd.GeoDataFrame | None = None
    row_label: str = "row"  # "row" (spreadsheet rows, header = row 1) or "feature" (vector files, from 1)
    suggested_codes: dict[int, str] = field(default_factory=dict)  # row -> NBS code for a name without one
    matches: dict[str, int] = field(default_factory=dict)  # NBS 2023 matching: exact / suggested / unmatched rows
    reading: object | None = None  # projected coordinates: the Candidate used (geo.ingest.coordinates)
    readings: list = field(default_factory=list)  # every plausible reading, best first (the "change it" choices)
    sheet: str | None = None  # the worksheet read
    sheet_names: list[str] = field(default_factory=list)  # every worksheet of the file
    unplaced: int = 0  # accepted villages without a location
    source_rows: list[int] = field(default_factory=list)  # each accepted village's row (or feature) in the file
    zones_new: list[str] = field(default_factory=list)  # zone names assigned that the region does not have yet
    indicators: object | None = None  # the long indicator rows of the file (geo.indicators.LONG_COLUMNS), if any
    indicator_definitions: object | None = None  # custom indicators those rows use (DEFINITION_TABLE rows)
    needs_unit: list[str] = field(default_factory=list)  # numeric columns left out until their unit is stated

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "warning"]

    @property
    def notes(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "note"]

    def grouped(self, severity: str) -> list[tuple[str, list[Issue]]]:
        """Return the issues of a severity grouped by kind (message key), largest group first, file order within."""
        groups: dict[str, list[Issue]] = {}
        for issue in self.issues:
            if issue.severity == severity:
                groups.setdefault(issue.key, []).append(issue)
        return sorted(groups.items(), key=lambda kv: -len(kv[1]))

    def add(self, severity: str, row: int | None, column: str | None, key: str, **params) -> None:
        self.issues.append(Issue(severity, row, column, key, params))

    def add_message(self, severity: str, message: Message, row: int | None = None) -> None:
        self.issues.append(Issue(severity, row, None, message.key, message.params))

    def as_dict(self, lang: str = "en") -> dict:
        reading = None
        if self.reading is not None:
            reading = {"epsg": self.reading.epsg, "family": self.reading.family,
                       "easting": self.reading.easting_header, "text": self.reading.description(lang),
                       "alternatives": [{"epsg": c.epsg, "text": c.description(lang)} for c in self.readings[1:8]]}
        return {"file": self.file, "mapping": self.mapping, "row_label": self.row_label, "sheet": self.sheet,
                "sheet_names": self.sheet_names,
                "errors": [i.as_dict(lang) for i in self.errors],
                "warnings": [i.as_dict(lang) for i in self.warnings],
                "notes": [i.as_dict(lang) for i in self.notes],
                "rows_ok": self.rows_ok, "unplaced": self.unplaced, "coordinates": reading,
                "matches": self.matches, "zones_new": self.zones_new,
                "indicator_values": 0 if self.indicators is None else len(self.indicators),
                "indicators": [] if self.indicators is None else sorted(set(self.indicators["indicator"])),
                "needs_unit": self.needs_unit,
                "suggested_codes": {str(k): v for k, v in self.suggested_codes.items()}}


def failed_import(file_name: str, exc: Exception, *, reading: bool, row_label: str = "row",
                  mapping: dict | None = None) -> ImportReport:
    """Return a report whose one error is what stopped an import: a FileProblem's message, or any other exception
    (never a stack trace in the UI)."""
    report = ImportReport(file=file_name, mapping=mapping or {}, row_label=row_label)
    if isinstance(exc, FileProblem):
        report.add_message("error", exc.problem)
    else:
        report.add("error", None, None, "unreadable" if reading else "import_stopped",
                   error=f"{type(exc).__name__}: {exc}")
    return report
