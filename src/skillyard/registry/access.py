"""Who is calling and what they may do; the registry's error types with their HTTP status."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import SkillyardError
from .tokens import ROLES, Token, scope_covers

NAMESPACE_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class RegistryError(SkillyardError):
    """A request the registry refuses; ``status`` is its HTTP status code."""

    status = 400


class ForbiddenError(RegistryError):
    status = 403


class ConflictError(RegistryError):
    status = 409


class BlockedError(RegistryError):
    """The audit blocks the upload; carries the findings so the publisher sees why."""

    status = 422

    def __init__(self, message: str, report: dict[str, object]) -> None:
        super().__init__(message)
        self.report = report


@dataclass(frozen=True)
class Access:
    """A caller: a verified token, or anonymous with the registry's public scope (which is
    empty unless the server was started with --anonymous-read)."""

    token: Token | None
    anonymous_scope: tuple[str, ...] = ()

    @property
    def actor(self) -> str:
        return f"{self.token.name} ({self.token.id})" if self.token else "anonymous"

    @property
    def publisher(self) -> str:
        return self.token.name if self.token else "anonymous"

    def can_read(self, path: str) -> bool:
        if self.token is not None and self.token.covers(path):
            return True
        return scope_covers(self.anonymous_scope, path)

    def need(self, role: str, path: str = "*") -> None:
        """Raise unless this caller has ``role`` over ``path`` (NAMESPACE/NAME)."""
        if role == "read" and self.can_read(path):
            return
        if self.token is None:
            raise ForbiddenError(f"{role} access to {path} needs a token; sign in or send "
                                 "Authorization: Bearer TOKEN")
        if ROLES.index(self.token.role) < ROLES.index(role):
            raise ForbiddenError(f"token {self.token.id} has role {self.token.role}; "
                                 f"this needs {role}")
        if path != "*" and not self.token.covers(path):
            raise ForbiddenError(f"token {self.token.id} (scope {','.join(self.token.scope)}) "
                                 f"does not cover {path}")


def split_path(path: str) -> tuple[str, str]:
    """``NAMESPACE/NAME`` into its parts, checked (lowercase letters, digits, hyphens)."""
    parts = path.strip("/").split("/")
    if len(parts) != 2 or not all(NAMESPACE_RE.match(p) and len(p) <= 64 for p in parts):
        raise RegistryError(f"{path!r} is not NAMESPACE/NAME (lowercase letters, digits and "
                            "hyphens, e.g. team/pdf-tools)")
    return parts[0], parts[1]
