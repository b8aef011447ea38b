"""Static exports for briefings: a card (PNG/PDF), an atlas PDF, an Excel workbook and GIS files.

Built from the same geo/ results as the app; never imports streamlit.
"""
