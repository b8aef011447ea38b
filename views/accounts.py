"""The accounts page (administrators only): list, create, change roles and regions, disable, reset a password."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from geo.access import ROLES
from geo.access.passwords import generated_password
from geo.errors import AccessDenied, AccountError, PasswordPolicyError
from geo.i18n import t
from views import auth
from views.state import page_args

FLASH = "_accounts_flash"


def _act(lang: str, what, *args, **kwargs) -> None:
    """Run one account change as the signed-in administrator (the store checks the role); say how it went."""
    try:
        message = what(*args, **kwargs)
    except (AccessDenied, AccountError, PasswordPolicyError) as exc:
        problems = getattr(exc, "problems", None)
        st.session_state[FLASH] = ("error", "; ".join(t(p, lang) for p in problems) if problems else str(exc))
        return
    st.session_state[FLASH] = ("success", message or t("accounts_done", lang))


def _add(lang: str) -> None:
    state = st.session_state
    name, roles, regions = state.get("acc_name", "").strip(), state.get("acc_roles", []), state.get("acc_regions", "")
    if state.get("acc_oidc"):
        auth.store().add_user(name, roles, regions, None, by=auth.actor())
        return t("accounts_created_oidc", lang, name=name)
    password = generated_password()
    auth.store().add_user(name, roles, regions, password, by=auth.actor(), must_change=True)
    return t("accounts_created", lang, name=name, password=password)


def _reset(lang: str, name: str) -> str:
    password = generated_password()
    auth.store().reset_password(name, password, by=auth.actor())
    return t("accounts_reset_done", lang, name=name, password=password)


def accounts_page(region, year: int, lang: str) -> None:
    """Manage accounts as an administrator (the role is checked here and again by every store method)."""
    actor = auth.actor()
    try:
        actor.require_role("administrator", "manage accounts")
    except AccessDenied as exc:
        st.error(t("access_denied", lang, reason=exc))
        return
    store = auth.store()
    st.header(t("accounts_title", lang))
    flash = st.session_state.pop(FLASH, None)
    if flash:
        {"error": st.error, "success": st.success}[flash[0]](flash[1])
    users = store.users()
    st.dataframe(pd.DataFrame(users, columns=["name", "roles", "regions", "disabled", "locked", "must_change",
                                              "last_sign_in"]).assign(
        roles=lambda f: f["roles"].map(", ".join), regions=lambda f: f["regions"].map(", ".join),
        last_sign_in=lambda f: pd.to_datetime(f["last_sign_in"], unit="s", utc=True).dt.tz_convert(None)),
        hide_index=True, width="stretch", key="accounts_table")
    with st.form("accounts_add", border=True):
        st.subheader(t("accounts_add", lang))
        st.text_input(t("access_name", lang), key="acc_name")
        st.multiselect(t("accounts_roles", lang), ROLES, key="acc_roles", format_func=lambda r: t(f"role_{r}", lang))
        st.text_input(t("accounts_regions", lang), key="acc_regions")
        st.checkbox(t("accounts_oidc", lang), key="acc_oidc")
        st.form_submit_button(t("accounts_create", lang), on_click=lambda: _act(lang, _add, lang))
    if not users:
        return
    names = [u["name"] for u in users]
    chosen = st.selectbox(t("accounts_account", lang), names, key="acc_chosen")
    user = next(u for u in users if u["name"] == chosen)
    with st.form("accounts_edit", border=True):
        roles = st.multiselect(t("accounts_roles", lang), ROLES, default=user["roles"], key=f"acc_roles_{chosen}",
                               format_func=lambda r: t(f"role_{r}", lang))
        regions = st.text_input(t("accounts_regions", lang), value=",".join(user["regions"]),
                                key=f"acc_regions_{chosen}")
        if st.form_submit_button(t("accounts_set_roles", lang)):
            _act(lang, store.set_roles, chosen, roles, regions, by=actor)
            st.rerun()
    c1, c2 = st.columns(2)
    c1.button(t("accounts_enable" if user["disabled"] else "accounts_disable", lang), key="acc_toggle",
              on_click=lambda: _act(lang, store.set_disabled, chosen, not user["disabled"], by=auth.actor()))
    c2.button(t("accounts_reset", lang), key="acc_reset", on_click=lambda: _act(lang, _reset, lang, chosen))


accounts_page(**page_args())
