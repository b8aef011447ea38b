"""Accounts, passwords, lock-out, rights per region, the users command line and the importing command's sign-in."""
import json
import time

import pytest

from geo.__main__ import main
from geo.access import AccessSettings, AccessStore, Actor, grant_prefix
from geo.access.passwords import password_problems
from geo.errors import AccessDenied, AccountError, AuthenticationError, PasswordPolicyError
from geo.workspace import Workspace

ADMIN = Actor("root-admin", frozenset({"administrator"}), (), "local")
GOOD = "Valley-Atlas-2026"  # 17 characters, four classes


@pytest.fixture
def store(tmp_path):
    return AccessStore(tmp_path / "ws.access.sqlite", AccessSettings(max_failures=3, lockout_s=2))


@pytest.mark.parametrize(("password", "problems"), [
    ("short1A!", ["access_pw_short"]),
    ("alllowercaseletters", ["access_pw_classes"]),
    ("zhangsan-Pass-2026", ["access_pw_contains_name"]),
    ("aaaaaaaaaaA1", ["access_pw_repetitive"]),
    ("Valley-Atlas-2026", []),
    ("沟域经济地图abc123XYZ", []),  # 汉字 count as a fourth class
])
def test_password_rules(password, problems):
    assert password_problems(password, name="zhangsan") == problems


def test_only_an_argon2_hash_is_stored(store, tmp_path):
    store.add_user("zhangsan", ["viewer"], password=GOOD, by=ADMIN)
    raw = (tmp_path / "ws.access.sqlite").read_bytes()
    assert GOOD.encode() not in raw and b"$argon2id$" in raw
    assert oct((tmp_path / "ws.access.sqlite").stat().st_mode & 0o777) == "0o600"
    assert "password_hash" not in store.users()[0]


def test_sign_in_lock_out_after_n_failures_and_unlock_after_the_wait(store):
    store.add_user("zhangsan", ["viewer"], password=GOOD, by=ADMIN)
    for _ in range(3):
        with pytest.raises(AuthenticationError) as failed:
            store.sign_in("zhangsan", "Wrong-Password-1")
        assert failed.value.reason == "password"
    with pytest.raises(AuthenticationError, match="locked after 3 failed") as locked:
        store.sign_in("zhangsan", GOOD)  # the right password, but locked
    assert locked.value.reason == "locked" and store.users()[0]["locked"]
    time.sleep(2.1)
    assert store.sign_in("zhangsan", GOOD).name == "zhangsan"
    results = [(r["action"], r["result"]) for r in store.audit(user="zhangsan")]
    assert results == [("sign_in", "failed: wrong password")] * 3 + [
        ("account_lock", "ok"), ("sign_in", "refused: locked"), ("sign_in", "ok")]


def test_an_unknown_name_is_not_stored_in_the_audit_log(store):
    with pytest.raises(AuthenticationError):
        store.sign_in("Secret-Password-Typed-Here", "x")
    record = store.audit()[-1]
    assert record["user_name"] == "(unknown)" and "Secret" not in json.dumps(record)


def test_an_identity_provider_sign_in_is_audited_ok_and_refused(store):
    """OIDC: the account named by the provider's claim signs in without a password; no account or a disabled one is
    refused, and the refusal stays in the audit log (it is raised after the transaction, not rolled back with it)."""
    store.add_user("li@example.gov.cn", ["viewer"], by=ADMIN)  # `users add NAME --oidc`: no password
    for password in ("", GOOD):  # which no password opens
        with pytest.raises(AuthenticationError):
            store.sign_in("li@example.gov.cn", password)
    assert store.identity_sign_in("li@example.gov.cn", provider="office").name == "li@example.gov.cn"
    with pytest.raises(AuthenticationError) as unknown:
        store.identity_sign_in("nobody@example.gov.cn", provider="office")
    store.set_disabled("li@example.gov.cn", True, by=ADMIN)
    with pytest.raises(AuthenticationError) as disabled:
        store.identity_sign_in("li@example.gov.cn", provider="office")
    assert (unknown.value.reason, disabled.value.reason) == ("unknown", "disabled")
    assert [(r["user_name"], r["result"], r["detail"]) for r in store.audit(action="sign_in")][2:] == [
        ("li@example.gov.cn", "ok", "oidc:office"), ("(unknown)", "refused: no account", "oidc:office"),
        ("li@example.gov.cn", "refused: disabled", "oidc:office")]
    assert "nobody" not in json.dumps(store.audit())


def test_change_password_and_a_reset_must_be_changed(store):
    store.add_user("zhangsan", ["viewer"], password=GOOD, by=ADMIN)
    with pytest.raises(PasswordPolicyError) as weak:
        store.change_password("zhangsan", GOOD, "short")
    assert "access_pw_short" in weak.value.problems
    with pytest.raises(PasswordPolicyError, match="access_pw_same"):
        store.change_password("zhangsan", GOOD, GOOD)
    with pytest.raises(AuthenticationError):
        store.change_password("zhangsan", "Not-The-Old-1", "Another-Good-2026")
    store.change_password("zhangsan", GOOD, "Another-Good-2026")
    assert store.sign_in("zhangsan", "Another-Good-2026")
    store.reset_password("zhangsan", "Temporary-Pass-99", by=ADMIN)
    assert store.must_change_password("zhangsan")


def test_a_password_older_than_allowed_must_be_changed(tmp_path):
    store = AccessStore(tmp_path / "a.sqlite", AccessSettings(password_max_age_days=1))
    store.add_user("zhangsan", ["viewer"], password=GOOD, by=ADMIN)
    assert not store.must_change_password("zhangsan")
    with store.transaction() as cur:
        cur.run("UPDATE va_users SET password_changed = ?", (time.time() - 2 * 86400,))
    assert store.must_change_password("zhangsan")


def test_accounts_are_managed_by_administrators_only(store):
    store.add_user("zhangsan", ["editor"], "heishui", password=GOOD, by=ADMIN)
    editor = store.actor("zhangsan")
    auditor = Actor("shen", frozenset({"auditor"}))
    for who in (editor, auditor, Actor.anonymous()):
        with pytest.raises(AccessDenied, match="only an administrator"):
            store.add_user("lisi", ["viewer"], password=GOOD, by=who)
        with pytest.raises(AccessDenied):
            store.set_disabled("zhangsan", True, by=who)
    with pytest.raises(AccountError, match="both auditor and administrator"):
        store.add_user("lisi", ["auditor", "administrator"], password=GOOD, by=ADMIN)
    with pytest.raises(AccountError, match="needs --regions"):
        store.add_user("lisi", ["editor"], password=GOOD, by=ADMIN)
    store.set_disabled("zhangsan", True, by=ADMIN)
    assert store.actor("zhangsan") is None  # a disabled account's session ends at its next run
    with pytest.raises(AuthenticationError, match="disabled"):
        store.sign_in("zhangsan", GOOD)


def test_the_last_administrator_cannot_be_disabled(store):
    store.add_user("boss", ["administrator"], password=GOOD, by=ADMIN)
    with pytest.raises(AccessDenied, match="last enabled administrator"):
        store.set_disabled("boss", True, by=ADMIN)


@pytest.mark.parametrize(("grant", "region", "allowed"), [
    ("513228", "heishui", True), ("513228", "yaan", False), ("511800", "511802", True), ("511800", "yaan", True),
    ("511802", "yaan", False), ("510000", "513228", True), ("510000", "520000", False), ("100000", "guizhou", True),
    ("520000", "100000", False),
])
def test_a_grant_covers_the_divisions_under_its_code(grant, region, allowed):
    editor = Actor("e", frozenset({"editor"}), (grant,))
    assert editor.can_edit(region) is allowed
    assert not Actor("v", frozenset({"viewer"}), (grant,)).can_edit(region)
    assert grant_prefix("100000") == ""


def test_the_users_command_line(tmp_path, monkeypatch, capsys):
    ws = str(tmp_path / "ws.gpkg")
    monkeypatch.setenv("VALLEY_ATLAS_NEW_PASSWORD", GOOD)
    assert main(["users", "add", "boss", "--role", "administrator", "--workspace", ws]) == 0
    assert main(["users", "add", "hei", "--role", "editor", "--regions", "heishui", "--workspace", ws]) == 0
    assert main(["users", "add", "zhangsan", "--role", "auditor", "--role", "editor", "--workspace", ws]) == 2
    assert "separated duties" in capsys.readouterr().err
    monkeypatch.setenv("VALLEY_ATLAS_NEW_PASSWORD", "weak")
    assert main(["users", "add", "weakling", "--role", "viewer", "--workspace", ws]) == 2
    assert "access_pw_short" in capsys.readouterr().err
    assert main(["users", "disable", "hei", "--workspace", ws]) == 0
    assert main(["users", "reset", "hei", "--generate", "--workspace", ws]) == 0
    assert "temporary password: " in capsys.readouterr().out
    assert main(["users", "list", "--format", "json", "--workspace", ws]) == 0
    listed = {u["name"]: u for u in json.loads(capsys.readouterr().out)}
    assert listed["hei"]["regions"] == "513228" and listed["hei"]["disabled"] and listed["hei"]["must_change"]
    assert "password_hash" not in listed["boss"]
    results = [(r["action"], r["result"].split(":")[0]) for r in Workspace(ws).access().audit()]
    assert results == [("account_add", "ok"), ("account_add", "ok"), ("account_add", "failed"),
                       ("account_add", "failed"), ("account_disable", "ok"), ("account_reset", "ok")]


VILLAGES = "村名,经度,纬度,贫困村,2014\n用户村甲,102.99,32.07,是,120\n"


def test_the_import_command_signs_in_once_accounts_exist(tmp_path, monkeypatch, capsys):
    ws = str(tmp_path / "ws.gpkg")
    csv_file = tmp_path / "v.csv"
    csv_file.write_text(VILLAGES, encoding="utf-8")
    store = Workspace(ws).access()
    store.add_user("hei", ["editor"], "heishui", password=GOOD, by=ADMIN)
    store.add_user("ya", ["editor"], "yaan", password=GOOD, by=ADMIN)
    store.add_user("vera", ["viewer"], password=GOOD, by=ADMIN)
    args = ["import", "villages", str(csv_file), "--region", "heishui", "--workspace", ws]
    assert main(args) == 2 and "this workspace has accounts: give --user" in capsys.readouterr().err
    monkeypatch.setenv("VALLEY_ATLAS_PASSWORD", GOOD)
    assert main([*args, "--user", "vera"]) == 2 and "vera may not import region heishui" in capsys.readouterr().err
    assert main([*args, "--user", "ya"]) == 2 and "ya may not import region heishui" in capsys.readouterr().err
    monkeypatch.setenv("VALLEY_ATLAS_PASSWORD", "Wrong-Password-1")
    assert main([*args, "--user", "hei"]) == 2 and "wrong" in capsys.readouterr().err
    monkeypatch.setenv("VALLEY_ATLAS_PASSWORD", GOOD)
    assert main([*args, "--user", "hei"]) == 0
    assert Workspace(ws).history()[-1]["actor"] == "hei"
    assert len(Workspace(ws).read("villages", "heishui")) == 1


def test_the_import_command_needs_an_account_for_a_shared_database(tmp_path, postgres, capsys):
    csv_file = tmp_path / "v.csv"
    csv_file.write_text(VILLAGES, encoding="utf-8")
    url = postgres.new_database()
    assert main(["import", "villages", str(csv_file), "--region", "heishui", "--workspace", url]) == 2
    assert "a shared (PostgreSQL) workspace is changed by accounts only" in capsys.readouterr().err
    assert Workspace(url).read("villages") is None
