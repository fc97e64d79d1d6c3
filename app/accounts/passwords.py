"""Password hashing: Argon2id with the parameters in config (PASSWORD_ARGON2; OWASP's recommended 19 MiB, 2 passes,
1 lane by default). Hashes made before (Werkzeug scrypt) still verify, and are replaced at the next login."""

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from werkzeug.security import check_password_hash


def _hasher() -> PasswordHasher:
    return PasswordHasher(**current_app.config["PASSWORD_ARGON2"])


def hash_password(password: str) -> str:
    """A new Argon2id hash of the password."""
    return _hasher().hash(password)


def verify_password(stored: str, password: str) -> bool:
    """Whether the password matches the stored hash (Argon2id, or an older Werkzeug hash)."""
    if not stored.startswith("$argon2"):
        return check_password_hash(stored, password)
    try:
        return _hasher().verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """An older kind of hash, or Argon2id with other parameters than the configured ones."""
    return not stored.startswith("$argon2") or _hasher().check_needs_rehash(stored)


def burn_verification(password: str) -> None:
    """Verify the password against a hash of nothing, so a login for an unknown number costs what a real one does."""
    dummy = current_app.extensions.get("dummy_password_hash")
    if dummy is None:
        dummy = current_app.extensions["dummy_password_hash"] = hash_password(secrets.token_urlsafe(16))
    verify_password(dummy, password)
