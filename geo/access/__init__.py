"""Access control, outside geo's maths and without streamlit: accounts, roles per region, sign-in, the audit log.

- rights: roles (viewer, editor, administrator, auditor), Actor, region grants by adcode prefix;
- passwords: argon2id hashing and the complexity rules;
- settings: anonymous browsing, lock-out, idle timeout, password age — from the environment;
- store: accounts and the append-only audit log in SQLite (beside a GeoPackage workspace) or PostgreSQL.
"""
from geo.access.rights import ROLES, Actor, grant_prefix, region_adcode
from geo.access.settings import AccessSettings
from geo.access.store import AccessStore, access_location, is_database_url

__all__ = ["ROLES", "AccessSettings", "AccessStore", "Actor", "access_location", "grant_prefix", "is_database_url",
           "region_adcode"]
