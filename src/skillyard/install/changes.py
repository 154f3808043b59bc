"""What changed between two locked states of a skill (shown by ``update`` and ``add``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .lockfile import LockedSkill


@dataclass
class Change:
    name: str
    status: str  # added | updated | unchanged | refused | missing | removed
    old_ref: str | None = None
    new_ref: str | None = None
    old_commit: str | None = None
    new_commit: str | None = None
    files_added: list[str] = field(default_factory=list)
    files_removed: list[str] = field(default_factory=list)
    files_changed: list[str] = field(default_factory=list)
    old_audit: tuple[str, int] | None = None
    new_audit: tuple[str, int] | None = None
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "status": self.status}
        for key in ("old_ref", "new_ref", "old_commit", "new_commit"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.files_added or self.files_removed or self.files_changed:
            out["files"] = {"added": self.files_added, "removed": self.files_removed,
                            "changed": self.files_changed}
        if self.old_audit:
            out["old_audit"] = {"verdict": self.old_audit[0], "tier": self.old_audit[1]}
        if self.new_audit:
            out["audit"] = {"verdict": self.new_audit[0], "tier": self.new_audit[1]}
        if self.reason:
            out["reason"] = self.reason
        return out

    def lines(self) -> list[str]:
        """Human-readable summary lines (no markup)."""
        head = f"{self.name}: {self.status}"
        if self.status in ("added", "installed", "unchanged") and self.new_commit:
            head += f"  at {self.new_commit[:12]}" + (f" ({self.new_ref})" if self.new_ref else "")
        elif self.status in ("updated", "refused") and self.old_commit != self.new_commit:
            head += f"  {(self.old_commit or '-')[:12]} -> {(self.new_commit or '-')[:12]}"
        if self.status in ("updated", "refused") and self.old_ref != self.new_ref:
            head += f"  (ref {self.old_ref or 'default'} -> {self.new_ref or 'default'})"
        out = [head]
        out += [f"  + {p}" for p in self.files_added]
        out += [f"  - {p}" for p in self.files_removed]
        out += [f"  ~ {p}" for p in self.files_changed]
        if self.old_audit and self.new_audit and self.old_audit != self.new_audit:
            out.append(f"  audit {self.old_audit[0]}/tier {self.old_audit[1]} -> "
                       f"{self.new_audit[0]}/tier {self.new_audit[1]}")
        elif self.new_audit and self.status != "unchanged":
            out.append(f"  audit {self.new_audit[0]}, tier {self.new_audit[1]}")
        if self.reason:
            out.append(f"  {self.reason}")
        return out


def compare(name: str, old: LockedSkill | None, new: LockedSkill | None, status: str) -> Change:
    change = Change(name, status)
    if old is not None:
        change.old_ref, change.old_commit = old.source.ref, old.commit
        change.old_audit = (old.verdict, old.tier)
    if new is not None:
        change.new_ref, change.new_commit = new.source.ref, new.commit
        change.new_audit = (new.verdict, new.tier)
    if old is not None and new is not None:
        before = {f.path: f.sha256 for f in old.files}
        after = {f.path: f.sha256 for f in new.files}
        change.files_added = sorted(set(after) - set(before))
        change.files_removed = sorted(set(before) - set(after))
        change.files_changed = sorted(p for p in set(before) & set(after)
                                      if before[p] != after[p])
    elif new is not None:
        change.files_added = [f.path for f in new.files]
    return change
