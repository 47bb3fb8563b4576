"""Client secrets: made once, shown once, stored as a SHA-256 only.

A token reads `kk_<key id>_<secret>`: the key id (public, 12 hex characters) finds the client in
one indexed look-up, and the secret (43 URL-safe characters, 256 random bits) is compared with
its stored hash in constant time. A random 256-bit secret cannot be guessed, so a fast hash is
enough; password stretching would only slow down every call.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from .constants import SECRET_PREFIX


@dataclass(frozen=True)
class NewSecret:
    key_id: str
    secret: str
    token: str  # what the client sends: shown once, never stored

    @property
    def secret_hash(self) -> str:
        return hash_secret(self.secret)


def new_secret() -> NewSecret:
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    return NewSecret(key_id=key_id, secret=secret, token=f"{SECRET_PREFIX}{key_id}_{secret}")


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def split_token(token: str) -> tuple[str, str] | None:
    """(key id, secret) of a well-formed token, else None."""
    if not token.startswith(SECRET_PREFIX) or len(token) > 200:
        return None
    key_id, _, secret = token[len(SECRET_PREFIX) :].partition("_")
    if len(key_id) != 12 or not secret:
        return None
    return key_id, secret


def secret_matches(secret: str, secret_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), secret_hash)
