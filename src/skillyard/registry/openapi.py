"""The OpenAPI 3.1 description of ``/api/v1`` (served at ``/api/v1/openapi.json``)."""

from __future__ import annotations

from typing import Any

_SKILL = "/api/v1/skills/{ns}/{name}"
_VERSION = _SKILL + "/versions/{ref}"

# (method, path, summary, role needed, query parameters, request body kind, success status)
OPERATIONS: list[tuple[str, str, str, str, list[str], str, int]] = [
    ("get", "/api/v1", "Registry information and the caller's token", "none", [], "", 200),
    ("get", "/api/v1/openapi.json", "This document", "none", [], "", 200),
    ("get", "/api/v1/search", "Route a task to the best skills (tiers, abstention)", "read",
     ["q", "k"], "", 200),
    ("get", "/api/v1/skills", "Every skill the caller may read, newest live version", "read",
     [], "", 200),
    ("get", _SKILL, "A skill: metadata, versions and file manifest (sha256, sizes)", "read",
     ["version"], "", 200),
    ("get", _SKILL + "/versions", "Every version with status and verdict", "read", [], "",
     200),
    ("post", _SKILL + "/versions", "Publish a skill folder archive (.tar.gz or .zip): "
     "validated and audited, refused with findings when blocked", "publish", [], "archive",
     201),
    ("get", _SKILL + "/diff", "Per-file diff between two versions", "read", ["from", "to"], "",
     200),
    ("get", _SKILL + "/evaluations", "Stored evaluation experiments of the skill, "
     "re-analysed (pass rates, paired comparisons)", "read", [], "", 200),
    ("post", _SKILL + "/acceptances", "Accept one finding with a reason (appeal)", "admin", [],
     "json", 200),
    ("get", _VERSION, "One version: metadata and file manifest", "read", [], "", 200),
    ("get", _VERSION + "/files/{file}", "One file's bytes (verified against its sha256)",
     "read", [], "", 200),
    ("get", _VERSION + "/archive", "The version as a reproducible .tar.gz; headers carry the "
     "skill digest and the archive sha256", "read", [], "", 200),
    ("get", _VERSION + "/audit", "Audit report: verdict, tier, findings, acceptances", "read",
     [], "", 200),
    ("post", _VERSION + "/audit", "Re-audit under the current rules and acceptances",
     "publish", [], "", 200),
    ("post", _VERSION + "/status", "Yank, deprecate or restore (status: yanked | deprecated | "
     "active, reason)", "publish", [], "json", 200),
    ("get", "/api/v1/publishers/{publisher}", "Versions published by one token name", "read",
     [], "", 200),
    ("get", "/api/v1/log", "The write log (who, when, what)", "admin", ["limit", "target"], "",
     200),
    ("get", "/api/v1/tokens", "Every token (never a secret)", "admin", [], "", 200),
    ("post", "/api/v1/tokens", "Create a token (role, scope, name, expires); the secret is "
     "returned once", "admin", [], "json", 201),
    ("delete", "/api/v1/tokens/{token_id}", "Revoke a token", "admin", [], "", 200),
]

_ERRORS = {
    "400": "Bad input (one-line error)", "401": "Missing, wrong, expired or revoked token",
    "403": "Role or scope does not allow this", "404": "No such skill, version or file",
    "409": "Duplicate version or unchanged content", "413": "Upload over a size limit",
    "422": "The audit blocks the upload (report with findings)",
    "429": "Too many failed sign-ins (Retry-After)",
}


def _operation(method: str, path: str, summary: str, role: str, query: list[str], body: str,
               status: int) -> dict[str, Any]:
    params = [{"name": p.strip("{}"), "in": "path", "required": True,
               "schema": {"type": "string"}}
              for p in path.split("/") if p.startswith("{")]
    params += [{"name": q, "in": "query", "required": q in ("q", "from", "to"),
                "schema": {"type": "integer" if q in ("k", "limit") else "string"}}
               for q in query]
    op: dict[str, Any] = {
        "summary": summary, "operationId": f"{method}_{path}".replace("/", "_").replace(
            "{", "").replace("}", "").replace(".", "_").replace("__", "_"),
        "parameters": params, "x-required-role": role,
        "responses": {str(status): {"description": "OK", "content": {
            "application/json": {"schema": {"type": "object"}}}},
            **{code: {"description": text, "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Error"}}}}
               for code, text in _ERRORS.items()}},
    }
    if role != "none":
        op["security"] = [{"bearer": []}]
    if body == "archive":
        op["requestBody"] = {"required": True, "content": {
            "application/gzip": {"schema": {"type": "string", "format": "binary"}},
            "application/zip": {"schema": {"type": "string", "format": "binary"}}}}
    elif body == "json":
        op["requestBody"] = {"required": True, "content": {
            "application/json": {"schema": {"type": "object"}}}}
    return op


def openapi(version: str) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for method, path, *rest in OPERATIONS:
        paths.setdefault(path, {})[method] = _operation(method, path, *rest)
    return {
        "openapi": "3.1.0",
        "info": {"title": "skillyard registry", "version": version,
                 "description": "A self-hosted skill registry: publish with an audit gate, "
                 "search through the router, fetch by digest."},
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "A token from `skillyard registry "
                                           "token create` (syk_...)."}},
            "schemas": {"Error": {"type": "object", "required": ["error", "status"],
                                  "properties": {"error": {"type": "string"},
                                                 "status": {"type": "integer"},
                                                 "report": {"type": "object"}}}},
        },
    }
