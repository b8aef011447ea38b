"""Folium layer builders for Valley Atlas: GeoDataFrame -> folium layers; the only place that reprojects for display."""
