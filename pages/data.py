"""The data page: upload a village table, see one validation report, confirm, and it replaces the illustrative data."""
import pandas as pd
import streamlit as st

from geo.i18n import t
from geo.io import HEADER_ALIASES, guess_mapping, import_villages, read_table
from geo.villages import POOR_COLUMNS
from pages.common import cached_region_data, current_lang, current_region, workspace

lang = current_lang()
region = current_region()
NOT_MAPPED = ""

if region is not None:
    ws = workspace()
    st.header(f"{t('data_title', lang)} · {region.name(lang)}")
    st.caption(t("data_workspace", lang, path=ws.path))
    upload = st.file_uploader(t("data_upload", lang), type=["csv", "txt", "xlsx"], key="data_upload")
    datum = st.radio(t("data_datum", lang), ["wgs84", "cgcs2000", "gcj02", "bd09"], key="data_datum",
                     horizontal=True, format_func=lambda d: t(f"datum_{d}", lang))
    if upload is not None:
        try:
            table = read_table(upload.getvalue(), upload.name)
        except ValueError as exc:
            st.error(t("data_read_failed", lang, error=exc))
            table = None
        if table is not None:
            guessed = guess_mapping(table.columns)
            fields = [*HEADER_ALIASES, *POOR_COLUMNS]
            with st.expander(t("data_mapping", lang), expanded=False):
                options = [NOT_MAPPED, *table.columns]
                mapping = {}
                for field in fields:
                    chosen = st.selectbox(field, options, key=f"map_{field}",
                                          index=options.index(guessed[field]) if field in guessed else 0,
                                          format_func=lambda c: t("data_not_mapped", lang) if c == NOT_MAPPED else c)
                    if chosen != NOT_MAPPED:
                        mapping[field] = chosen
            data = cached_region_data(region.key)
            try:
                report = import_villages(table, file_name=upload.name, region_boundary=data.outline, datum=datum,
                                         mapping=mapping, region_adcode=region.adcode)
            except Exception as exc:  # a report, never a stack trace
                st.error(t("data_read_failed", lang, error=exc))
                report = None
            if report is not None:
                st.subheader(t("data_report", lang, errors=len(report.errors), warnings=len(report.warnings),
                               rows=report.rows_ok))
                for title, issues, show in ((t("data_errors", lang), report.errors, st.error),
                                            (t("data_warnings", lang), report.warnings, st.warning)):
                    if issues:
                        show(title)
                        st.dataframe(pd.DataFrame({
                            t("data_row", lang): [i.row or "—" for i in issues],
                            t("data_column", lang): [i.column or "—" for i in issues],
                            t("data_problem", lang): [i.message for i in issues],
                            t("data_fix", lang): [i.fix for i in issues],
                        }), hide_index=True, width="stretch")
                if report.villages is not None and not report.errors:
                    if st.button(t("data_confirm", lang), key="data_confirm", type="primary"):
                        version = ws.save("villages", region.key, report.villages, source=upload.name,
                                          replace_region=True)
                        cached_region_data.clear()
                        st.session_state.pop("_view_anchor", None)
                        st.success(t("data_saved", lang, version=version, rows=report.rows_ok))
    st.subheader(t("data_history", lang))
    history = ws.history()
    if history:
        st.dataframe(pd.DataFrame(history), hide_index=True, width="stretch")
    if st.button(t("data_undo", lang), key="data_undo"):
        undone = ws.undo_last()
        cached_region_data.clear()
        st.info(t("data_undone", lang, summary=undone["summary"]) if undone else t("data_nothing_to_undo", lang))
