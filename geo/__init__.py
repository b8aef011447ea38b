"""Valley Atlas computation: datums, boundaries, regions, zones, villages and coverage.

Pure functions over (Geo)DataFrames with explicit CRS; this package never imports streamlit.
"""
