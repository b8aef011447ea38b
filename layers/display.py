"""The display datum: every overlay is moved to the basemap's datum here, and map clicks are moved back."""
from __future__ import annotations

import geopandas as gpd
import numpy as np

from geo.crs import DATUMS, convert_coords, convert_datum, require_crs

DISPLAY_DATUMS = DATUMS  # a basemap can be in any of them


def to_display(frame, datum: str = "wgs84", *, name: str = "layer"):
    """Return a (Geo)DataFrame/GeoSeries in WGS84 longitude/latitude, shifted to the display datum if it is not WGS84."""
    require_crs(frame, name)
    wgs = frame.to_crs(4326)
    if datum in ("wgs84", "cgcs2000"):
        return wgs
    return convert_datum(wgs, "wgs84", datum, name=name)


def display_bounds(frame: gpd.GeoDataFrame, datum: str = "wgs84") -> np.ndarray:
    """Return (minx, miny, maxx, maxy) of a frame in the display datum."""
    return to_display(frame, datum).total_bounds


def click_to_wgs84(lon: float, lat: float, datum: str = "wgs84") -> tuple[float, float]:
    """Return a map click (in the display datum) as WGS84 longitude/latitude, ready for computation."""
    out_lon, out_lat = convert_coords([lon], [lat], datum, "wgs84")
    return float(out_lon[0]), float(out_lat[0])
