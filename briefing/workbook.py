"""The briefing workbook: the metrics report plus the village list with coverage flags."""
from __future__ import annotations

import io

import numpy as np
import pandas as pd

from briefing.gis import export_layers
from geo.atlas import RegionData
from geo.report import metrics_report
from geo.workbook import write_metrics_workbook

VILLAGE_SHEET_COLUMNS = ["village_id", "name", "township", "code", "county", "lon", "lat", "rural_population",
                         "poverty_village", "identified_year", "exit_year", "status", "covered", "provenance"]


def village_rows(data: RegionData, year: int) -> list[dict]:
    """Return the villages as rows for the workbook, with the year's status, poor population and coverage."""
    layers = export_layers(data, year)
    if "villages" not in layers:
        return []
    frame = layers["villages"]
    table = pd.DataFrame(frame.drop(columns="geometry"))
    table["lon"] = frame.geometry.x.round(6)
    table["lat"] = frame.geometry.y.round(6)
    table[f"poor_{year}"] = frame[f"poor_{year}"]
    columns = VILLAGE_SHEET_COLUMNS + [f"poor_{year}"]
    table = table[columns].astype(object).where(table[columns].notna(), None)
    return [{k: (v.item() if isinstance(v, np.generic) else v) for k, v in row.items()}
            for row in table.to_dict("records")]


def render_workbook(data: RegionData, year: int, *, lang: str = "zh") -> bytes:
    """Return the .xlsx bytes: zones, union, gaps, published vs computed, villages (Chinese headers, codes as text)."""
    buffer = io.BytesIO()
    write_metrics_workbook(metrics_report(data, year, lang=lang), buffer, villages=village_rows(data, year))
    return buffer.getvalue()
