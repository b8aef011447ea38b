"""Password hashing (argon2id, argon2-cffi) and the complexity rules; plain passwords are never stored or logged."""
from __future__ import annotations

import secrets
import string

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from geo.errors import PasswordPolicyError

_HASHER = PasswordHasher()  # argon2id, RFC 9106 low-memory profile (argon2-cffi's default); stateless, thread-safe
_DUMMY_HASH = _HASHER.hash("not a password of anyone")  # verified against for unknown names: same time either way
CLASSES = (string.ascii_lowercase, string.ascii_uppercase, string.digits)  # plus "anything else" (symbols, 汉字)


def hash_password(password: str) -> str:
    """Return the argon2id hash (salt and parameters included) of a password."""
    return _HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Return whether a password matches a stored hash (a missing hash is checked against a dummy, then fails)."""
    try:
        ok = _HASHER.verify(password_hash or _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return False
    return ok and password_hash is not None


def needs_rehash(password_hash: str) -> bool:
    """Return whether a hash was made with weaker parameters than today's (rehash it at the next sign-in)."""
    return _HASHER.check_needs_rehash(password_hash)


def password_problems(password: str, *, name: str = "", min_length: int = 10) -> list[str]:
    """Return every complexity rule a password breaks (message keys of data/i18n: access_pw_*), [] when none."""
    problems = []
    if len(password) < min_length:
        problems.append("access_pw_short")
    kinds = sum(any(c in chars for c in password) for chars in CLASSES)
    kinds += any(not any(c in chars for chars in CLASSES) for c in password)
    if kinds < 3:
        problems.append("access_pw_classes")
    if name and name.lower() in password.lower():
        problems.append("access_pw_contains_name")
    if len(set(password)) < 5:
        problems.append("access_pw_repetitive")
    return problems


def check_password(password: str, *, name: str = "", min_length: int = 10) -> None:
    """Raise PasswordPolicyError listing every rule a new password breaks."""
    problems = password_problems(password, name=name, min_length=min_length)
    if problems:
        raise PasswordPolicyError(problems)


def generated_password(length: int = 16) -> str:
    """Return a random password that meets the rules (for resets: shown once, changed at the next sign-in)."""
    alphabet = string.ascii_letters + string.digits + "-_.!@#%"
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(length))
        if not password_problems(candidate, min_length=length):
            return candidate
