"""The sources page: every dataset (source, version, licence, CRS, real or illustrative) and every seed article."""
import tomllib

import pandas as pd
import streamlit as st

from geo.i18n import t
from geo.regions import DATA_DIR, load_registry
from views.state import current_lang


def sources_page(lang: str) -> None:
    """Show the dataset registry and the source articles."""
    st.header(t("sources_title", lang))
    st.subheader(t("datasets", lang))
    with open(DATA_DIR / "datasets.toml", "rb") as fh:
        datasets = tomllib.load(fh)["datasets"]
    st.dataframe(pd.DataFrame([{
        t("dataset_name", lang): d[f"name_{lang}"],
        t("dataset_source", lang): d["source"],
        t("dataset_licence", lang): d["licence"],
        t("dataset_crs", lang): d["crs"],
        t("dataset_status", lang): t("status_illustrative" if d["illustrative"] else "status_real", lang),
    } for d in datasets]), hide_index=True, width="stretch")
    st.subheader(t("articles", lang))
    st.dataframe(pd.DataFrame([{
        t("article_file", lang): s.file,
        t("article_title", lang): s.title(lang),
        t("article_publisher", lang): s.publisher,
        t("article_date", lang): s.date,
    } for s in load_registry().sources.values()]), hide_index=True, width="stretch")


sources_page(current_lang())
