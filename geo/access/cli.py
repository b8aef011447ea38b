"""`python -m geo users add|list|disable|enable|reset|roles NAME`, and the sign-in of commands that write.

These commands act on the accounts store directly, as the operating-system user who can open it (the server's
operator): that is how the first administrator is created. Passwords come from the environment
(VALLEY_ATLAS_NEW_PASSWORD for a new one, VALLEY_ATLAS_PASSWORD to sign in) or a prompt; never from the command line,
where other users of the machine would see them in the process list.
"""
from __future__ import annotations

import csv
import getpass
import io
import json
import os
import sys

from geo.access.passwords import generated_password
from geo.access.rights import ROLES, Actor
from geo.errors import AccessDenied, AuthenticationError

WORKSPACE_HELP = ("the workspace whose accounts these are: a GeoPackage path (accounts in <name>.access.sqlite "
                  "beside it) or a postgresql:// URL (default: $VALLEY_ATLAS_WORKSPACE or the app's default)")



def csv_text(rows: list[dict]) -> str:
    """Return rows (dicts with the same keys) as CSV text with a header line (the command lines' --format csv)."""
    buffer = io.StringIO()
    if rows:
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return buffer.getvalue()

def add_parser(subparsers) -> None:
    """Add `users` to a `python -m geo` subparsers object."""
    users = subparsers.add_parser("users", help="accounts: add, list, disable, enable, reset, roles")
    commands = users.add_subparsers(dest="users_command", required=True)
    for name, text in (("add", "create an account (password from $VALLEY_ATLAS_NEW_PASSWORD or a prompt)"),
                       ("roles", "change an account's roles and regions"),
                       ("list", "list the accounts (no hashes)"),
                       ("disable", "disable an account (its sessions end at their next action)"),
                       ("enable", "enable a disabled account"),
                       ("reset", "set a temporary password that must be changed at sign-in; unlocks the account")):
        p = commands.add_parser(name, help=text)
        if name != "list":
            p.add_argument("name", help="account name (letters, digits, _ . @ -), e.g. zhang.san or an e-mail")
        if name in ("add", "roles"):
            p.add_argument("--role", action="append", required=True, choices=ROLES,
                           help="repeat for several roles; auditor goes with no other data role")
            p.add_argument("--regions", default="",
                           help="editor: seed ids or adcodes, comma-separated (510000: every county of Sichuan)")
        if name == "add":
            p.add_argument("--oidc", action="store_true", help="no password: signs in through the identity provider")
        if name == "reset":
            p.add_argument("--generate", action="store_true", help="generate the temporary password and print it")
        if name == "list":
            p.add_argument("--format", choices=["csv", "json"], default="csv")
        p.add_argument("--workspace", help=WORKSPACE_HELP)
        p.set_defaults(run=run_users)


def _store(args):
    from geo.workspace import Workspace

    return Workspace(args.workspace or None).access()


def new_password(*, confirm: bool = True) -> str:
    """Return a new password from $VALLEY_ATLAS_NEW_PASSWORD, or ask for it twice at a terminal."""
    env = os.environ.get("VALLEY_ATLAS_NEW_PASSWORD")
    if env:
        return env
    if not sys.stdin.isatty():
        raise ValueError("no password: set VALLEY_ATLAS_NEW_PASSWORD, or run at a terminal to be asked")
    first = getpass.getpass("new password: ")
    if confirm and getpass.getpass("again: ") != first:
        raise ValueError("the two passwords differ")
    return first


def run_users(args) -> str:
    store = _store(args)
    operator = Actor.local(roles=("administrator",))  # whoever can open the store on the server
    command = args.users_command
    if command == "list":
        rows = [{k: (",".join(v) if isinstance(v, list) else v) for k, v in user.items()} for user in store.users()]
        if args.format == "json":
            return json.dumps(rows, ensure_ascii=False, indent=2)
        return csv_text(rows)
    if command == "add":
        password = None if args.oidc else new_password()
        store.add_user(args.name, args.role, args.regions, password, by=operator)
        return f"account {args.name} added ({', '.join(args.role)})"
    if command == "roles":
        store.set_roles(args.name, args.role, args.regions, by=operator)
        return f"account {args.name}: {', '.join(args.role)}"
    if command in ("disable", "enable"):
        store.set_disabled(args.name, command == "disable", by=operator)
        return f"account {args.name} {command}d"
    password = generated_password() if args.generate else new_password()
    store.reset_password(args.name, password, by=operator)
    shown = f"; temporary password: {password}" if args.generate else ""
    return f"account {args.name} reset: the password must be changed at the next sign-in{shown}"


def command_actor(workspace, user: str | None) -> Actor | None:
    """Return who a writing command acts as: the account --user (password from $VALLEY_ATLAS_PASSWORD or a prompt),
    or None (the local system user) for a GeoPackage file that has no accounts yet.

    Refused: a PostgreSQL workspace without --user (a shared database is changed by accounts only), and a file whose
    workspace has accounts (once accounts exist, every change names one).
    """
    from geo.workspace import GeoPackageWorkspace

    store = workspace.access()
    if not user:
        if not isinstance(workspace, GeoPackageWorkspace):
            raise AccessDenied("a shared (PostgreSQL) workspace is changed by accounts only: give --user NAME "
                               "(password from VALLEY_ATLAS_PASSWORD or a prompt)", action="import")
        if store.has_accounts():
            raise AccessDenied("this workspace has accounts: give --user NAME (password from VALLEY_ATLAS_PASSWORD "
                               "or a prompt)", action="import")
        return None
    password = os.environ.get("VALLEY_ATLAS_PASSWORD")
    if password is None:
        if not sys.stdin.isatty():
            raise AuthenticationError("password", "no password: set VALLEY_ATLAS_PASSWORD or run at a terminal")
        password = getpass.getpass(f"password of {user}: ")
    actor = store.sign_in(user, password, channel="cli")
    if store.must_change_password(user):
        raise AuthenticationError("expired", f"{user} must change the password first (sign in to the app)")
    return actor
