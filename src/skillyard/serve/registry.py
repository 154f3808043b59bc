"""The served set: a snapshot of the library's policy-allowed skills with their manifests.

Built once when the server starts: every skill is audited through the gate, blocked skills are
dropped (never listed, searched, activated or read), and each kept skill remembers its version,
digest, tier and file manifest. Every byte served later is read by digest from the library's
content-addressed store and re-hashed; a mismatch is refused, never served.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..api import Library
from ..audit.gate import TIER_NAMES, Decision, Gate, PolicyRefusal
from ..errors import AccessError, AmbiguousNameError, FindingError, NotFoundError, SkillyardError
from ..library.disclosure import DEFAULT_MAX_RESOURCE_BYTES, normalize_resource_path
from ..library.files import file_role, required_tier
from ..library.integrity import verify_current
from ..skill import NAME_RE, SKILL_FILE, Skill

SEP_MAX_RESOURCES = 512
SEP_MAX_BYTES = 16 * 1024 * 1024


class IntegrityError(FindingError):
    """Content read from the library does not match its recorded digest (refused)."""


@dataclass(frozen=True, slots=True)
class ServedFile:
    path: str
    size: int
    sha256: str
    kind: str = "file"
    stored: bool = True  # False when the library hashed the file but did not keep it

    @property
    def readable(self) -> bool:
        return self.kind == "file" and self.stored


@dataclass(slots=True)
class ServedSkill:
    id: str
    name: str
    description: str
    version: int
    digest: str
    tier: int
    verdict: str
    frontmatter: dict[str, Any]
    files: tuple[ServedFile, ...]
    skill_path: str = ""  # the <skill-path> of its skill:// URIs
    findings: int = 0
    signer: dict[str, str] | None = None  # the verified signer (docs/signing.md)
    _by_path: dict[str, ServedFile] = field(default_factory=dict, repr=False)

    def file(self, path: str) -> ServedFile | None:
        if not self._by_path:
            self._by_path = {f.path: f for f in self.files}
        return self._by_path.get(path)

    @property
    def uri(self) -> str:
        return self.file_uri(SKILL_FILE)

    def file_uri(self, path: str) -> str:
        return f"skill://{self.skill_path}/{path}"

    @property
    def sep_conformant(self) -> bool:
        """Can this skill be published as a SEP-2640 entry (name, frontmatter, limits)?"""
        front = self.frontmatter
        return (
            self.tier >= 1
            and bool(NAME_RE.match(self.name))
            and front.get("name") == self.name
            and isinstance(front.get("description"), str)
            and bool(front["description"].strip())
            and all(f.readable for f in self.files)
            and len(self.files) <= SEP_MAX_RESOURCES
            and sum(f.size for f in self.files) <= SEP_MAX_BYTES
        )

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id, "name": self.name, "description": self.description,
            "tier": self.tier, "verdict": self.verdict, "uri": self.uri,
            **({"signer": self.signer} if self.signer else {}),
        }


def _slug(name: str) -> str:
    text = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return text[:64] or "skill"


def _served(skill: Skill, version: int, decision: Decision) -> ServedSkill:
    files = tuple(
        ServedFile(
            f.path, f.size, f.sha256, f.kind,
            stored=not (f.note or "").startswith("oversize"),
        )
        for f in skill.files
    )
    return ServedSkill(
        id=skill.id, name=skill.name, description=skill.description, version=version,
        digest=skill.digest, tier=decision.tier, verdict=decision.verdict,
        frontmatter=dict(skill.frontmatter), files=files, findings=decision.findings,
        signer=getattr(decision, "signer", None),
    )


def _assign_paths(skills: list[ServedSkill]) -> None:
    """Give each skill a unique <skill-path> whose last segment is its name (slugged if needed)."""
    by_name: dict[str, list[ServedSkill]] = {}
    for skill in skills:
        by_name.setdefault(_slug(skill.name) if not NAME_RE.match(skill.name) else skill.name,
                           []).append(skill)
    for segment, group in by_name.items():
        if len(group) == 1:
            group[0].skill_path = segment
            continue
        for skill in group:
            prefix = hashlib.sha256(skill.id.encode("utf-8")).hexdigest()[:10]
            skill.skill_path = f"s{prefix}/{segment}"


class ServedLibrary:
    """Policy-gated, digest-verified access to a library for the MCP server.

    Thread-safe: the library's one SQLite connection is used under a lock and searches run at
    most one per core, so many HTTP clients can be served at once.
    """

    def __init__(
        self,
        library: Library,
        gate: Gate,
        *,
        max_resource_bytes: int = DEFAULT_MAX_RESOURCE_BYTES,
        progress: Callable[[int], None] | None = None,
        reranker: Any = None,
    ) -> None:
        self.library = library
        # what search_skills reranks with: None, a name ("body", "llm") or a Reranker
        self.reranker = reranker
        self.gate = gate
        self.max_resource_bytes = max_resource_bytes
        self._lock = threading.RLock()  # the library's one SQLite connection
        # The router only reads its memory-mapped index and runs the ONNX model, so searches
        # may overlap; at most one per core, so that concurrent clients do not oversubscribe.
        self._route_slots = threading.BoundedSemaphore(max(1, os.cpu_count() or 1))
        self._router_ready = False
        self.skills: dict[str, ServedSkill] = {}
        self.blocked: dict[str, Decision] = {}
        self._by_name: dict[str, list[str]] = {}
        self._by_path: dict[str, str] = {}
        self._load(progress)

    # -- building ------------------------------------------------------------------------
    def _load(self, progress: Callable[[int], None] | None) -> None:
        verify_current(self.library.store, action="serve refused")  # before anything is read
        decisions = self.gate.decide_library(progress)
        versions = {s.id: s.version for s in self.library.list()}
        kept: list[ServedSkill] = []
        for skill in self.library.store.iter_skills():
            decision = decisions.get(skill.id)
            if decision is None or decision.digest != skill.digest:
                decision = self.gate.decide(skill)  # changed while auditing: audit it again
            if decision.blocked:
                self.blocked[skill.id] = decision
            else:
                kept.append(_served(skill, versions.get(skill.id, 1), decision))
        _assign_paths(kept)
        for served in sorted(kept, key=lambda s: (s.name, s.id)):
            self.skills[served.id] = served
            self._by_name.setdefault(served.name, []).append(served.id)
            self._by_path[served.skill_path] = served.id

    # -- lookup --------------------------------------------------------------------------
    def resolve(self, ref: str) -> ServedSkill:
        """A served skill by id, name or skill:// URI; blocked and unknown skills are not found."""
        ref = ref.strip()
        if ref in self.skills:
            return self.skills[ref]
        if ref.startswith("skill://"):
            path = ref.removeprefix("skill://").removesuffix("/" + SKILL_FILE).rstrip("/")
            if path in self._by_path:
                return self.skills[self._by_path[path]]
        ids = self._by_name.get(ref, [])
        if len(ids) == 1:
            return self.skills[ids[0]]
        if ids:
            raise AmbiguousNameError(ref, ids)
        raise NotFoundError(f"no served skill named {ref!r}")

    def by_skill_path(self, path: str) -> ServedSkill | None:
        sid = self._by_path.get(path)
        return self.skills.get(sid) if sid else None

    def split_uri(self, uri: str) -> tuple[ServedSkill, str]:
        """Map ``skill://<skill-path>/<file>`` to (skill, file path); longest skill path wins."""
        if not uri.startswith("skill://"):
            raise NotFoundError(f"{uri!r} is not a skill:// URI")
        rest = uri.removeprefix("skill://")
        parts = rest.split("/")
        for cut in range(len(parts) - 1, 0, -1):
            skill = self.by_skill_path("/".join(parts[:cut]))
            if skill is not None:
                return skill, "/".join(parts[cut:])
        raise NotFoundError(f"no served skill at {uri}")

    # -- reading -------------------------------------------------------------------------
    def _verified_blob(self, skill: ServedSkill, entry: ServedFile) -> bytes:
        with self._lock:
            data = self.library.store.read_blob(entry.sha256)
        if len(data) != entry.size or hashlib.sha256(data).hexdigest() != entry.sha256:
            raise IntegrityError(
                f"{skill.name}/{entry.path}: content does not match its digest in the library; "
                "refused"
            )
        return data

    def check_file(self, skill: ServedSkill, path: str) -> ServedFile:
        """The manifest entry for a readable file, after the tier, traversal and size checks."""
        clean = normalize_resource_path(path)
        entry = skill.file(clean)
        if entry is None:
            raise NotFoundError(f"skill {skill.name!r} has no file {clean!r}")
        need = required_tier(clean)
        if skill.tier < need:
            raise PolicyRefusal(
                f"{clean!r} is a {file_role(clean)}; skill {skill.name!r} is tier {skill.tier} "
                f"({TIER_NAMES[skill.tier]}) and the policy requires tier {need} for it"
            )
        if entry.kind != "file":
            raise AccessError(f"{clean!r} is a {entry.kind} that is not followed; refused")
        if not entry.stored:
            raise AccessError(f"{clean!r} was too large to store; its content is not available")
        if entry.size > self.max_resource_bytes:
            raise AccessError(
                f"{clean!r} is {entry.size} bytes; the cap is {self.max_resource_bytes} bytes"
            )
        return entry

    def read_file(self, skill: ServedSkill, path: str) -> bytes:
        """Verified bytes of one file of a served skill (tier rules apply)."""
        return self._verified_blob(skill, self.check_file(skill, path))

    def load(self, skill: ServedSkill) -> Skill:
        """The audited version of a served skill, its SKILL.md verified against the manifest."""
        if skill.tier < 1:
            raise PolicyRefusal(
                f"skill {skill.name!r} is tier 0 (metadata only) under the policy; it is listed "
                "but cannot be activated"
            )
        with self._lock:
            loaded = self.library.store.get(skill.id, skill.version)
        if loaded.digest != skill.digest:
            raise IntegrityError(f"{skill.name}: stored version changed since it was audited")
        md = loaded.file(SKILL_FILE)
        if md is None or md.data is None or hashlib.sha256(md.data).hexdigest() != md.sha256:
            raise IntegrityError(f"{skill.name}/SKILL.md does not match its digest; refused")
        return loaded

    def warm(self) -> bool:
        """Open the router (and its model) now rather than on the first search."""
        try:
            self.route("warm up", 1)
        except SkillyardError:
            return False
        return True

    def route(self, query: str, k: int) -> tuple[list[tuple[ServedSkill, float]], bool]:
        """Route a query with the library's router, keeping only served skills.

        The router returns one hit per near-duplicate group; when its best member is not
        served (blocked), the first served alternative of the group stands in for it.
        Returns the hits and the router's abstention flag (no skill fits well).
        """
        route = getattr(self.library, "route", None)
        if not callable(route):
            raise SkillyardError(
                "search is unavailable: this skillyard has no router (Library.route)"
            )
        want = max(1, k)
        depth = min(want * 3 + 10, max(len(self.skills), want))
        options = {"reranker": self.reranker} if self.reranker is not None else {}
        if not self._router_ready:
            with self._lock:  # the first search may build the index, which uses the store
                raw = route(query, k=depth, **options)
                self._router_ready = True
        else:
            with self._route_slots:
                raw = route(query, k=depth, **options)
        out: list[tuple[ServedSkill, float]] = []
        taken: set[str] = set()
        for ids, score in _route_items(raw):
            served = next((self.skills[i] for i in ids if i in self.skills), None)
            if served is not None and served.id not in taken:
                taken.add(served.id)
                out.append((served, score))
            if len(out) >= want:
                break
        return out, bool(getattr(raw, "abstain", False))


def _route_items(raw: Any) -> list[tuple[list[str], float]]:
    """The router's hits as ([id, *alternatives], score), best first."""
    out: list[tuple[list[str], float]] = []
    for hit in getattr(raw, "results", raw) or []:
        sid = getattr(hit, "id", None)
        if isinstance(sid, str):
            alternatives = list(getattr(hit, "alternatives", []) or [])
            out.append(([sid, *alternatives], float(getattr(hit, "score", 0.0))))
    return out
