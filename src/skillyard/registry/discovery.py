"""The Agent Skills discovery index, v0.2.0 (``/.well-known/agent-skills/index.json``).

Format (the agentskills.io "Well-Known URI" page, from Cloudflare's discovery RFC): a
``$schema`` URI and a ``skills`` array; each entry has ``name``, ``type`` (``skill-md`` for a
skill that is one SKILL.md, ``archive`` for a skill with supporting files), ``description``,
``url`` (resolved against the index URL, RFC 3986) and ``digest`` (``sha256:<hex>`` of the
artifact's bytes), optionally ``version`` (a semantic version). An archive holds the skill
directory at its root (no wrapper folder).

Served at the root and per namespace (``/NS/.well-known/agent-skills/...``), with the access
rules of the v1 index (``api.well_known_routes``): only what the caller may read, blocked
versions left out, at the root one skill per name (the first namespace in sorted order).
Artifacts are built from the stored, digest-checked files: the SKILL.md digest is its stored
sha256 and the archive is the registry's reproducible ``pack`` (cached per version), so the
digest in the index is the digest of the bytes served.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..skill import SKILL_FILE, Skill, sha256_hex
from ..sources.skill_archive import pack
from .access import Access
from .http import (
    FailureLimiter,
    RateLimited,
    anonymous_off,
    cached_call,
    caller,
    error,
    error_response,
)
from .records import VersionRecord
from .service import Registry

SCHEMA = "https://schemas.agentskills.io/discovery/0.2.0/schema.json"
PREFIXES = ("/.well-known/agent-skills", "/{ns}/.well-known/agent-skills")
_NAME = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
_SEMVER = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?"
                     r"(?:\+[0-9A-Za-z.-]+)?")
_HEADERS = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}


def readable_by_name(registry: Registry, access: Access,
                     namespace: str | None) -> dict[str, VersionRecord]:
    """Name -> the current version the caller may read (blocked ones left out); without a
    namespace a name several namespaces share is the first namespace's in sorted order."""
    chosen: dict[str, VersionRecord] = {}
    for record in registry.list_skills(access):
        if namespace is not None and record.namespace != namespace:
            continue
        if record.name not in chosen and record.verdict != "block":
            chosen[record.name] = record
    return chosen


@dataclass(frozen=True)
class Artifact:
    """What one index entry points at."""

    type: str  # skill-md | archive
    url: str  # relative to the index
    sha256: str


def _files(skill: Skill) -> list[str]:
    return [f.path for f in skill.files if f.kind == "file"]


def artifact(registry: Registry, access: Access, record: VersionRecord) -> Artifact:
    """The artifact of a skill version: SKILL.md alone, or the root-level archive."""
    _, skill = registry.skill(access, record.path, record.label)
    if _files(skill) == [SKILL_FILE]:
        entry = skill.file(SKILL_FILE)
        assert entry is not None
        return Artifact("skill-md", f"{record.name}/{SKILL_FILE}", entry.sha256)
    return Artifact("archive", f"{record.name}.tar.gz",
                    archive(registry, access, record)[1])


def archive(registry: Registry, access: Access, record: VersionRecord) -> tuple[bytes, str]:
    """The skill directory as a reproducible .tar.gz with the files at its root, and its
    sha256; each file is read through ``read_file`` (checked against its digest)."""
    _, skill = registry.skill(access, record.path, record.label)

    def compute() -> tuple[bytes, str]:
        files = [(path, registry.read_file(access, record.path, record.label, path))
                 for path in _files(skill)]
        data = pack("", files)
        return data, sha256_hex(data)
    return registry.cache.get(("discovery-archive", record.skill_id, record.version), compute,
                              check=False)


def index(registry: Registry, access: Access, namespace: str | None) -> dict[str, Any]:
    """The v0.2.0 index document for what ``access`` may read (in ``namespace``)."""
    skills = []
    for name, record in readable_by_name(registry, access, namespace).items():
        _, skill = registry.skill(access, record.path, record.label)
        if not _NAME.fullmatch(name) or len(name) > 64 or not skill.description:
            continue  # the spec's name rules and a required description
        got = artifact(registry, access, record)
        entry: dict[str, Any] = {"name": name, "type": got.type,
                                 "description": skill.description, "url": got.url,
                                 "digest": f"sha256:{got.sha256}"}
        if _SEMVER.fullmatch(record.label):
            entry["version"] = record.label
        skills.append(entry)
    return {"$schema": SCHEMA, "skills": skills}


def discovery_routes(registry: Registry, limiter: FailureLimiter) -> list[Route]:
    """The index, each single-file skill's SKILL.md and each multi-file skill's archive, at
    the root and per namespace; GET and HEAD (Starlette answers HEAD for GET routes)."""

    async def access_of(request: Request) -> Access:
        access = await caller(registry, limiter, request)
        anonymous_off(registry, access)
        return access

    def refused(exc: Exception) -> Response:
        response = error_response(exc)
        if isinstance(exc, RateLimited):
            response.headers["Retry-After"] = str(exc.wait)
        return response

    async def index_json(request: Request) -> Response:
        try:
            access = await access_of(request)
            doc = await cached_call(registry, index, registry, access,
                                    request.path_params.get("ns"))
            return JSONResponse(doc, headers=_HEADERS)
        except Exception as exc:  # noqa: BLE001 - mapped to a JSON error by type
            return refused(exc)

    async def record_of(request: Request, access: Access) -> VersionRecord | None:
        chosen = await cached_call(registry, readable_by_name, registry, access,
                                   request.path_params.get("ns"))
        return chosen.get(request.path_params["name"])

    async def skill_md(request: Request) -> Response:
        try:
            access = await access_of(request)
            record = await record_of(request, access)
            if record is None:
                return error(404, f"no skill {request.path_params['name']!r} here")
            data = await cached_call(registry, _skill_md, registry, access, record)
            return Response(data, media_type="text/markdown; charset=utf-8",
                            headers={**_HEADERS, "ETag": f'"{sha256_hex(data)}"'})
        except Exception as exc:  # noqa: BLE001
            return refused(exc)

    async def package(request: Request) -> Response:
        try:
            access = await access_of(request)
            record = await record_of(request, access)
            if record is None:
                return error(404, f"no skill {request.path_params['name']!r} here")
            got = await cached_call(registry, artifact, registry, access, record)
            if got.type != "archive":
                return error(404, f"{record.name} is a single SKILL.md: fetch "
                                  f"{record.name}/{SKILL_FILE}")
            data, sha = await cached_call(registry, archive, registry, access, record)
            return Response(data, media_type="application/gzip", headers={
                **_HEADERS, "ETag": f'"{sha}"',
                "Content-Disposition": f'attachment; filename="{record.name}.tar.gz"'})
        except Exception as exc:  # noqa: BLE001
            return refused(exc)

    routes = []
    for prefix in PREFIXES:
        routes += [Route(prefix + "/index.json", index_json, methods=["GET"]),
                   Route(prefix + "/{name}.tar.gz", package, methods=["GET"]),
                   Route(prefix + "/{name}/" + SKILL_FILE, skill_md, methods=["GET"])]
    return routes


def _skill_md(registry: Registry, access: Access, record: VersionRecord) -> bytes:
    """SKILL.md of a version, from the read cache (keyed by its sha256) or the store."""
    _, skill = registry.skill(access, record.path, record.label)
    entry = skill.file(SKILL_FILE)
    if entry is None:  # a stored skill always has one; refuse rather than guess
        raise LookupError(f"{record.path}@{record.label} has no {SKILL_FILE}")
    return registry.cache.get(
        ("discovery-md", entry.sha256),
        lambda: registry.read_file(access, record.path, record.label, SKILL_FILE), check=False)
