"""GitHub App credentials: the App's RSA key, JWT verification, installation tokens.

Generating an RSA key takes a noticeable fraction of a second, so keys are made once per test
session and shared; every fake GitHub uses the same App key unless a test asks for another.
"""

from __future__ import annotations

import functools
import secrets
import string
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

# GitHub refuses App JWTs that live longer than this.
MAX_JWT_LIFETIME = 10 * 60
# ... and tolerates this much clock drift on `iat`.
CLOCK_DRIFT = 60
_TOKEN_ALPHABET = string.ascii_letters + string.digits


@dataclass(frozen=True, slots=True)
class AppKey:
    private_pem: str = field(repr=False)
    public_pem: str

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self.private_pem, algorithm="RS256")


@functools.cache
def session_key(name: str = "app") -> AppKey:
    """An RSA key pair made once per test session for each name."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return AppKey(private_pem, public_pem)


class JwtRejected(Exception):
    """GitHub refused the App JWT; the message is GitHub's."""


def _claim_int(claims: dict[str, Any], name: str) -> int | None:
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value)


def verify_app_jwt(token: str, key: AppKey, app_id: int, now: float) -> None:
    """Accept the JWT as GitHub does for App `app_id`, or raise JwtRejected with its message."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key.public_pem,
            algorithms=["RS256"],
            options={"verify_exp": False, "verify_iat": False, "verify_nbf": False},
        )
    except jwt.InvalidTokenError:
        raise JwtRejected("A JSON web token could not be decoded") from None
    issued_at = _claim_int(claims, "iat")
    expires_at = _claim_int(claims, "exp")
    if issued_at is None or issued_at > now + CLOCK_DRIFT:
        raise JwtRejected(
            "'Issued at' claim ('iat') must be an Integer representing the time that the "
            "assertion was issued"
        )
    if expires_at is None or expires_at <= now:
        raise JwtRejected(
            "'Expiration time' claim ('exp') must be a numeric value representing the future "
            "time at which the assertion expires"
        )
    if expires_at - issued_at > MAX_JWT_LIFETIME:
        raise JwtRejected("'Expiration time' claim ('exp') is too far in the future")
    if str(claims.get("iss")) != str(app_id):
        raise JwtRejected("'Issuer' claim ('iss') must be an Integer")


@dataclass(frozen=True, slots=True)
class InstallationToken:
    value: str = field(repr=False)
    installation_id: int
    expires_at: datetime
    permissions: dict[str, str]


def new_token_value() -> str:
    """A fresh installation token in GitHub's format (ghs_ and 36 characters)."""
    return "ghs_" + "".join(secrets.choice(_TOKEN_ALPHABET) for _ in range(36))
