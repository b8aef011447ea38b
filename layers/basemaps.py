"""Basemap providers, defined in data/basemaps.toml, as folium tile layers."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import folium
import xyzservices.providers as xyz

BASEMAPS_PATH = Path(__file__).resolve().parent.parent / "data" / "basemaps.toml"


@dataclass(frozen=True)
class Basemap:
    """A tile provider (or none): its tiles' URL template, attribution and datum."""

    id: str
    name_zh: str
    name_en: str
    datum: str
    url: str | None = None
    attribution: str | None = None

    def name(self, lang: str = "zh") -> str:
        return self.name_zh if lang == "zh" else self.name_en


@lru_cache(maxsize=1)
def basemaps() -> dict[str, Basemap]:
    """Return every basemap of the registry by id, in file order."""
    with open(BASEMAPS_PATH, "rb") as fh:
        entries = tomllib.load(fh)["basemaps"]
    out = {}
    for entry in entries:
        url, attribution = entry.get("url"), entry.get("attribution")
        if "xyzservices" in entry:
            provider = xyz.query_name(entry["xyzservices"])
            url, attribution = provider.build_url(), provider.html_attribution
        out[entry["id"]] = Basemap(
            id=entry["id"], name_zh=entry["name_zh"], name_en=entry["name_en"], datum=entry["datum"],
            url=url, attribution=attribution,
        )
    return out


def basemap_layer(basemap_id: str) -> folium.TileLayer | None:
    """Return the tile layer of a basemap, or None for the offline 'none' basemap."""
    basemap = basemaps()[basemap_id]
    if basemap.url is None:
        return None
    return folium.TileLayer(tiles=basemap.url, attr=basemap.attribution, name=basemap.name_en, control=False)
