"""Sign-in through the office's identity provider (Streamlit's st.login, OIDC) in a real browser against
`streamlit run`, with a local stand-in provider (tests/oidc_standin.py): the account whose name is the token's e-mail
is signed in with its roles; an e-mail without an account is refused; the audit log records both."""
import secrets

import pytest
from conftest import ARTIFACTS, StreamlitServer, add_account
from oidc_standin import OidcStandIn

from geo.workspace import Workspace

pytestmark = pytest.mark.browser
CLIENT_ID, CLIENT_SECRET = "valley-atlas", secrets.token_urlsafe(24)
HEI = {"sub": "u-1001", "email": "hei@example.gov.cn", "name": "黑水 编辑", "email_verified": True}
STRANGER = {"sub": "u-2002", "email": "nobody@example.gov.cn", "name": "无 账户", "email_verified": True}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    path = tmp_path_factory.mktemp("oidc") / "workspace.gpkg"
    add_account(path, HEI["email"], ["editor"], ["heishui"], password=None)  # `users add NAME --oidc`: no password
    return path


@pytest.fixture(scope="module")
def idp():
    with OidcStandIn(CLIENT_ID, CLIENT_SECRET, lifetime=900) as provider:
        yield provider


@pytest.fixture(scope="module")
def server(workspace, idp, tmp_path_factory):
    secrets_file = tmp_path_factory.mktemp("secrets") / "secrets.toml"
    secrets_file.write_text(
        "[auth]\n"
        'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'  # Streamlit fills in its own server.port
        f'cookie_secret = "{secrets.token_hex(32)}"\n'
        f'client_id = "{CLIENT_ID}"\n'
        f'client_secret = "{CLIENT_SECRET}"\n'
        f'server_metadata_url = "{idp.metadata_url}"\n', encoding="utf-8")
    srv = StreamlitServer(env={"VALLEY_ATLAS_WORKSPACE": str(workspace)}, args=["--secrets.files", str(secrets_file)])
    yield srv
    srv.stop()


def sign_in_with_provider(page, server):
    """Open the app and click the identity provider's button in the sidebar (the sign-in expander opened first)."""
    page.goto(f"{server.url}/sources?region=heishui", wait_until="domcontentloaded")
    sidebar = page.locator("[data-testid=stSidebar]")
    sidebar.get_by_text("账户登录").wait_for(timeout=90_000)
    button = sidebar.get_by_role("button", name="使用单位统一身份认证登录")
    if not button.is_visible():
        sidebar.get_by_text("账户登录").click()
    button.click()
    return sidebar


def test_an_account_signs_in_through_the_identity_provider_and_out(server, browser, idp, workspace):
    idp.person = HEI
    page = browser.new_page(viewport={"width": 1400, "height": 1000})  # a new context: no cookies
    sidebar = sign_in_with_provider(page, server)
    sidebar.get_by_text("当前用户").wait_for(timeout=90_000)
    assert sidebar.get_by_text(f"当前用户：{HEI['email']}（编辑 · 513228）").count() == 1  # 黑水县's adcode
    assert sidebar.get_by_text("未登录").count() == 0
    assert sidebar.get_by_text("修改密码").count() == 0  # the provider's password, not one of ours
    page.screenshot(path=str(ARTIFACTS / "oidc_signed_in.png"), full_page=True)
    # the code flow went through the provider, and the app checked the token's signature with its keys
    assert [p for _, p in idp.log if p != "/.well-known/openid-configuration"][:3] == ["/authorize", "/token", "/jwks"]
    assert idp.issued[-1]["email"] == HEI["email"] and idp.issued[-1]["aud"] == CLIENT_ID
    assert idp.issued[-1]["nonce"]  # the app sent a nonce, and accepted the token only with it
    assert idp.pkce == ["S256"]  # the provider offers S256, so Streamlit proves the code with a verifier
    records = Workspace(workspace).access().audit(action="sign_in")
    assert [(r["user_name"], r["result"], r["detail"]) for r in records] == [(HEI["email"], "ok", "oidc:oidc")]

    sidebar.get_by_role("button", name="退出登录").click()  # also ends Streamlit's identity cookie (st.logout)
    sidebar.get_by_text("未登录").wait_for(timeout=90_000)
    page.reload(wait_until="domcontentloaded")  # a new session: the cookie is gone, not signed straight in again
    sidebar.get_by_text("账户登录").wait_for(timeout=90_000)
    page.wait_for_timeout(1500)
    assert sidebar.get_by_text("当前用户").count() == 0
    assert [(r["user_name"], r["result"]) for r in Workspace(workspace).access().audit(action="sign_out")] == [
        (HEI["email"], "ok")]
    page.close()


def test_an_email_without_an_account_is_refused(server, browser, idp, workspace):
    idp.person = STRANGER
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    sidebar = sign_in_with_provider(page, server)
    message = f"统一身份认证确认的身份 {STRANGER['email']} 在本系统没有账户"
    sidebar.get_by_text(message, exact=False).wait_for(timeout=90_000)
    assert sidebar.get_by_text("未登录").count() == 1 and sidebar.get_by_text("当前用户").count() == 0
    page.screenshot(path=str(ARTIFACTS / "oidc_refused.png"), full_page=True)
    refused = Workspace(workspace).access().audit(action="sign_in", result="refused")
    assert [(r["user_name"], r["result"], r["detail"]) for r in refused] == [
        ("(unknown)", "refused: no account", "oidc:oidc")]
    assert STRANGER["email"] not in refused[0]["object"]  # a name nobody has is kept as a fingerprint only
    assert Workspace(workspace).access().verify_chain() is None
    page.close()
