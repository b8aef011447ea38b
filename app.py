"""Valley Atlas (沟域经济地图): the st.navigation router and the shared sidebar; nothing else."""
from pathlib import Path

import streamlit as st

from geo.i18n import t
from views.state import sidebar, write_state_to_url

HERE = Path(__file__).resolve().parent
FAVICON = str(HERE / "static" / "favicon.png")  # local: no icon from a CDN
VIEWS = HERE / "views"

st.set_page_config(page_title="沟域经济地图 Valley Atlas", page_icon=FAVICON, layout="wide")
lang = sidebar()
navigation = st.navigation([
    st.Page(VIEWS / "map.py", title=t("page_map", lang), icon=":material/map:", url_path="map", default=True),
    st.Page(VIEWS / "coverage.py", title=t("page_coverage", lang), icon=":material/donut_small:", url_path="coverage"),
    st.Page(VIEWS / "briefing.py", title=t("page_briefing", lang), icon=":material/picture_as_pdf:",
            url_path="briefing"),
    st.Page(VIEWS / "data.py", title=t("page_data", lang), icon=":material/upload_file:", url_path="data"),
    st.Page(VIEWS / "sources.py", title=t("page_sources", lang), icon=":material/menu_book:", url_path="sources"),
])
navigation.run()
write_state_to_url()
