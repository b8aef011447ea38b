"""The audit page (auditors only): every recorded action with filters, the chain's integrity, a CSV export."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from geo.errors import AccessDenied
from geo.i18n import t
from views import auth
from views.state import page_args

ANY = ""
ACTIONS = ("sign_in", "sign_out", "password_change", "import", "save", "delete", "undo", "export", "account_add",
           "account_roles", "account_disable", "account_enable", "account_reset", "account_lock")


def audit_page(region, year: int, lang: str) -> None:
    """Show the audit log to an auditor (the role is checked here, whatever the navigation listed)."""
    actor = auth.actor()
    try:
        actor.require_role("auditor", "read the audit log")
    except AccessDenied as exc:
        auth.store().record(actor.name, "audit_read", result="refused: no right")
        st.error(t("access_denied", lang, reason=exc))
        return
    store = auth.store()
    st.header(t("audit_title", lang))
    st.caption(t("audit_append_only", lang))
    c1, c2, c3, c4, c5 = st.columns(5)
    user = c1.text_input(t("audit_user", lang), key="audit_user")
    action = c2.selectbox(t("audit_action", lang), [ANY, *ACTIONS], key="audit_action",
                          format_func=lambda a: t("audit_any", lang) if a == ANY else a)
    result = c3.selectbox(t("audit_result", lang), [ANY, "ok", "failed", "refused"], key="audit_result",
                          format_func=lambda a: t("audit_any", lang) if a == ANY else a)
    since = c4.date_input(t("audit_since", lang), value=None, key="audit_since")
    until = c5.date_input(t("audit_until", lang), value=None, key="audit_until")
    records = store.audit(user=user.strip(), action=action, result=result,
                          since=since.isoformat() if since else "",
                          until=(until + dt.timedelta(days=1)).isoformat() if until else "")
    broken = store.verify_chain()
    if broken is None:
        st.success(t("audit_chain_ok", lang))
    else:
        st.error(t("audit_chain_broken", lang, id=broken))
    table = pd.DataFrame(records, columns=["id", "time", "user_name", "action", "region", "object", "result",
                                           "detail"])
    st.caption(t("audit_count", lang, n=len(table)))
    st.dataframe(table, hide_index=True, width="stretch", key="audit_table")
    st.download_button(t("audit_download", lang), table.to_csv(index=False).encode("utf-8-sig"),
                       "audit_log.csv", "text/csv", key="audit_download",
                       on_click=auth.record_export, args=("", f"audit log ({len(table)} records)"))


audit_page(**page_args())
