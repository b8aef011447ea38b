"""Access settings, read from the environment (never from the workspace): anonymous browsing, lock-out, timeouts."""
from __future__ import annotations

import os
from dataclasses import dataclass


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{name}={value!r} is not a whole number; unset it for the default {default}") from None


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{name}={value!r} is not 1/0, true/false, yes/no or on/off")


@dataclass(frozen=True)
class AccessSettings:
    """What the deployment chose; every field has a documented environment variable (README, Deployment)."""

    anonymous_browsing: bool = True  # VALLEY_ATLAS_ANONYMOUS: browse the seed regions without signing in
    max_failures: int = 5  # VALLEY_ATLAS_LOCKOUT_ATTEMPTS: failed sign-ins in a row that lock an account
    lockout_s: int = 900  # VALLEY_ATLAS_LOCKOUT_SECONDS: how long a locked account stays locked
    idle_timeout_s: int = 1800  # VALLEY_ATLAS_IDLE_SECONDS: a session idle this long is signed out
    password_min_length: int = 10  # VALLEY_ATLAS_PASSWORD_MIN_LENGTH
    password_max_age_days: int = 90  # VALLEY_ATLAS_PASSWORD_MAX_DAYS: older passwords must be changed (0: never)

    @classmethod
    def from_env(cls) -> AccessSettings:
        """Return the settings from VALLEY_ATLAS_* environment variables (defaults where unset)."""
        return cls(
            anonymous_browsing=_flag("VALLEY_ATLAS_ANONYMOUS", cls.anonymous_browsing),
            max_failures=max(1, _int("VALLEY_ATLAS_LOCKOUT_ATTEMPTS", cls.max_failures)),
            lockout_s=max(1, _int("VALLEY_ATLAS_LOCKOUT_SECONDS", cls.lockout_s)),
            idle_timeout_s=max(1, _int("VALLEY_ATLAS_IDLE_SECONDS", cls.idle_timeout_s)),
            password_min_length=max(8, _int("VALLEY_ATLAS_PASSWORD_MIN_LENGTH", cls.password_min_length)),
            password_max_age_days=max(0, _int("VALLEY_ATLAS_PASSWORD_MAX_DAYS", cls.password_max_age_days)),
        )
