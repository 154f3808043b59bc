"""API tokens of the registry: shown once, stored as a hash, scoped, revocable, expiring.

A token reads ``syk_<id>_<secret>``. The id finds the row; only the sha256 of the secret is
kept, compared in constant time. A role (read < publish < admin) says what a token may do and
its scope (comma-separated globs over ``NAMESPACE/NAME``, such as ``team/*``) where.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from ..errors import NotFoundError, SkillyardError
from ..library.records import utc_now
from ..library.store import Store
from .cache import bump

ROLES = ("read", "publish", "admin")
PREFIX = "syk_"
_SCOPE_PART = re.compile(r"^[a-z0-9*?\[\]-]+(?:/[a-z0-9*?\[\]-]+)?$")
_TOKEN = re.compile(r"^syk_([0-9a-f]{12})_([A-Za-z0-9_-]{20,128})$")
_DURATION = re.compile(r"^(\d+)([hdw])$")
_DUMMY = hashlib.sha256(b"no such token").hexdigest()


class TokenError(SkillyardError):
    """A token option is malformed (role, scope, expiry)."""


class AuthError(SkillyardError):
    """A request's credentials are missing, wrong, expired or revoked (HTTP 401)."""


@dataclass(frozen=True, slots=True)
class Token:
    """A stored token, without its secret."""

    id: str
    name: str
    role: str
    scope: tuple[str, ...]
    created_at: str
    created_by: str
    expires_at: str | None = None
    revoked_at: str | None = None

    def allows(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)

    def covers(self, path: str) -> bool:
        """Whether ``NAMESPACE/NAME`` (or a namespace alone) is inside this token's scope."""
        return scope_covers(self.scope, path)

    @property
    def status(self) -> str:
        if self.revoked_at:
            return "revoked"
        if self.expires_at and self.expires_at <= utc_now():
            return "expired"
        return "active"

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "role": self.role,
                "scope": ",".join(self.scope), "created_at": self.created_at,
                "created_by": self.created_by, "expires_at": self.expires_at,
                "revoked_at": self.revoked_at, "status": self.status}


def scope_covers(scope: tuple[str, ...], path: str) -> bool:
    return any(fnmatchcase(path, glob) for glob in scope)


def parse_scope(text: str) -> tuple[str, ...]:
    parts = tuple(p.strip() for p in text.split(",") if p.strip())
    if not parts:
        raise TokenError("the scope is empty; give NAMESPACE/* (e.g. team/*) or *")
    for part in parts:
        if part != "*" and not _SCOPE_PART.match(part):
            raise TokenError(f"scope {part!r} is not NAMESPACE/NAME globs (e.g. team/*, "
                             "team/pdf-*, *)")
    return parts


def parse_expiry(text: str | None, now: dt.datetime | None = None) -> str | None:
    """``30d``, ``12h``, ``2w`` or an ISO date/time (UTC) into the stored form; None: never."""
    if text is None or text in ("", "never"):
        return None
    now = now or dt.datetime.now(dt.UTC)
    match = _DURATION.match(text)
    if match:
        amount, unit = int(match.group(1)), match.group(2)
        hours = {"h": 1, "d": 24, "w": 24 * 7}[unit] * amount
        when = now + dt.timedelta(hours=hours)
    else:
        try:
            when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise TokenError(f"expiry {text!r} is not 12h, 30d, 2w or an ISO date") from None
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        if when <= now:
            raise TokenError(f"expiry {text!r} is in the past")
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


class TokenStore:
    """The registry_tokens table of one library."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def create(self, *, role: str, scope: str, name: str = "", expires: str | None = None,
               created_by: str = "cli") -> tuple[Token, str]:
        """A new token and its secret text (shown once: only its hash is stored)."""
        if role not in ROLES:
            raise TokenError(f"role {role!r} is not one of {', '.join(ROLES)}")
        globs = parse_scope(scope)
        expires_at = parse_expiry(expires)
        token_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        token = Token(token_id, name or f"{role}-{token_id}", role, globs, utc_now(), created_by,
                      expires_at)
        self.store.execute(
            "INSERT INTO registry_tokens (id, name, secret_sha256, role, scope, created_at, "
            "created_by, expires_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)",
            (token.id, token.name, _hash(secret), role, ",".join(globs), token.created_at,
             created_by, expires_at))
        return token, f"{PREFIX}{token_id}_{secret}"

    def _row(self, token_id: str) -> tuple[Any, ...] | None:
        rows = self.store.query(
            "SELECT id, name, role, scope, created_at, created_by, expires_at, revoked_at, "
            "secret_sha256 FROM registry_tokens WHERE id = ?", (token_id,))
        return rows[0] if rows else None

    @staticmethod
    def _token(row: tuple[Any, ...]) -> Token:
        return Token(row[0], row[1], row[2], tuple(row[3].split(",")), row[4], row[5], row[6],
                     row[7])

    def verify(self, text: str) -> Token:
        """The active token for a secret text; AuthError (one message for every cause that
        would tell a guesser something) when it is unknown, wrong, revoked or expired."""
        match = _TOKEN.match(text.strip())
        row = self._row(match.group(1)) if match else None
        presented = _hash(match.group(2)) if match else _DUMMY
        stored = row[8] if row else _DUMMY
        if not (hmac.compare_digest(presented, stored) and row is not None):
            raise AuthError("invalid token")
        token = self._token(row)
        if token.status == "revoked":
            raise AuthError(f"token {token.id} was revoked")
        if token.status == "expired":
            raise AuthError(f"token {token.id} expired at {token.expires_at}")
        return token

    def get(self, token_id: str) -> Token:
        row = self._row(token_id)
        if row is None:
            raise NotFoundError(f"no token {token_id!r}")
        return self._token(row)

    def list(self) -> list[Token]:
        rows = self.store.query(
            "SELECT id, name, role, scope, created_at, created_by, expires_at, revoked_at, "
            "secret_sha256 FROM registry_tokens ORDER BY created_at, id")
        return [self._token(r) for r in rows]

    def revoke(self, token_id: str) -> Token:
        token = self.get(token_id)
        if token.revoked_at is None:
            self.store.execute("UPDATE registry_tokens SET revoked_at = ? WHERE id = ?",
                               (utc_now(), token_id))
            bump(self.store)  # server processes drop the tokens they verified (cache.py)
        return self.get(token_id)
