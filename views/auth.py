"""Who is using this session: sign-in (password or the identity provider), idle timeout, sign-out, change password.

The session holds only the account name and when it last acted; roles, grants and whether the account is still
enabled are read from the accounts store on every run, so an administrator's change takes effect at the user's next
action. Every write is authorised again by the workspace itself (geo.workspace): hiding a button is never the check.
"""
from __future__ import annotations

import os
import time

import streamlit as st

from geo.access import AccessSettings, Actor
from geo.errors import AccessDenied, AuthenticationError, PasswordPolicyError
from geo.i18n import t
from views import cache

USER_KEY = "_va_user"  # session: the signed-in account's name
SEEN_KEY = "_va_seen"  # session: time.time() of its last run
FLASH_KEY = "_va_auth_flash"  # session: a message for the next run (signed out, timed out)
ACTOR_KEY = "_va_actor"  # session: the actor of this run, set by the sidebar before any page runs
VIA_OIDC_KEY = "_va_via_oidc"  # session: signed in through the identity provider (its password is not ours to change)


def settings() -> AccessSettings:
    return AccessSettings.from_env()


def store():
    """Return the accounts and audit store of the app's workspace."""
    return cache.workspace().access()


def oidc_provider() -> str | None:
    """Return the identity provider configured in Streamlit secrets ([auth]), '' for the unnamed one, or None."""
    try:
        auth = st.secrets.get("auth")
    except Exception:  # no secrets file at all
        return None
    if not auth:
        return None
    if "client_id" in auth:
        return ""
    named = [k for k, v in auth.items() if hasattr(v, "get") and "client_id" in v]
    return named[0] if named else None


def _oidc_name() -> str | None:
    """Return the account name the identity provider vouches for (the claim in VALLEY_ATLAS_OIDC_CLAIM, e-mail)."""
    if oidc_provider() is None or not getattr(st.user, "is_logged_in", False):
        return None
    value = st.user.get(os.environ.get("VALLEY_ATLAS_OIDC_CLAIM", "email"))
    return str(value) if value else None


def current_actor() -> Actor:
    """Return who this session acts as now (anonymous unless signed in); sign out an idle or disabled session."""
    state = st.session_state
    now = time.time()
    name = state.get(USER_KEY)
    if name is None:
        claimed = _oidc_name()
        if claimed and state.get("_va_oidc_refused") != claimed:
            try:
                store().identity_sign_in(claimed, provider=oidc_provider() or "oidc")
            except AuthenticationError as exc:
                state["_va_oidc_refused"] = claimed
                # the provider vouched for the name, so say which one has no account (not "name or password wrong")
                message = (t("access_oidc_unknown", _lang(), name=claimed) if exc.reason == "unknown"
                           else t(f"access_failed_{exc.reason}", _lang()))
                state[FLASH_KEY] = ("error", message)
                return Actor.anonymous()
            state[USER_KEY], state[SEEN_KEY], state[VIA_OIDC_KEY] = claimed, now, True
            name = claimed
        else:
            return Actor.anonymous()
    idle = now - state.get(SEEN_KEY, now)
    if idle > settings().idle_timeout_s:
        sign_out("timeout")
        state[FLASH_KEY] = ("warning", t("access_timed_out", _lang(), minutes=f"{settings().idle_timeout_s / 60:g}"))
        return Actor.anonymous()
    actor = store().actor(name)
    if actor is None:  # disabled (or removed) since this session signed in
        sign_out("disabled")
        return Actor.anonymous()
    state[SEEN_KEY] = now
    return actor


def actor() -> Actor:
    """Return the actor of this run (as the sidebar found it), anonymous when there is none."""
    found = st.session_state.get(ACTOR_KEY)
    return found if isinstance(found, Actor) else Actor.anonymous()


def sign_out(reason: str = "ok") -> None:
    """End the session's sign-in (recorded: ok, timeout or disabled); also at the identity provider's cookie."""
    name = st.session_state.pop(USER_KEY, None)
    st.session_state.pop(SEEN_KEY, None)
    st.session_state.pop(ACTOR_KEY, None)
    st.session_state.pop(VIA_OIDC_KEY, None)
    if name:
        store().record(name, "sign_out", obj=name, result="ok" if reason == "ok" else f"ok: {reason}")
    if oidc_provider() is not None and getattr(st.user, "is_logged_in", False):
        st.session_state["_va_oidc_refused"] = _oidc_name()  # not signed straight in again by the cookie
        st.logout()


def write(lang: str, save, *args, **kwargs) -> int | None:
    """Run one workspace write as the session's actor; return its version, or None when the workspace refused it
    (the server's check: nothing changed; the page says why and goes on)."""
    try:
        return save(*args, **kwargs, actor=actor())
    except AccessDenied as exc:
        st.error(t("access_denied", lang, reason=exc))
        return None


def record_export(region: str, what: str, year: int | None = None) -> None:
    """Record a download (a download button's on_click: runs when the user clicks it)."""
    store().record(actor().name, "export", region=region, obj=what + (f" {year}" if year else ""))


def _lang() -> str:
    from views.state import current_lang

    return current_lang()


def _sign_in(lang: str) -> None:
    """The sign-in form's callback: check the name and password (lock-out and audit in the store)."""
    name = st.session_state.get("signin_name", "").strip()
    password = st.session_state.get("signin_password", "")
    st.session_state["signin_password"] = ""  # never kept in the session after the attempt
    try:
        store().sign_in(name, password, channel="web")
    except AuthenticationError as exc:
        st.session_state[FLASH_KEY] = ("error", t(f"access_failed_{exc.reason}", lang))
        return
    st.session_state[USER_KEY], st.session_state[SEEN_KEY] = name, time.time()
    st.session_state.pop("_va_oidc_refused", None)


def sign_in_form(lang: str, *, key: str = "signin") -> None:
    """Show the sign-in form (name, password; the identity provider's button when configured)."""
    with st.form(key, clear_on_submit=False, border=True):
        st.text_input(t("access_name", lang), key="signin_name", autocomplete="username")
        st.text_input(t("access_password", lang), key="signin_password", type="password",
                      autocomplete="current-password")
        st.form_submit_button(t("access_sign_in_button", lang), on_click=_sign_in, args=(lang,))
    provider = oidc_provider()
    if provider is not None:
        st.button(t("access_sign_in_oidc", lang), key=f"{key}_oidc", on_click=st.login,
                  args=(provider,) if provider else ())


def _change_password(lang: str, name: str) -> None:
    state = st.session_state
    old, new, again = (state.get(k, "") for k in ("pw_old", "pw_new", "pw_again"))
    for k in ("pw_old", "pw_new", "pw_again"):
        state[k] = ""
    if new != again:
        state[FLASH_KEY] = ("error", t("access_passwords_differ", lang))
        return
    try:
        store().change_password(name, old, new)
    except AuthenticationError:
        state[FLASH_KEY] = ("error", t("access_failed_password", lang))
    except PasswordPolicyError as exc:
        state[FLASH_KEY] = ("error", "; ".join(t(p, lang) for p in exc.problems))
    else:
        state[FLASH_KEY] = ("success", t("access_password_changed", lang))


def change_password_form(lang: str, name: str) -> None:
    """Show the change-password form (current password, new one twice; the rules are checked by the store)."""
    with st.form("change_password", border=True):
        st.text_input(t("access_old_password", lang), key="pw_old", type="password", autocomplete="current-password")
        st.text_input(t("access_new_password", lang), key="pw_new", type="password", autocomplete="new-password")
        st.text_input(t("access_new_password_again", lang), key="pw_again", type="password",
                      autocomplete="new-password")
        st.form_submit_button(t("access_change_button", lang), on_click=_change_password, args=(lang, name))


def show_flash() -> None:
    flash = st.session_state.pop(FLASH_KEY, None)
    if flash:
        {"error": st.error, "warning": st.warning, "success": st.success}[flash[0]](flash[1])


def role_names(actor: Actor, lang: str) -> str:
    roles = [t(f"role_{r}", lang) for r in sorted(actor.roles)]
    return ", ".join(roles) + (f" · {', '.join(actor.regions)}" if actor.regions else "")


def account_sidebar(lang: str) -> Actor:
    """Draw the account part of the sidebar; stop the run where the session must sign in or change its password.

    Return the actor every page acts as.
    """
    actor = current_actor()
    via_oidc = bool(st.session_state.get(VIA_OIDC_KEY))  # the provider checked who it is: no password of ours asked
    must_change = actor.signed_in and not via_oidc and store().must_change_password(actor.name)
    with st.sidebar:
        st.divider()
        show_flash()
        if actor.signed_in:
            st.markdown(t("access_signed_in_as", lang, name=actor.name, roles=role_names(actor, lang)))
            st.button(t("access_sign_out", lang), key="sign_out", on_click=sign_out)
            if not must_change and not via_oidc:
                with st.expander(t("access_change_password", lang)):
                    change_password_form(lang, actor.name)
        else:
            st.caption(t("access_anonymous", lang))
            if not store().has_accounts():
                st.info(t("access_no_accounts", lang))
            else:
                with st.expander(t("access_sign_in", lang), expanded=not settings().anonymous_browsing):
                    sign_in_form(lang)
    st.session_state[ACTOR_KEY] = actor
    if must_change:
        st.warning(t("access_must_change", lang))
        change_password_form(lang, actor.name)
        st.stop()
    if not actor.signed_in and not settings().anonymous_browsing:
        st.info(t("access_sign_in_required", lang))
        st.stop()
    return actor
