"""Which real village each row is: its code checked against the NBS 2023 list, or — without a code — a match by
township + name (exact, suggested for a near miss, or unmatched), townships compared across the 2023 → 2025 renames.

One step of the village importer (geo.ingest.villages). Rows with a blocking problem are left out; everything found
goes to the report with its row. Nothing is said for a region the reference lists do not cover.
"""
from __future__ import annotations

import difflib
import re

import numpy as np
import pandas as pd

from geo.ingest.reference import adcode_prefix, bare_name, township_key, township_names, village_list
from geo.ingest.report import ImportReport

NEAR_MISS_RATIO = 0.6  # difflib similarity of bare names from which a listed village is suggested for a row
MAX_SUGGESTIONS = 3  # listed villages offered for one unmatched row


def check_codes(report: ImportReport, codes: pd.Series, column: str | None, region_adcode: str | None,
                rows: np.ndarray, blocked: np.ndarray) -> None:
    """Report codes that are not 12 digits (blocking: Excel turned them into numbers, or they are cut short) and
    codes of another division (a warning)."""
    if column is None:
        return
    prefix = adcode_prefix(region_adcode) if region_adcode else ""
    for i, raw in enumerate(codes):
        if raw == "":
            continue
        row = int(rows[i])
        if re.fullmatch(r"\d{12}\.0+|\d(\.\d+)?[eE]\+?1[01]", raw):
            report.add("error", row, column, "code_float", code=raw)
            blocked[i] = True
        elif not re.fullmatch(r"\d{12}", raw):
            report.add("error", row, column, "code_not_12", code=raw)
            blocked[i] = True
        elif prefix and not raw.startswith(prefix):
            report.add("warning", row, column, "code_other_county", code=raw, county=raw[:6], region=region_adcode)


def match_villages(report: ImportReport, codes: pd.Series, names: pd.Series, townships: pd.Series,
                   mapping: dict, region_adcode: str | None, rows: np.ndarray, blocked: np.ndarray) -> pd.Series:
    """Match every usable row to the NBS 2023 list; return the codes to keep (exact matches filled in).

    With a code: its listed name and township are compared with the row's (a different name or township is a
    warning). Without a code: township + name equal to one listed village is an exact match (its code is filled in
    and said so); one listed village of that name without a township, or a similar name in that township, is a
    suggested match (report.suggested_codes: applied on request); otherwise the row is unmatched.
    report.matches counts exact / suggested / unmatched.
    """
    codes = codes.copy()
    if not region_adcode:
        return codes
    nbs = village_list()
    prefix = adcode_prefix(region_adcode)
    if not any(c.startswith(prefix) for c in nbs.counties):
        return codes  # no reference list for this region: nothing to say
    code_column = mapping.get("code", "code")
    town_column = mapping.get("township", "township")
    listed_towns = {}
    for county, towns in township_names().items():
        if county.startswith(prefix):
            listed_towns.update(towns)
    in_region = {c: entry for c, entry in nbs.codes.items() if c.startswith(prefix)}
    by_name: dict[str, list[str]] = {}
    by_town: dict[str, list[str]] = {}
    for c, (n, town) in in_region.items():
        by_name.setdefault(bare_name(n), []).append(c)
        by_town.setdefault(township_key(town), []).append(c)
    counts = {"exact": 0, "suggested": 0, "unmatched": 0}
    for i, (code, name, township) in enumerate(zip(codes, names, townships)):
        if blocked[i] or not name:
            continue
        row = int(rows[i])
        if township and listed_towns and township_key(township) not in listed_towns:
            report.add("warning", row, town_column, "township_unknown", township=township,
                       known="、".join(list(dict.fromkeys(listed_towns.values()))[:20]))
        if re.fullmatch(r"\d{12}", code) and nbs.covers(code):
            listed = nbs.codes.get(code)
            if listed is None:
                hits = nbs.find_by_name(name, prefix, township)
                if len(hits) == 1:
                    report.add("warning", row, code_column, "code_unknown_named", code=code, name=name,
                               suggested=hits[0])
                else:
                    report.add("warning", row, code_column, "code_unknown", code=code)
                counts["unmatched"] += 1
                continue
            listed_name, listed_town = listed
            if bare_name(listed_name) != bare_name(name):
                report.add("warning", row, code_column, "code_name_mismatch", code=code, listed=listed_name, name=name)
            if township and township_key(listed_town) != township_key(township):
                report.add("warning", row, town_column, "code_township_mismatch", code=code, listed=listed_town,
                           township=township)
            counts["exact"] += 1
        elif code == "":
            exact = [c for c in by_name.get(bare_name(name), [])
                     if not township or township_key(in_region[c][1]) == township_key(township)]
            if len(exact) == 1 and township:
                codes.iloc[i] = exact[0]
                listed_name, listed_town = in_region[exact[0]]
                report.add("warning", row, code_column, "code_matched", name=name, township=township, code=exact[0],
                           listed=f"{listed_town} {listed_name}")
                counts["exact"] += 1
            elif len(exact) == 1:
                report.suggested_codes[row] = exact[0]
                report.add("warning", row, code_column, "code_suggested", name=name, suggested=exact[0])
                counts["suggested"] += 1
            elif len(exact) > 1:
                report.add("warning", row, code_column, "code_ambiguous_name", name=name, count=len(exact))
                counts["unmatched"] += 1
            else:
                near = _near_misses(name, township, in_region, by_name, by_town)
                if near:
                    report.suggested_codes[row] = near[0]
                    report.add("warning", row, code_column, "code_near_miss", name=name, township=township or "—",
                               suggestions="、".join(f"{in_region[c][1]} {in_region[c][0]} {c}" for c in near))
                    counts["suggested"] += 1
                else:
                    report.add("warning", row, code_column, "code_unmatched", name=name, township=township or "—")
                    counts["unmatched"] += 1
    report.matches = counts
    return codes


def _near_misses(name: str, township: str, listed: dict[str, tuple[str, str]], by_name: dict[str, list[str]],
                 by_town: dict[str, list[str]]) -> list[str]:
    """Return up to MAX_SUGGESTIONS listed codes whose village resembles a row: the same name in another township,
    or a similar name in the row's township (anywhere in the region without one)."""
    key = bare_name(name)
    scored = [(0.95, code) for code in by_name.get(key, [])]  # same name, another township
    pool = by_town.get(township_key(township), []) if township else list(listed)
    for code in pool:
        ratio = difflib.SequenceMatcher(None, key, bare_name(listed[code][0])).ratio()
        if ratio >= NEAR_MISS_RATIO and code not in by_name.get(key, []):
            scored.append((ratio, code))
    return [code for _, code in sorted(scored, key=lambda s: (-s[0], s[1]))[:MAX_SUGGESTIONS]]
