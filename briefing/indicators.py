"""Public exports of any indicator: a sheet of the workbook and a CSV, with the small-number rule applied.

Counts of people or households of 1–2 (VALLEY_ATLAS_SMALL_NUMBER_MAX) show as "<3" in every public export; the
indicator, its unit and the year are named in the headers; an illustrative value says 示意.
"""
from __future__ import annotations

import io

import pandas as pd

from geo.coverage.indicators import indicator_zone_values, village_values
from geo.i18n import localized, t
from geo.ingest.privacy import applies_small_number_rule, suppress_small_numbers
from geo.region_data import RegionData


def _label(data: RegionData, indicator: str, year: int, lang: str) -> str:
    spec = data.registry.get(indicator)
    unit = f"（{spec.unit(lang)}）" if lang == "zh" else f" ({spec.unit(lang)})"
    return f"{spec.name(lang)}{unit} {year}"


def _public(values, spec) -> pd.Series:
    series = pd.Series(values, dtype=float)
    if applies_small_number_rule(spec.kind):
        return suppress_small_numbers(series)
    return series.astype(object)


def indicator_tables(data: RegionData, indicator: str, year: int, *, lang: str = "zh") -> dict[str, pd.DataFrame]:
    """Return {"zones": per-zone values, "villages": per-village values} of an indicator in a year, as public
    exports show them (unknown empty, 1–2 people or households as "<3")."""
    spec = data.registry.get(indicator)
    label = _label(data, indicator, year, lang)
    zones = indicator_zone_values(data.zones, data.villages, data.indicators, indicator, year,
                                  membership=data.membership, registry=data.registry)
    covered = data.membership.covered()
    villages = pd.DataFrame({
        t("village_name", lang): data.villages["name"].to_numpy(),
        t("township", lang): data.villages["township"].to_numpy(),
        t("code", lang): data.villages["code"].astype(str).to_numpy(),
        label: _public(village_values(data.villages, data.indicators, indicator, year), spec).to_numpy(),
        t("class_villages_covered", lang): [t("ind_yes", lang) if c else t("ind_no", lang) for c in covered],
    })
    zone_table = pd.DataFrame({
        t("zone", lang): localized(zones, "name", lang).to_numpy(),
        label: _public(zones["value"].to_numpy(), spec).to_numpy(),
        t("ind_villages_reporting", lang): zones["villages_reporting"].to_numpy(),
    })
    if data.illustrative:
        for table in (villages, zone_table):
            table[t("dataset_status", lang)] = t("status_illustrative", lang)
    return {"zones": zone_table, "villages": villages}


def indicator_csv(data: RegionData, indicator: str, year: int, *, lang: str = "zh") -> bytes:
    """Return the villages' values of an indicator in a year as utf-8-sig CSV (small numbers suppressed)."""
    return indicator_tables(data, indicator, year, lang=lang)["villages"].to_csv(index=False).encode("utf-8-sig")


def add_indicator_sheets(workbook: bytes, data: RegionData, indicator: str, year: int, *, lang: str = "zh") -> bytes:
    """Return a workbook (XLSX bytes) with two sheets added: the indicator per zone and per village (codes are
    written as text cells)."""
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(workbook))
    tables = indicator_tables(data, indicator, year, lang=lang)
    name = data.registry.get(indicator).name(lang)[:20]
    for part, table in tables.items():
        sheet = book.create_sheet(f"{name} {year} {t('zone' if part == 'zones' else 'village_name', lang)}"[:31])
        sheet.append([_label(data, indicator, year, lang) + ("（示意）" if data.illustrative else "")])
        sheet.append(list(table.columns))
        for row in table.itertuples(index=False):
            sheet.append([None if isinstance(v, float) and v != v else v for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
