"""Basemap providers, defined in data/basemaps.toml, as folium tile layers."""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import folium
import xyzservices.providers as xyz

from geo.i18n import localized

BASEMAPS_PATH = Path(__file__).resolve().parent.parent / "data" / "basemaps.toml"


class MissingToken(LookupError):
    """A basemap needs a key that is not configured."""


@dataclass(frozen=True)
class Basemap:
    """A tile provider (or none): its tiles' URL template, attribution, datum and the key it needs."""

    id: str
    name_zh: str
    name_en: str
    datum: str
    url: str | None = None
    attribution: str | None = None
    annotation_url: str | None = None
    subdomains: str = "abc"
    token: str | None = None  # name of the environment variable / secret holding the key
    max_zoom: int = 19
    kind: str = "tiles"  # "tiles", "terrain" (rendered locally from the DEM: layers/terrain.py) or "none"
    default: bool = False  # the basemap a new session opens with

    def name(self, lang: str = "zh") -> str:
        return localized(self, "name", lang)


@lru_cache(maxsize=1)
def basemaps() -> dict[str, Basemap]:
    """Return every basemap of the registry by id, in file order."""
    with open(BASEMAPS_PATH, "rb") as fh:
        entries = tomllib.load(fh)["basemaps"]
    out = {}
    for entry in entries:
        values = {k: v for k, v in entry.items() if k != "xyzservices"}
        if "xyzservices" in entry:
            provider = xyz.query_name(entry["xyzservices"])
            values["url"] = provider.build_url()
            values["attribution"] = provider.html_attribution
            values["max_zoom"] = int(provider.get("max_zoom", 19))
            if "subdomains" in provider:
                values["subdomains"] = provider["subdomains"]
        out[entry["id"]] = Basemap(**values)
    defaults = [b.id for b in out.values() if b.default]
    if len(defaults) != 1:
        raise ValueError(f"{BASEMAPS_PATH.name} must mark exactly one basemap default = true, found {defaults}")
    return out


def default_basemap_id() -> str:
    """Return the basemap a new session opens with (the registry's `default = true` entry)."""
    return next(b.id for b in basemaps().values() if b.default)


def resolve_token(basemap: Basemap, secrets: dict | None = None) -> str | None:
    """Return the key a basemap needs from the environment, else from the given secrets; None when absent."""
    if basemap.token is None:
        return None
    value = os.environ.get(basemap.token) or (secrets or {}).get(basemap.token)
    return value or None


def basemap_layers(basemap_id: str, *, token: str | None = None) -> list[folium.TileLayer]:
    """Return the tile layers of a basemap (tiles, then annotations); [] for 'none' and the local terrain.

    Raises MissingToken when the provider needs a key and none is given.
    """
    basemap = basemaps()[basemap_id]
    if basemap.kind != "tiles" or basemap.url is None:
        return []
    if basemap.token and not token:
        raise MissingToken(f"{basemap.name_en} needs a key: set the environment variable {basemap.token} "
                           f"or add {basemap.token} to .streamlit/secrets.toml")
    layers = []
    for url in (basemap.url, basemap.annotation_url):
        if url:
            layers.append(folium.TileLayer(
                tiles=url.replace("{tk}", token or ""), attr=basemap.attribution, name=basemap.name_en,
                control=False, subdomains=basemap.subdomains, max_zoom=basemap.max_zoom, overlay=url != basemap.url,
            ))
    return layers
