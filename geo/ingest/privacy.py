"""Village aggregates only — never a person: refuse files that identify people, keep nothing of them, and hide
small counts in public exports.

A monitoring register (防止返贫动态监测) lists households and people with ID-card numbers, names and telephones;
the atlas takes village totals only. `check_personal_data` finds what identifies a person: a column headed
身份证号 / 证件号码, an 18-character resident ID number (GB 11643, checksum verified, so 12-digit village codes and
other long numbers are not mistaken for one) in any cell, or a column of names (姓名, 户主姓名) or telephones
(联系电话, 手机号). Its messages name the column and rows, never a value.

`keep_nothing` is the guarantee around an import: scratch files go to a private folder that is wiped and removed,
log records passing through are scrubbed of ID and telephone numbers, and a refusal is re-raised as a fresh
exception that holds no reference to the cells it read.
"""
from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from geo.errors import FileProblem
from geo.i18n import Message

# An 18-character resident ID number: 6-digit area, birth date 18xx-20xx, 3-digit sequence, check digit or X.
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]"
                       r"(?![0-9A-Za-z])")
PHONE_NUMBER = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")  # a mainland mobile number (only ever scrubbed from logs)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
ID_HEADER_WORDS = ("身份证", "证件号", "身份号码", "idcard", "idnumber", "证件号码")  # a header containing one
NAME_HEADERS = ("姓名", "户主姓名", "户主", "监测对象姓名", "成员姓名", "家庭成员姓名", "name_of_person")
PHONE_HEADER_WORDS = ("联系电话", "手机号", "手机号码", "电话号码", "手机", "联系方式", "telephone", "phone", "mobile")
HEADER_ROWS_SEARCHED = 15  # rows of raw cells in which a header naming personal data is looked for
ROWS_SHOWN = 5  # rows listed in a message (the count says how many there are)
SMALL_NUMBER_ENV = "VALLEY_ATLAS_SMALL_NUMBER_MAX"
DEFAULT_SMALL_NUMBER_MAX = 2  # public exports show 1-2 monitored households (or people) as "<3"; 0 turns it off


def is_id_number(text: str) -> bool:
    """Return True when text is an 18-character resident ID number with a valid check character."""
    text = str(text).strip()
    if not ID_NUMBER.fullmatch(text):
        return False
    total = sum(int(d) * w for d, w in zip(text[:17], _ID_WEIGHTS))
    return _ID_CHECK[total % 11] == text[17].upper()


def contains_id_number(text: object) -> bool:
    """Return True when a cell holds a resident ID number anywhere in its text."""
    if text is None:
        return False
    return any(is_id_number(m.group(0)) for m in ID_NUMBER.finditer(str(text)))


def _squash(header: object) -> str:
    return re.sub(r"[\s_\-（）()【】\[\]:：/、.]+", "", str(header)).lower()


def personal_header_kind(header: object) -> str | None:
    """Return "id", "name" or "phone" when a column header names personal data, else None."""
    key = _squash(header)
    if not key:
        return None
    if any(word in key for word in ID_HEADER_WORDS):
        return "id"
    if key in {_squash(h) for h in NAME_HEADERS} or (key.endswith("姓名") and len(key) <= 8):
        return "name"
    if any(word in key for word in PHONE_HEADER_WORDS):
        return "phone"
    return None


def _column_letter(position: int) -> str:
    letters = ""
    position += 1
    while position:
        position, rest = divmod(position - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _rows_text(rows: list[int]) -> str:
    shown = ", ".join(str(r) for r in rows[:ROWS_SHOWN])
    return shown + (" …" if len(rows) > ROWS_SHOWN else "")


_KEYS = {"id": "personal_id_column", "name": "personal_name_column", "phone": "personal_phone_column"}


def check_personal_data(table_or_cells, file_name: str) -> list[Message]:
    """Return one message per column that identifies people (empty: village aggregates only).

    table_or_cells: a table as read (a DataFrame whose columns are the headers; rows numbered from 2, as in a
    spreadsheet with its header in row 1), raw cells row by row (list of lists, rows numbered from 1; headers are
    looked for in the first HEADER_ROWS_SEARCHED rows) or a geo.ingest.tables.RawSheet (its cells).
    Messages name the column and rows, never a value.
    """
    if hasattr(table_or_cells, "cells"):
        table_or_cells = table_or_cells.cells
    if isinstance(table_or_cells, pd.DataFrame):
        return _check_frame(table_or_cells, file_name)
    return _check_cells(list(table_or_cells), file_name)


def _check_frame(table: pd.DataFrame, file_name: str) -> list[Message]:
    messages: list[Message] = []
    flagged: set[int] = set()
    # the header, and the first rows in case the real header sits below a title row the reader took for one
    top = [list(table.columns)] + table.head(HEADER_ROWS_SEARCHED - 1).astype(object).values.tolist()
    for number, row in enumerate(top):
        if number and sum(1 for c in row if c is not None and str(c).strip()) < 2:
            continue
        for position, cell in enumerate(row):
            kind = personal_header_kind(cell) if cell is not None and position not in flagged else None
            if kind:
                key = _KEYS[kind]  # the keys are literals in _KEYS
                messages.append(Message(key, {"file": file_name, "column": str(cell).strip()}))
                flagged.add(position)
    for position, header in enumerate(table.columns):
        if position in flagged:
            continue
        text = table.iloc[:, position].astype(str)
        candidates = np.flatnonzero(text.str.contains(ID_NUMBER, regex=True, na=False).to_numpy())
        rows = [int(i) + 2 for i in candidates if contains_id_number(text.iloc[i])]
        if rows:
            messages.append(Message("personal_id_number", {"file": file_name, "column": str(header),
                                                           "count": len(rows), "rows": _rows_text(rows)}))
    return messages


def _check_cells(cells: list[list[object]], file_name: str) -> list[Message]:
    messages: list[Message] = []
    flagged: set[int] = set()
    for row in cells[:HEADER_ROWS_SEARCHED]:
        filled = [c for c in row if c is not None and str(c).strip()]
        if len(filled) < 2:
            continue  # a title or a footer line, not a header
        for position, cell in enumerate(row):
            kind = personal_header_kind(cell) if cell is not None else None
            if kind and position not in flagged:
                key = _KEYS[kind]
                messages.append(Message(key, {"file": file_name, "column": str(cell).strip()}))
                flagged.add(position)
    found: dict[int, list[int]] = {}
    for number, row in enumerate(cells, start=1):
        for position, cell in enumerate(row):
            if position not in flagged and cell is not None and contains_id_number(cell):
                found.setdefault(position, []).append(number)
    for position, rows in sorted(found.items()):
        messages.append(Message("personal_id_number", {"file": file_name, "column": _column_letter(position),
                                                       "count": len(rows), "rows": _rows_text(rows)}))
    return messages


class PersonalDataRefused(FileProblem):
    """A file identifies people; .messages says where (column, rows), never what."""

    def __init__(self, messages: list[Message]):
        first = messages[0]
        super().__init__(first.key, **first.params)
        self.messages = list(messages)


def refuse_personal_data(table_or_cells, file_name: str) -> None:
    """Raise PersonalDataRefused when a file identifies people (see check_personal_data)."""
    messages = check_personal_data(table_or_cells, file_name)
    if messages:
        raise PersonalDataRefused(messages)


# ---------------------------------------------------------------------------------------------- keep nothing
def redact(text: str) -> str:
    """Return text with resident ID numbers and mobile numbers replaced by a mark."""
    text = ID_NUMBER.sub(lambda m: "[ID removed]" if is_id_number(m.group(0)) else m.group(0), text)
    return PHONE_NUMBER.sub("[phone removed]", text)


class _Redactor(logging.Filter):
    """Scrub ID and telephone numbers from log records (message and arguments) on their way to a handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a record that cannot be formatted is dropped rather than written raw
            return False
        record.msg, record.args = redact(message), None
        if record.exc_info:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def _all_handlers() -> list[logging.Handler]:
    handlers = list(logging.getLogger().handlers)
    for logger in list(logging.Logger.manager.loggerDict.values()):
        if isinstance(logger, logging.Logger):
            handlers += logger.handlers
    return list(dict.fromkeys(handlers))


def _wipe(folder: Path) -> None:
    """Overwrite every file under a folder with zeros, then remove the folder."""
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            try:
                size = path.stat().st_size
                with open(path, "r+b") as fh:
                    fh.write(b"\0" * size)
                    fh.flush()
                    os.fsync(fh.fileno())
            except OSError:
                pass
    shutil.rmtree(folder, ignore_errors=True)


class keep_nothing:  # lower case: it reads as what it does, `with keep_nothing(name) as folder:`
    """Run an import so that nothing of a refused file remains: give a private scratch folder (0700) that is wiped
    and removed on exit, scrub log records of ID and telephone numbers meanwhile, and let a refusal leave as a bare
    PersonalDataRefused — no traceback into the frames that held the cells, no chained earlier exception."""

    def __init__(self, file_name: str = ""):
        self.file_name = file_name
        self.folder: Path | None = None
        self._redactor = _Redactor()
        self._handlers: list[logging.Handler] = []

    def __enter__(self) -> Path:
        self.folder = Path(tempfile.mkdtemp(prefix="valley-atlas-screen-"))
        self._handlers = _all_handlers()
        for handler in self._handlers:
            handler.addFilter(self._redactor)
        return self.folder

    def __exit__(self, exc_type, exc, traceback) -> bool:
        for handler in self._handlers:
            handler.removeFilter(self._redactor)
        _wipe(self.folder)
        if isinstance(exc, PersonalDataRefused):
            exc.__traceback__ = None
            exc.__context__ = exc.__cause__ = None
        return False


def refused_report(file_name: str, messages: list[Message]):
    """Return the import report of a refused file: its errors and nothing else (no table, no villages)."""
    from geo.ingest.report import ImportReport

    report = ImportReport(file=file_name, mapping={})
    for message in messages:
        report.add_message("error", message)
    return report


def screen_village_file(data: bytes, file_name: str, **options):
    """Import a village file; one that identifies people comes back as a report of errors with nothing kept.

    geo.ingest.villages.import_village_file does the screening itself (read, check_personal_data, import, all
    inside keep_nothing); this name stays for callers that want to say so.
    """
    from geo.ingest.villages import import_village_file

    return import_village_file(data, file_name, **options)


# ---------------------------------------------------------------------------------------------- small numbers
def small_number_threshold(setting: int | str | None = None) -> int:
    """Return the largest count hidden in public exports: the setting, else $VALLEY_ATLAS_SMALL_NUMBER_MAX, else 2
    (0: nothing hidden)."""
    raw = setting if setting is not None else os.environ.get(SMALL_NUMBER_ENV, DEFAULT_SMALL_NUMBER_MAX)
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise ValueError(f"{SMALL_NUMBER_ENV}={raw!r} is not a whole number; give e.g. 2 (hide 1-2) or 0 (hide "
                         "nothing)") from None
    if value < 0:
        raise ValueError(f"{SMALL_NUMBER_ENV}={value} is negative; give 0 (hide nothing) or more")
    return value


def suppress_small_numbers(values, *, threshold: int | None = None) -> pd.Series:
    """Return counts as public exports show them: 1…threshold as "<threshold+1" (e.g. "<3"), others unchanged
    (0 stays 0: nobody to identify; NaN stays unknown). Object dtype, on the input's index."""
    threshold = small_number_threshold() if threshold is None else small_number_threshold(threshold)
    series = values if isinstance(values, pd.Series) else pd.Series(values)
    out = series.astype(object)
    if threshold:
        numbers = pd.to_numeric(series, errors="coerce")
        small = (numbers >= 1) & (numbers <= threshold)
        out = out.where(~small, f"<{threshold + 1}")
    return out


def applies_small_number_rule(kind: str) -> bool:
    """Return True for indicator kinds whose small counts could point at a household (people, households)."""
    return kind in ("people", "households")
