"""Every table export of one view — workbook, GeoPackage, GeoJSON (zip) and CSV — for the app and the command line."""
from __future__ import annotations

from briefing.gis import export_layers, to_geojson_zip, to_geopackage, villages_csv
from briefing.indicators import add_indicator_sheets, indicator_csv
from briefing.workbook import render_workbook
from geo.region_data import RegionData
from geo.villages import campaign_year


def wants_indicator(indicator: str | None, year: int) -> bool:
    """Return True when a view shows an indicator other than the 2014–2020 registered poor population."""
    return indicator is not None and (indicator != "poor_population" or year != campaign_year(year))


def table_exports(data: RegionData, year: int, *, lang: str = "zh", datum: str = "wgs84",
                  indicator: str | None = None) -> dict[str, bytes]:
    """Return {"xlsx", "gpkg", "geojson", "csv": bytes} of a region in a year; with an indicator the workbook gains
    its sheets and the CSV holds its per-village values (small numbers suppressed). The 2014–2020 layers and sheets
    show the year itself, or the end of 2020 after it."""
    poverty_year = campaign_year(year)
    layers = export_layers(data, poverty_year, datum=datum)
    out = {"xlsx": render_workbook(data, poverty_year, lang=lang), "gpkg": to_geopackage(layers),
           "geojson": to_geojson_zip(layers), "csv": villages_csv(data, poverty_year)}
    if wants_indicator(indicator, year):
        out["xlsx"] = add_indicator_sheets(out["xlsx"], data, indicator, year, lang=lang)
        out["csv"] = indicator_csv(data, indicator, year, lang=lang)
    return out
