"""Valley Atlas (沟域经济地图): the st.navigation router and the shared sidebar; nothing else."""
import streamlit as st

from pages.common import mark_app_shell, sidebar

st.set_page_config(page_title="沟域经济地图 Valley Atlas", page_icon=":material/landscape:", layout="wide")
lang = sidebar()
from geo.i18n import t  # noqa: E402  (after set_page_config on purpose: nothing else runs before it)

navigation = st.navigation([
    st.Page("pages/map.py", title=t("page_map", lang), icon=":material/map:", url_path="map", default=True),
    st.Page("pages/coverage.py", title=t("page_coverage", lang), icon=":material/donut_small:", url_path="coverage"),
    st.Page("pages/sources.py", title=t("page_sources", lang), icon=":material/menu_book:", url_path="sources"),
])
mark_app_shell()
navigation.run()
