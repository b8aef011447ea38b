"""Valley Atlas (沟域经济地图): the st.navigation router and the shared sidebar; nothing else."""
from pathlib import Path

import streamlit as st

from geo.i18n import t
from views.auth import account_sidebar
from views.state import sidebar, write_state_to_url

HERE = Path(__file__).resolve().parent
FAVICON = str(HERE / "static" / "favicon.png")  # local: no icon from a CDN
VIEWS = HERE / "views"

st.set_page_config(page_title="沟域经济地图 Valley Atlas", page_icon=FAVICON, layout="wide")
lang = sidebar()
actor = account_sidebar(lang)  # stops here when the session must sign in or change its password
pages = [
    st.Page(VIEWS / "map.py", title=t("page_map", lang), icon=":material/map:", url_path="map", default=True),
    st.Page(VIEWS / "coverage.py", title=t("page_coverage", lang), icon=":material/donut_small:", url_path="coverage"),
    st.Page(VIEWS / "briefing.py", title=t("page_briefing", lang), icon=":material/picture_as_pdf:",
            url_path="briefing"),
    st.Page(VIEWS / "data.py", title=t("page_data", lang), icon=":material/upload_file:", url_path="data"),
    st.Page(VIEWS / "sources.py", title=t("page_sources", lang), icon=":material/menu_book:", url_path="sources"),
]
if actor.has("auditor"):  # listed for the role; each page checks the role again itself
    pages.append(st.Page(VIEWS / "audit.py", title=t("page_audit", lang), icon=":material/policy:", url_path="audit"))
if actor.has("administrator"):
    pages.append(st.Page(VIEWS / "accounts.py", title=t("page_accounts", lang), icon=":material/group:",
                         url_path="accounts"))
navigation = st.navigation(pages)
navigation.run()
write_state_to_url()
