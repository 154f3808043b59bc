"""The versioned JSON API (``/api/v1``) and the well-known skills index, over ``Registry``."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .._version import __version__
from ..sources.skill_archive import UploadError
from ..utf8 import NOT_TEXT, not_text_at
from .access import Access, RegistryError
from .discovery import discovery_routes, readable_by_name
from .http import (
    FailureLimiter,
    RateLimited,
    anonymous_off,
    cached_call,
    caller,
    error,
    error_response,
)
from .openapi import openapi
from .service import Registry

Handler = Callable[[Request, Access], Awaitable[Response]]


def _path(request: Request) -> str:
    return f"{request.path_params['ns']}/{request.path_params['name']}"


async def _json_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if len(raw) > 64 * 1024:
        raise RegistryError("the JSON body is too large")
    try:
        data = json.loads(raw or b"{}")
    except ValueError:
        raise RegistryError("the body is not JSON") from None
    if not isinstance(data, dict):
        raise RegistryError("the body must be a JSON object")
    bad = not_text_at(data)
    if bad is not None:
        raise RegistryError(f"the body's {bad} {NOT_TEXT}")
    return data


async def read_limited(request: Request, limit: int) -> bytes:
    """The request body, refused (413) past ``limit`` bytes without reading the rest."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise UploadError(f"upload is {declared} bytes; the limit is {limit}", 413)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise UploadError(f"upload is over the limit of {limit} bytes", 413)
        chunks.append(chunk)
    return b"".join(chunks)


def api_routes(registry: Registry, limiter: FailureLimiter) -> list[Route]:
    """Every API route; each authenticates, then calls one Registry method in a thread."""

    def endpoint(handler: Handler, public: bool = False) -> Callable[[Request],
                                                                      Awaitable[Response]]:
        async def run(request: Request) -> Response:
            try:
                access = await caller(registry, limiter, request)
                if not public:
                    anonymous_off(registry, access)
                return await handler(request, access)
            except RateLimited as exc:
                response = error_response(exc)
                response.headers["Retry-After"] = str(exc.wait)
                return response
            except Exception as exc:  # noqa: BLE001 - mapped to a JSON error by type
                return error_response(exc)
        return run

    def call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Awaitable[Any]:
        return run_in_threadpool(fn, *args, **kwargs)

    def read(fn: Callable[..., Any], *args: Any) -> Awaitable[Any]:
        """A read served from the caches on the event loop when it can be (cached_call)."""
        return cached_call(registry, fn, *args)

    async def info(request: Request, access: Access) -> Response:
        return JSONResponse({
            "registry": "skillyard", "version": __version__, "api": "v1",
            "openapi": "/api/v1/openapi.json", "max_upload": registry.limits.max_upload,
            "anonymous_read": list(registry.anonymous_read),
            "caller": access.token.to_dict() if access.token else None,
        })

    async def spec(request: Request, access: Access) -> Response:
        return JSONResponse(openapi(__version__))

    async def search(request: Request, access: Access) -> Response:
        query = request.query_params.get("q", "")
        try:
            k = int(request.query_params.get("k", "10"))
        except ValueError:
            raise RegistryError("k must be a whole number") from None
        return JSONResponse(await read(registry.search, access, query, k))

    async def list_skills(request: Request, access: Access) -> Response:
        found = await read(registry.list_skills, access)
        return JSONResponse({"skills": [r.to_dict() for r in found]})

    async def get_skill(request: Request, access: Access) -> Response:
        ref = request.path_params.get("ref") or request.query_params.get("version")
        return JSONResponse(await read(registry.describe, access, _path(request), ref))

    async def list_versions(request: Request, access: Access) -> Response:
        found = await read(registry.versions, access, _path(request))
        return JSONResponse({"versions": [r.to_dict() for r in found]})

    async def get_file(request: Request, access: Access) -> Response:
        p = request.path_params
        data = await call(registry.read_file, access, _path(request), p["ref"], p["file"])
        return Response(data, media_type="application/octet-stream",
                        headers={"X-Content-Type-Options": "nosniff"})

    async def archive(request: Request, access: Access) -> Response:
        got = await read(registry.download, access, _path(request), request.path_params["ref"])
        name = f"{got.name}-{got.record.label}.tar.gz"
        digest = base64.b64encode(bytes.fromhex(got.sha256)).decode()
        return Response(got.data, media_type="application/gzip", headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "X-Skillyard-Digest": got.digest, "X-Archive-Sha256": got.sha256,
            "Digest": f"sha-256={digest}", "X-Skillyard-Version": got.record.label,
            "X-Skillyard-Status": got.record.status,
        })

    async def audit_report(request: Request, access: Access) -> Response:
        ref = request.path_params["ref"]
        return JSONResponse(await call(registry.audit_report, access, _path(request), ref))

    async def reaudit(request: Request, access: Access) -> Response:
        ref = request.path_params["ref"]
        return JSONResponse(await call(registry.reaudit, access, _path(request), ref))

    async def set_status(request: Request, access: Access) -> Response:
        body = await _json_body(request)
        record = await call(registry.set_status, access, _path(request),
                            request.path_params["ref"], str(body.get("status", "")),
                            str(body.get("reason", "")))
        return JSONResponse(record.to_dict())

    async def publish(request: Request, access: Access) -> Response:
        access.need("publish", _path(request))  # before reading a large body
        data = await read_limited(request, registry.limits.max_upload)
        record = await call(registry.publish, access, _path(request), data,
                            source=request.headers.get("x-skillyard-source", ""))
        return JSONResponse(record.to_dict(findings=True), status_code=201)

    async def accept(request: Request, access: Access) -> Response:
        body = await _json_body(request)
        out = await call(registry.accept, access, _path(request), str(body.get("digest", "")),
                         str(body.get("rule", "")), str(body.get("file", "")),
                         str(body.get("reason", "")))
        return JSONResponse(out)

    async def diff(request: Request, access: Access) -> Response:
        q = request.query_params
        if not q.get("from") or not q.get("to"):
            raise RegistryError("give ?from=VERSION&to=VERSION")
        out = await call(registry.diff, access, _path(request), q["from"], q["to"])
        return JSONResponse({"from": q["from"], "to": q["to"], "files": out})

    async def evaluations(request: Request, access: Access) -> Response:
        from ..evaluate.report import experiments_json

        exps = await call(registry.evaluations, access, _path(request))
        return JSONResponse(experiments_json(exps) if exps else {"runs": []})

    async def publisher(request: Request, access: Access) -> Response:
        found = await call(registry.publisher, access, request.path_params["publisher"])
        return JSONResponse({"publisher": request.path_params["publisher"],
                             "versions": [r.to_dict() for r in found]})

    async def log(request: Request, access: Access) -> Response:
        access.need("admin")
        try:
            limit = min(1000, int(request.query_params.get("limit", "100")))
        except ValueError:
            raise RegistryError("limit must be a whole number") from None
        found = await call(registry.log.entries, limit=limit,
                           target=request.query_params.get("target"))
        return JSONResponse({"entries": [e.to_dict() for e in found]})

    async def tokens(request: Request, access: Access) -> Response:
        access.need("admin")
        if request.method == "GET":
            found = await call(registry.tokens.list)
            return JSONResponse({"tokens": [t.to_dict() for t in found]})
        body = await _json_body(request)
        token, secret = await call(registry.create_token, access,
                                   role=str(body.get("role", "read")),
                                   scope=str(body.get("scope", "")),
                                   name=str(body.get("name", "")), expires=body.get("expires"))
        return JSONResponse({**token.to_dict(), "token": secret}, status_code=201)

    async def revoke(request: Request, access: Access) -> Response:
        token = await call(registry.revoke_token, access, request.path_params["token_id"])
        return JSONResponse(token.to_dict())

    base = "/api/v1"
    skill = base + "/skills/{ns}/{name}"
    version = skill + "/versions/{ref}"
    table: list[tuple[str, Handler, list[str]]] = [
        (base, info, ["GET"]),
        (base + "/openapi.json", spec, ["GET"]),
        (base + "/search", search, ["GET"]),
        (base + "/skills", list_skills, ["GET"]),
        (skill, get_skill, ["GET"]),
        (skill + "/versions", list_versions, ["GET"]),
        (skill + "/versions", publish, ["POST"]),
        (skill + "/diff", diff, ["GET"]),
        (skill + "/acceptances", accept, ["POST"]),
        (skill + "/evaluations", evaluations, ["GET"]),
        (version, get_skill, ["GET"]),
        (version + "/files/{file:path}", get_file, ["GET"]),
        (version + "/archive", archive, ["GET"]),
        (version + "/audit", audit_report, ["GET"]),
        (version + "/audit", reaudit, ["POST"]),
        (version + "/status", set_status, ["POST"]),
        (base + "/publishers/{publisher}", publisher, ["GET"]),
        (base + "/log", log, ["GET"]),
        (base + "/tokens", tokens, ["GET", "POST"]),
        (base + "/tokens/{token_id}", revoke, ["DELETE"]),
    ]
    routes = [Route(path, endpoint(handler, public=handler in (info, spec)), methods=methods)
              for path, handler, methods in table]
    routes += well_known_routes(registry, limiter)
    routes += discovery_routes(registry, limiter)  # Agent Skills discovery v0.2.0

    async def unknown(request: Request) -> Response:
        return error(404, f"no API route {request.method} {request.url.path}")

    routes.append(Route(base + "/{rest:path}", unknown,
                        methods=["GET", "POST", "PUT", "DELETE", "PATCH"]))
    return routes


_INDEX_NAME = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")


def index_entry_ok(entry: dict[str, Any]) -> bool:
    """Whether the Vercel ``skills`` CLI accepts this index entry. It rejects the *whole* index
    when one entry breaks its rules (an ASCII ``[a-z0-9-]`` name of at most 64 characters, a
    non-empty description, relative file paths without ``..``, a SKILL.md among them), so such
    a skill (a Unicode name the spec allows, say) is left out of the index rather than hiding
    every other one; it stays installable through the API."""
    files = entry["files"]
    return (len(entry["name"]) <= 64 and _INDEX_NAME.fullmatch(entry["name"]) is not None
            and bool(entry["description"]) and "SKILL.md" in files
            and all(f and ".." not in f and "\\" not in f and "\0" not in f
                    and not f.startswith("/") for f in files))


def well_known_routes(registry: Registry, limiter: FailureLimiter) -> list[Route]:
    """The index other skill tools install from (``/.well-known/skills/index.json``:
    ``{"skills": [{"name", "description", "files"}]}``, files at ``.../{name}/{file}``), at
    the root and per namespace (``/{ns}/.well-known/skills/...``). Only what the caller may
    read is listed; at the root a name several namespaces share is listed once (the first
    namespace in sorted order) — per-namespace indexes have no such clash."""

    def pick(access: Access, namespace: str | None) -> dict[str, Any]:
        return readable_by_name(registry, access, namespace)

    async def index(request: Request) -> Response:
        try:
            access = await caller(registry, limiter, request)
            anonymous_off(registry, access)

            def build() -> dict[str, Any]:
                out = []
                for name, record in pick(access, request.path_params.get("ns")).items():
                    _, skill = registry.skill(access, record.path, record.label)
                    entry = {"name": name, "description": skill.description,
                             "files": [f.path for f in skill.files if f.kind == "file"]}
                    if index_entry_ok(entry):
                        out.append(entry)
                return {"skills": out}

            return JSONResponse(await cached_call(registry, build))
        except Exception as exc:  # noqa: BLE001
            return error_response(exc)

    async def file(request: Request) -> Response:
        try:
            access = await caller(registry, limiter, request)
            anonymous_off(registry, access)
            chosen = await cached_call(registry, pick, access, request.path_params.get("ns"))
            record = chosen.get(request.path_params["name"])
            if record is None:
                return error(404, f"no skill {request.path_params['name']!r} here")
            data = await run_in_threadpool(registry.read_file, access, record.path,
                                           record.label, request.path_params["file"])
            kind = "text/markdown; charset=utf-8" if request.path_params["file"].endswith(
                ".md") else "application/octet-stream"
            return Response(data, media_type=kind)
        except Exception as exc:  # noqa: BLE001
            return error_response(exc)

    paths = ["/.well-known/skills", "/{ns}/.well-known/skills"]
    out = []
    for prefix in paths:
        out.append(Route(prefix + "/index.json", index, methods=["GET"]))
        out.append(Route(prefix + "/{name}/{file:path}", file, methods=["GET"]))
    return out
