"""Terrain: elevation (DEM) for any region offline, the offline terrain basemap, valleys derived from the land.

Modules by concern: `dem` (which DEM covers a region, windows, sampling), `install` (the national 30″ DEM from its
package, with the georeferencing fix), `flow` (D8 routing), `valleys` (valley zones), `hillshade` (basemap image,
contours), `metrics` (elevation and slope per zone and village), `cli` (`python -m geo zones from-terrain`).
Pure computation: nothing here imports streamlit.
"""
