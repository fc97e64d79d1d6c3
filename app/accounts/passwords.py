"""Password hashing: Argon2id with the parameters in config (PASSWORD_ARGON2: OWASP's 7 MiB, 5 passes, 1 lane by
default). Hashes made before (Werkzeug scrypt, or Argon2id with other settings) still verify, and are replaced at the
next login.

argon2-cffi makes the hashes and reads their parameters; libsodium (PyNaCl) checks them at login: the same Argon2id,
with the vector instructions the machine has, about an eighth less CPU a check than argon2-cffi's build (alternating,
same hash: 19.4 against 22.0 ms), the largest single cost of a guardian's sign-up journey."""

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from nacl.exceptions import InvalidkeyError
from nacl.pwhash import argon2id
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
    if stored.startswith("$argon2id$"):
        try:
            return argon2id.verify(stored.encode(), password.encode())
        except InvalidkeyError:  # a wrong password, or a stored hash that is not well formed
            return False
    try:  # argon2i or argon2d, should an imported account have one
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
