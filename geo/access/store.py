"""Accounts and the audit log, in SQLite (a file beside a GeoPackage workspace) or in the PostgreSQL workspace database.

Only argon2 hashes are stored, never a password; the audit log is append-only: triggers raise on UPDATE, DELETE
(and TRUNCATE in PostgreSQL), and each record carries a SHA-256 chain over the one before, so a record altered or
removed outside the app (triggers dropped by a database owner) shows as a break in verify_chain().
"""
from __future__ import annotations

import hashlib
import os
import re
import sqlite3
import time
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from geo.access.passwords import check_password, hash_password, needs_rehash, verify_password
from geo.access.rights import ANONYMOUS, Actor, check_roles, normalize_regions
from geo.access.settings import AccessSettings
from geo.errors import AccessDenied, AccountError, AuthenticationError, PasswordPolicyError

NAME_PATTERN = r"[A-Za-z0-9_.@-]{2,64}"  # account names: ASCII, so that logs and shells never mangle them
USER_COLUMNS = ("name", "roles", "regions", "password_hash", "must_change", "disabled", "failed", "locked_until",
                "password_changed", "created", "last_sign_in")
AUDIT_COLUMNS = ("id", "time", "user_name", "action", "region", "object", "result", "detail", "chain")
UNKNOWN_USER = "(unknown)"  # failed sign-ins with a name nobody has: the name may be a mistyped password
_AUDIT_LOCK = 0x5641_4155  # PostgreSQL advisory lock of the audit chain ("VAAU")

_SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS va_users (name TEXT PRIMARY KEY, roles TEXT NOT NULL, regions TEXT NOT NULL,
    password_hash TEXT, must_change INTEGER NOT NULL DEFAULT 0, disabled INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0, locked_until REAL NOT NULL DEFAULT 0, password_changed REAL NOT NULL DEFAULT 0,
    created REAL NOT NULL, last_sign_in REAL);
CREATE TABLE IF NOT EXISTS va_audit (id INTEGER PRIMARY KEY AUTOINCREMENT, time TEXT NOT NULL, user_name TEXT NOT NULL,
    action TEXT NOT NULL, region TEXT NOT NULL DEFAULT '', object TEXT NOT NULL DEFAULT '',
    result TEXT NOT NULL, detail TEXT NOT NULL DEFAULT '', chain TEXT NOT NULL);
CREATE TRIGGER IF NOT EXISTS va_audit_no_update BEFORE UPDATE ON va_audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS va_audit_no_delete BEFORE DELETE ON va_audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"""
_POSTGRES_SCHEMA = """
CREATE TABLE IF NOT EXISTS va_users (name TEXT PRIMARY KEY, roles TEXT NOT NULL, regions TEXT NOT NULL,
    password_hash TEXT, must_change INTEGER NOT NULL DEFAULT 0, disabled INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0, locked_until DOUBLE PRECISION NOT NULL DEFAULT 0,
    password_changed DOUBLE PRECISION NOT NULL DEFAULT 0, created DOUBLE PRECISION NOT NULL,
    last_sign_in DOUBLE PRECISION);
CREATE TABLE IF NOT EXISTS va_audit (id BIGSERIAL PRIMARY KEY, time TEXT NOT NULL, user_name TEXT NOT NULL,
    action TEXT NOT NULL, region TEXT NOT NULL DEFAULT '', object TEXT NOT NULL DEFAULT '',
    result TEXT NOT NULL, detail TEXT NOT NULL DEFAULT '', chain TEXT NOT NULL);
CREATE OR REPLACE FUNCTION va_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS
    $$ BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$;
CREATE OR REPLACE TRIGGER va_audit_no_change BEFORE UPDATE OR DELETE ON va_audit
    FOR EACH ROW EXECUTE FUNCTION va_audit_append_only();
CREATE OR REPLACE TRIGGER va_audit_no_truncate BEFORE TRUNCATE ON va_audit
    FOR EACH STATEMENT EXECUTE FUNCTION va_audit_append_only();
"""


def is_database_url(location) -> bool:
    """Return whether a workspace location is a PostgreSQL URL rather than a file path."""
    return isinstance(location, str) and location.startswith(("postgresql://", "postgres://"))


def access_location(workspace_location) -> str | Path:
    """Return where a workspace's accounts and audit log live: $VALLEY_ATLAS_ACCESS_DB, else the PostgreSQL database
    of a PostgreSQL workspace, else `<name>.access.sqlite` beside a GeoPackage workspace (never inside it)."""
    env = os.environ.get("VALLEY_ATLAS_ACCESS_DB")
    if env:
        return env if is_database_url(env) else Path(env)
    if is_database_url(workspace_location):
        return workspace_location
    path = Path(workspace_location)
    return path.with_name(path.stem + ".access.sqlite")


def now_text() -> str:
    """Return the local time with its UTC offset, to the second (ISO 8601)."""
    return datetime.now().astimezone().isoformat(timespec="seconds")


def _chain(previous: str, record: tuple) -> str:
    return hashlib.sha256((previous + "\x1f" + "\x1f".join(map(str, record))).encode()).hexdigest()


class AccessStore:
    """Accounts (name, roles, region grants, argon2 hash, lock-out state) and the append-only audit log."""

    def __init__(self, location, settings: AccessSettings | None = None):
        self.location = location
        self.settings = settings or AccessSettings.from_env()
        self.postgres = is_database_url(location)
        self._ready = False

    # ------------------------------------------------------------------ connections
    @contextmanager
    def transaction(self, *, write: bool = True):
        """Yield a cursor in one transaction (committed on success, rolled back on error); writers are serialised."""
        if self.postgres:
            import psycopg

            with psycopg.connect(self.location) as con, con.cursor() as cur:
                self._ensure(cur)
                yield _Cursor(cur, postgres=True)
        else:
            path = Path(self.location)
            path.parent.mkdir(parents=True, exist_ok=True)
            new = not path.exists()
            con = sqlite3.connect(path, timeout=30, isolation_level=None)
            try:
                if new:
                    os.chmod(path, 0o600)  # hashes: readable by the app's user only
                con.execute("BEGIN IMMEDIATE" if write or not self._ready else "BEGIN")
                cur = con.cursor()
                self._ensure(cur)
                yield _Cursor(cur, postgres=False)
                con.execute("COMMIT")
            except BaseException:
                if con.in_transaction:
                    con.execute("ROLLBACK")
                raise
            finally:
                con.close()

    def _ensure(self, cur) -> None:
        if self._ready:
            return
        if self.postgres:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (_AUDIT_LOCK,))
            exists = cur.execute("SELECT to_regclass('va_audit') IS NOT NULL AND to_regclass('va_users') IS NOT NULL"
                                 ).fetchone()[0]
            if not exists:
                cur.execute(_POSTGRES_SCHEMA)
        else:
            for statement in _split(_SQLITE_SCHEMA):
                cur.execute(statement)
        self._ready = True

    # ------------------------------------------------------------------ audit
    def record(self, user: str, action: str, *, region: str = "", obj: str = "", result: str = "ok",
               detail: str = "", cursor=None) -> None:
        """Append one audit record (time now); with a cursor, inside that transaction (a PostgreSQL save's own)."""
        if cursor is not None:
            self._append(_Cursor(cursor, postgres=self.postgres), user, action, region, obj, result, detail)
            return
        with self.transaction() as cur:
            self._append(cur, user, action, region, obj, result, detail)

    def _append(self, cur, user, action, region, obj, result, detail) -> None:
        if cur.postgres:
            if not self._ready:
                self._ensure(cur.raw)
            cur.run("SELECT pg_advisory_xact_lock(?)", (_AUDIT_LOCK,))
        last = cur.run("SELECT chain FROM va_audit ORDER BY id DESC LIMIT 1")
        record = (now_text(), str(user), action, str(region or ""), str(obj or "")[:500], result, str(detail)[:1000])
        cur.run("INSERT INTO va_audit (time, user_name, action, region, object, result, detail, chain) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (*record, _chain(last[0][0] if last else "", record)))

    def audit(self, *, user: str = "", action: str = "", region: str = "", result: str = "", since: str = "",
              until: str = "", limit: int = 100_000) -> list[dict]:
        """Return audit records, oldest first, filtered by exact user/action/region, result prefix and time range."""
        where, params = [], []
        for column, value in (("user_name", user), ("action", action), ("region", region)):
            if value:
                where.append(f"{column} = ?")
                params.append(value)
        if result:
            where.append("result LIKE ?")
            params.append(result + "%")
        if since:
            where.append("time >= ?")
            params.append(since)
        if until:
            where.append("time <= ?")
            params.append(until)
        sql = (f"SELECT {', '.join(AUDIT_COLUMNS)} FROM va_audit" + (f" WHERE {' AND '.join(where)}" if where else "")
               + " ORDER BY id LIMIT ?")
        with self.transaction(write=False) as cur:
            rows = cur.run(sql, (*params, limit))
        return [dict(zip(AUDIT_COLUMNS, r)) for r in rows]

    def verify_chain(self) -> int | None:
        """Return the id of the first audit record whose chain does not match (altered or a record removed), or None."""
        previous = ""
        with self.transaction(write=False) as cur:
            rows = cur.run(f"SELECT {', '.join(AUDIT_COLUMNS)} FROM va_audit ORDER BY id")
        for row in rows:
            if _chain(previous, tuple(row[1:8])) != row[8]:
                return row[0]
            previous = row[8]
        return None

    # ------------------------------------------------------------------ accounts
    def users(self) -> list[dict]:
        """Return every account without its hash: name, roles, regions, disabled, locked, must_change, times."""
        with self.transaction(write=False) as cur:
            rows = cur.run(f"SELECT {', '.join(USER_COLUMNS)} FROM va_users ORDER BY name")
        now = time.time()
        out = []
        for row in rows:
            user = dict(zip(USER_COLUMNS, row))
            user.pop("password_hash")
            user["roles"] = user["roles"].split(",") if user["roles"] else []
            user["regions"] = user["regions"].split(",") if user["regions"] else []
            user["locked"] = user["locked_until"] > now
            user["disabled"] = bool(user["disabled"])
            user["must_change"] = bool(user["must_change"])
            out.append(user)
        return out

    def has_accounts(self) -> bool:
        """Return whether any account exists (until then the app says how to create the first administrator)."""
        with self.transaction(write=False) as cur:
            return bool(cur.run("SELECT count(*) FROM va_users")[0][0])

    def _user(self, cur, name: str) -> dict | None:
        rows = cur.run(f"SELECT {', '.join(USER_COLUMNS)} FROM va_users WHERE name = ?", (name,))
        return dict(zip(USER_COLUMNS, rows[0])) if rows else None

    def actor(self, name: str) -> Actor | None:
        """Return the actor of an enabled account as it is now (roles changed or account disabled: seen at once)."""
        with self.transaction(write=False) as cur:
            user = self._user(cur, name)
        if user is None or user["disabled"]:
            return None
        return _actor(user)

    def must_change_password(self, name: str) -> bool:
        """Return whether an account must set a new password (reset by an administrator, or older than allowed)."""
        with self.transaction(write=False) as cur:
            user = self._user(cur, name)
        if user is None:
            return False
        max_age = self.settings.password_max_age_days * 86400
        expired = bool(max_age) and user["password_hash"] is not None and time.time() - user["password_changed"] > max_age
        return bool(user["must_change"]) or expired

    def add_user(self, name: str, roles, regions=(), password: str | None = None, *, by: Actor,
                 must_change: bool = False) -> None:
        """Create an account (administrators only); password None makes an identity-provider-only account."""
        with self._refused(by, "account_add", name):
            by.require_role("administrator", "add accounts")
            if not re.fullmatch(NAME_PATTERN, name or ""):
                raise AccountError(f"account name {name!r}: use 2-64 letters, digits, '_', '.', '@' or '-'")
            chosen = check_roles(roles)
            grants = normalize_regions(regions)
            if "editor" in chosen and not grants:
                raise AccountError("an editor needs --regions (seed ids or adcodes, e.g. heishui or 510000)")
            if password is not None:
                check_password(password, name=name, min_length=self.settings.password_min_length)
        with self.transaction() as cur:
            if self._user(cur, name):
                self._append(cur, by.name, "account_add", "", name, "failed: exists", "")
                raise AccountError(f"account {name!r} exists: use reset, or choose another name")
            now = time.time()
            cur.run("INSERT INTO va_users (name, roles, regions, password_hash, must_change, disabled, failed, "
                    "locked_until, password_changed, created) VALUES (?, ?, ?, ?, ?, 0, 0, 0, ?, ?)",
                    (name, ",".join(sorted(chosen)), ",".join(grants),
                     hash_password(password) if password is not None else None, int(must_change), now, now))
            self._append(cur, by.name, "account_add", "", name, "ok",
                         f"roles={','.join(sorted(chosen))} regions={','.join(grants)}")

    def set_roles(self, name: str, roles, regions=(), *, by: Actor) -> None:
        """Change an account's roles and region grants (administrators only)."""
        with self._refused(by, "account_roles", name):
            by.require_role("administrator", "change accounts")
            chosen = check_roles(roles)
            grants = normalize_regions(regions)
        with self.transaction() as cur:
            self._existing(cur, name, by, "account_roles")
            if "administrator" not in chosen:
                self._keep_an_administrator(cur, name, by, "account_roles")
            cur.run("UPDATE va_users SET roles = ?, regions = ? WHERE name = ?",
                    (",".join(sorted(chosen)), ",".join(grants), name))
            self._append(cur, by.name, "account_roles", "", name, "ok",
                         f"roles={','.join(sorted(chosen))} regions={','.join(grants)}")

    def set_disabled(self, name: str, disabled: bool, *, by: Actor) -> None:
        """Disable (or enable) an account (administrators only); a disabled account's sessions end at their next run."""
        action = "account_disable" if disabled else "account_enable"
        with self._refused(by, action, name):
            by.require_role("administrator", "disable accounts")
        with self.transaction() as cur:
            self._existing(cur, name, by, action)
            if disabled:
                self._keep_an_administrator(cur, name, by, action)
            cur.run("UPDATE va_users SET disabled = ? WHERE name = ?", (int(disabled), name))
            self._append(cur, by.name, action, "", name, "ok", "")

    def reset_password(self, name: str, password: str, *, by: Actor) -> None:
        """Set a temporary password (administrators only), unlock the account; it must be changed at sign-in."""
        with self._refused(by, "account_reset", name):
            by.require_role("administrator", "reset passwords")
            check_password(password, name=name, min_length=self.settings.password_min_length)
        with self.transaction() as cur:
            self._existing(cur, name, by, "account_reset")
            cur.run("UPDATE va_users SET password_hash = ?, must_change = 1, failed = 0, locked_until = 0, "
                    "password_changed = ? WHERE name = ?", (hash_password(password), time.time(), name))
            self._append(cur, by.name, "account_reset", "", name, "ok", "")

    def change_password(self, name: str, old: str, new: str) -> None:
        """Change one's own password: the old one must match and the new one meet the rules and differ from it."""
        with self.transaction() as cur:
            user = self._user(cur, name)
            if user is None or user["disabled"] or not verify_password(user["password_hash"], old):
                self._append(cur, name, "password_change", "", name, "failed: wrong password", "")
                raise AuthenticationError("password", "the current password does not match")
        problems = []
        try:
            check_password(new, name=name, min_length=self.settings.password_min_length)
        except PasswordPolicyError as exc:
            problems = exc.problems
        if new == old:
            problems.append("access_pw_same")
        if problems:
            self.record(name, "password_change", obj=name, result="failed: " + ",".join(problems))
            raise PasswordPolicyError(problems)
        with self.transaction() as cur:
            cur.run("UPDATE va_users SET password_hash = ?, must_change = 0, password_changed = ? WHERE name = ?",
                    (hash_password(new), time.time(), name))
            self._append(cur, name, "password_change", "", name, "ok", "")

    def sign_in(self, name: str, password: str, *, channel: str = "web") -> Actor:
        """Check a name and password; return the actor or raise AuthenticationError (lock-out after N failures).

        Every attempt is audited: ok, failed (wrong password, unknown name), refused (locked, disabled).
        """
        settings = self.settings
        with self.transaction() as cur:
            user = self._user(cur, name)
            ok = verify_password(user["password_hash"] if user else None, password)  # same work for unknown names
            now = time.time()
            if user is None:
                self._append(cur, UNKNOWN_USER, "sign_in", "", _fingerprint(name), "failed: unknown name", channel)
                failure = AuthenticationError("unknown", "the name or the password is wrong")
            elif user["disabled"]:
                self._append(cur, name, "sign_in", "", name, "refused: disabled", channel)
                failure = AuthenticationError("disabled", f"account {name} is disabled: ask an administrator")
            elif user["locked_until"] > now:
                self._append(cur, name, "sign_in", "", name, "refused: locked", channel)
                failure = AuthenticationError("locked", f"account {name} is locked after {settings.max_failures} "
                                                        "failed sign-ins: wait, or ask an administrator for a reset")
            elif not ok:
                failed = user["failed"] + 1
                locked_until = now + settings.lockout_s if failed >= settings.max_failures else 0
                cur.run("UPDATE va_users SET failed = ?, locked_until = ? WHERE name = ?",
                        (0 if locked_until else failed, locked_until, name))
                self._append(cur, name, "sign_in", "", name, "failed: wrong password", channel)
                if locked_until:
                    self._append(cur, name, "account_lock", "", name, "ok",
                                 f"{settings.max_failures} failures; {settings.lockout_s} s")
                failure = AuthenticationError("password", "the name or the password is wrong")
            else:
                cur.run("UPDATE va_users SET failed = 0, locked_until = 0, last_sign_in = ? WHERE name = ?",
                        (now, name))
                if needs_rehash(user["password_hash"]):
                    cur.run("UPDATE va_users SET password_hash = ? WHERE name = ?", (hash_password(password), name))
                self._append(cur, name, "sign_in", "", name, "ok", channel)
                failure = None
        if failure is not None:
            raise failure
        return _actor(user)

    def identity_sign_in(self, name: str, *, provider: str) -> Actor:
        """Sign in an account that an identity provider (OIDC) authenticated; the account must exist and be enabled.

        Every attempt is audited: ok, or refused (no account, disabled). The refusal is raised after the transaction
        has committed, as in sign_in: raised inside it, the refusal's audit record would be rolled back with it.
        """
        with self.transaction() as cur:
            user = self._user(cur, name)
            if user is None or user["disabled"]:
                self._append(cur, name if user else UNKNOWN_USER, "sign_in", "", name if user else _fingerprint(name),
                             "refused: " + ("disabled" if user else "no account"), f"oidc:{provider}")
                failure = AuthenticationError("disabled" if user else "unknown",
                                              f"{name} has no enabled account here: ask an administrator to add it")
            else:
                cur.run("UPDATE va_users SET last_sign_in = ? WHERE name = ?", (time.time(), name))
                self._append(cur, name, "sign_in", "", name, "ok", f"oidc:{provider}")
                failure = None
        if failure is not None:
            raise failure
        return _actor(user)

    @contextmanager
    def _refused(self, by: Actor, action: str, name: str):
        """Record an account change refused before it started (no right, bad role, weak password), then re-raise."""
        try:
            yield
        except AccessDenied:
            self.record(by.name, action, obj=name, result="refused: no right")
            raise
        except (AccountError, PasswordPolicyError) as exc:
            self.record(by.name, action, obj=name, result=f"failed: {exc}"[:200])
            raise

    def _existing(self, cur, name, by, action) -> dict:
        user = self._user(cur, name)
        if user is None:
            self._append(cur, by.name, action, "", name, "failed: no such account", "")
            raise AccountError(f"no account {name!r}: `python -m geo users list` shows them")
        return user

    def _keep_an_administrator(self, cur, name, by, action) -> None:
        admins = [r[0] for r in cur.run("SELECT name, roles FROM va_users WHERE disabled = 0")
                  if "administrator" in r[1].split(",")]
        if admins == [name]:
            self._append(cur, by.name, action, "", name, "refused: last administrator", "")
            raise AccessDenied(f"{name} is the last enabled administrator: add another one first", user=by.name,
                               action=action)


def _fingerprint(name: str) -> str:
    """Return a short hash of a name nobody has (it may be a password typed in the wrong field: never stored)."""
    return "sha256:" + hashlib.sha256(name.encode()).hexdigest()[:12]


def _actor(user: dict) -> Actor:
    return Actor(user["name"], frozenset(filter(None, user["roles"].split(","))),
                 tuple(filter(None, user["regions"].split(","))), "account")


def _split(script: str) -> list[str]:
    """Split a SQLite schema into statements (a trigger's body holds a ';' of its own)."""
    statements, current = [], []
    for line in script.strip().splitlines():
        current.append(line)
        text = "\n".join(current).strip()
        if text.endswith(";") and (not text.upper().startswith("CREATE TRIGGER") or text.upper().endswith("END;")):
            statements.append(text)
            current = []
    return statements


class _Cursor:
    """A cursor that takes '?' placeholders on both databases and returns all rows."""

    def __init__(self, raw, *, postgres: bool):
        self.raw, self.postgres = raw, postgres

    def run(self, sql: str, params: tuple = ()) -> list[tuple]:
        if self.postgres:
            sql = sql.replace("?", "%s")
        self.raw.execute(sql, params)
        return self.raw.fetchall() if self.raw.description else []


__all__ = ["ANONYMOUS", "AccessStore", "access_location", "is_database_url"]
