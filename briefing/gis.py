"""GIS and table exports: zones, belts and villages as GeoPackage / GeoJSON (WGS84 or GCJ-02), villages as CSV."""
from __future__ import annotations

import io
import json
import os
import tempfile
import zipfile

import geopandas as gpd
import pandas as pd

from geo.crs import convert_datum
from geo.region_data import RegionData
from geo.villages import village_status
from geo.zones import corridors

EXPORT_DATUMS = ("wgs84", "gcj02")


def export_layers(data: RegionData, year: int, *, datum: str = "wgs84") -> dict[str, gpd.GeoDataFrame]:
    """Return the layers to export (zones, belt corridors, villages with status and coverage), in a datum.

    GCJ-02 layers keep the EPSG:4326 label (there is no EPSG code for GCJ-02) and say their datum in a column.
    """
    if datum not in EXPORT_DATUMS:
        raise ValueError(f"datum {datum!r} is not one of {', '.join(EXPORT_DATUMS)}")
    layers: dict[str, gpd.GeoDataFrame] = {}
    zones = data.zones.copy()
    zones["industries"] = ["、".join(i) for i in zones["industries"]]
    valleys = zones[zones["kind"] != "belt"]
    belts = zones[zones["kind"] == "belt"]
    if len(valleys):
        layers["zones"] = valleys
    if len(belts):
        layers["belts"] = belts
        layers["belt_corridors"] = belts.set_geometry(corridors(data.zones[data.zones["kind"] == "belt"]).to_numpy())
    if len(data.villages):
        villages = data.villages.copy()
        membership = data.membership
        villages["status"] = village_status(data.villages, year)
        villages["covered"] = membership.covered()
        villages["year"] = year
        villages["identified_year"] = villages["identified_year"].astype("float")
        villages["exit_year"] = villages["exit_year"].astype("float")
        layers["villages"] = villages
    out = {}
    for name, frame in layers.items():
        frame = gpd.GeoDataFrame(frame, geometry="geometry", crs=4326)
        if datum != "wgs84":
            frame = convert_datum(frame, "wgs84", datum, name=name)
        frame["datum"] = datum
        out[name] = frame
    return out


def to_geopackage(layers: dict[str, gpd.GeoDataFrame]) -> bytes:
    """Return a GeoPackage (one table per layer) as bytes."""
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "export.gpkg")
        for name, frame in layers.items():
            frame.to_file(path, layer=name, driver="GPKG", engine="pyogrio")
        with open(path, "rb") as fh:
            return fh.read()


def to_geojson_zip(layers: dict[str, gpd.GeoDataFrame]) -> bytes:
    """Return a zip of one GeoJSON file per layer (coordinates rounded to 7 decimals ≈ 1 cm)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, frame in layers.items():
            text = frame.to_json(drop_id=True, ensure_ascii=False, to_wgs84=False)
            doc = json.loads(text)
            doc["name"] = name
            archive.writestr(f"{name}.geojson", json.dumps(doc, ensure_ascii=False))
    return buffer.getvalue()


def to_geojson(layers: dict[str, gpd.GeoDataFrame], layer: str | None = None) -> bytes:
    """Return one GeoJSON FeatureCollection (RFC 7946, UTF-8): one layer's features, or — with layer None — every
    layer's, each feature saying which layer it belongs to in its "layer" property (QGIS splits them by geometry)."""
    if layer is not None and layer not in layers:
        raise ValueError(f"no layer {layer!r} to export; the layers are: {', '.join(layers) or 'none'}")
    features = []
    for name, frame in layers.items():
        if layer is not None and name != layer:
            continue
        doc = json.loads(frame.to_json(drop_id=True, ensure_ascii=False, to_wgs84=False))
        for feature in doc["features"]:
            feature["properties"] = {"layer": name, **feature["properties"]}
        features += doc["features"]
    collection = {"type": "FeatureCollection", "name": layer or "valley_atlas", "features": features}
    return json.dumps(collection, ensure_ascii=False).encode("utf-8")


def villages_csv(data: RegionData, year: int) -> bytes:
    """Return the villages with status and coverage as CSV in utf-8-sig (opens in Excel with Chinese intact)."""
    layers = export_layers(data, year)
    if "villages" not in layers:
        return "\ufeff".encode("utf-8")
    frame = layers["villages"]
    table = pd.DataFrame(frame.drop(columns="geometry"))
    table.insert(1, "lon", frame.geometry.x.round(6))
    table.insert(2, "lat", frame.geometry.y.round(6))
    return table.to_csv(index=False).encode("utf-8-sig")
