"""Roles, actors and rights per region: who may browse, edit a region, manage accounts or read the audit log.

A grant is a 6-digit adcode and covers every division whose code starts with its prefix: a province (510000) covers
its prefectures and counties, a prefecture (511800) its counties, a county (513228) itself; 100000 (全国) covers all.
"""
from __future__ import annotations

import getpass
import re
from dataclasses import dataclass, field

from geo.errors import AccessDenied, AccountError

ROLES = ("viewer", "editor", "administrator", "auditor")
EXCLUSIVE = {("auditor", "administrator"), ("auditor", "editor")}  # separated duties (等保 2.0: 权限分离)
COUNTRY = "100000"  # grant of every region
ANONYMOUS = "anonymous"  # the actor of a session nobody signed in to


def grant_prefix(adcode: str) -> str:
    """Return the code prefix a grant covers: '51' for 510000, '5118' for 511800, '513228' for 513228, '' for 全国."""
    if adcode == COUNTRY:
        return ""
    if adcode.endswith("0000"):
        return adcode[:2]
    if adcode.endswith("00"):
        return adcode[:4]
    return adcode


def region_adcode(region: str) -> str:
    """Return the adcode of a workspace region key (a seed id such as 'heishui', or a 6-digit adcode)."""
    from geo.regions import load_registry

    for seed in load_registry().regions:
        if region in (seed.id, seed.adcode):
            return seed.adcode
    if re.fullmatch(r"\d{6}", str(region)):
        return str(region)
    raise AccountError(f"region {region!r} is neither a seed region id nor a 6-digit adcode")


def normalize_regions(codes) -> tuple[str, ...]:
    """Return grants as adcodes from seed ids or adcodes ('heishui,510000' -> ('513228', '510000'))."""
    if isinstance(codes, str):
        codes = [c for c in re.split(r"[,\s，]+", codes) if c]
    return tuple(dict.fromkeys(region_adcode(c.strip()) for c in codes or ()))


def check_roles(roles) -> frozenset[str]:
    """Return roles as a set; refuse unknown roles and combinations 等保 separates (auditor with editor or admin)."""
    chosen = frozenset(roles)
    unknown = sorted(chosen - set(ROLES))
    if unknown:
        raise AccountError(f"unknown role(s) {', '.join(unknown)}: choose from {', '.join(ROLES)}")
    if not chosen:
        raise AccountError(f"give at least one role: {', '.join(ROLES)}")
    for a, b in EXCLUSIVE:
        if a in chosen and b in chosen:
            raise AccountError(f"an account cannot be both {a} and {b} (separated duties): make two accounts")
    return chosen


@dataclass(frozen=True)
class Actor:
    """Who does something: a signed-in account, the local system user of a command line, or an anonymous visitor."""

    name: str
    roles: frozenset[str] = field(default_factory=frozenset)
    regions: tuple[str, ...] = ()  # grants (adcodes) of an editor
    kind: str = "account"  # account | local | anonymous

    @classmethod
    def anonymous(cls) -> Actor:
        return cls(ANONYMOUS, frozenset(), (), "anonymous")

    @classmethod
    def local(cls, roles=("editor",)) -> Actor:
        """Return the operating-system user of a process that can write the storage directly (a command line on the
        server, a script); an editor of every region by default, since it could open the file in QGIS anyway."""
        try:
            who = getpass.getuser()
        except Exception:  # no user name in a container without a passwd entry
            who = "unknown"
        return cls(f"local:{who}", frozenset(roles), (COUNTRY,), "local")

    @property
    def signed_in(self) -> bool:
        return self.kind != "anonymous"

    def has(self, role: str) -> bool:
        return role in self.roles

    def can_edit(self, region: str) -> bool:
        """Return whether this actor may change the workspace layers of a region (seed id or adcode)."""
        if "editor" not in self.roles:
            return False
        code = region_adcode(region)
        return any(code.startswith(grant_prefix(g)) for g in self.regions)

    def require_edit(self, region: str, action: str = "edit") -> None:
        """Raise AccessDenied unless this actor may change a region's layers."""
        if not self.can_edit(region):
            why = ("sign in with an editor account" if not self.signed_in else
                   "the account is not an editor" if "editor" not in self.roles else
                   f"the account edits {', '.join(self.regions) or 'no region'} only")
            raise AccessDenied(f"{self.name} may not {action} region {region}: {why}", user=self.name,
                               action=action, region=region)

    def require_role(self, role: str, action: str) -> None:
        """Raise AccessDenied unless this actor holds a role (administrator for accounts, auditor for the log)."""
        if role not in self.roles:
            raise AccessDenied(f"{self.name} may not {action}: only an {role} may", user=self.name, action=action)
