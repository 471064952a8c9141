"""Password hashes: noticing a stored hash made with an older method, to rehash it on login.

werkzeug writes hashes as ``method$salt$hash``, where the method spells out its
parameters (``scrypt:32768:8:1``, ``pbkdf2:sha256:1000000``). The configured
``PASSWORD_HASH_METHOD`` may be short (``scrypt``), so it is compared in the
spelled-out form werkzeug itself produces. No Flask, no database.
"""

from __future__ import annotations

from functools import lru_cache

from werkzeug.security import generate_password_hash


def hash_method(password_hash: str) -> str:
    """The method part of a werkzeug hash, parameters included."""
    return password_hash.split("$", 1)[0]


@lru_cache(maxsize=8)
def canonical_method(method: str) -> str:
    """``scrypt`` -> ``scrypt:32768:8:1``: hashes one throwaway value, once per process."""
    return hash_method(generate_password_hash("method-probe", method=method))


def needs_rehash(password_hash: str, method: str) -> bool:
    """Whether a stored hash was made with another method (or parameters) than configured."""
    return hash_method(password_hash) != canonical_method(method)
