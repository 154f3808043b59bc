"""Skills published on a website through a well-known index, as the ``skills`` CLI reads them.

Discovery (RFC 8615 well-known URIs): for ``https://site/docs`` the index is looked for at
``/docs/.well-known/agent-skills/index.json``, then ``/.well-known/agent-skills/index.json``,
then the same two under the legacy ``.well-known/skills``; the first usable index wins.

Two index shapes are read:

- v0.2.0, marked by ``"$schema": "https://schemas.agentskills.io/discovery/0.2.0/schema.json"``:
  each skill is ``{name, type: "skill-md" | "archive", description, url, digest}``; ``url`` is
  resolved against the index URL and ``digest`` is ``sha256:<hex>`` of the artifact's bytes.
  Entries that are not well formed are skipped with a reason.
- legacy v0.1.0 (no ``$schema``): ``{name, description, files: [...]}``; the files are served
  at ``<base>/<well-known>/<name>/<path>``. No digest is given, so the content is verified only
  against what is then pinned in the lockfile (reported as a warning). ``files`` entries that are
  objects ``{path, digest}`` (the discovery RFC's draft) are verified file by file.

Integrity is fail-closed: a digest mismatch, an artifact outside the index's site (another
scheme, host or port, also through a redirect), an unsafe archive or an oversize response
refuses the skill with one clear line; nothing of it is returned.
"""

from __future__ import annotations

import hashlib
import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from ..errors import FindingError, SkillLoadError, SourceError
from ..skill import Provenance, Skill, SkillFile, decode_skill_md, parse_skill_md
from ..utf8 import shown
from .result import LoadResult
from .siteunpack import safe_path, unpack


class DigestMismatchError(FindingError, SourceError):
    """A fetched file differs from the digest the site's index gave: tampering, exit 1."""

SCHEMA_V2 = "https://schemas.agentskills.io/discovery/0.2.0/schema.json"
WELL_KNOWN = (".well-known/agent-skills", ".well-known/skills")
MAX_INDEX_BYTES = 4 * 1024 * 1024
MAX_SKILLS = 2000
MAX_ARTIFACT_BYTES = 60 * 1024 * 1024
MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_LEGACY_FILES = 500
TIMEOUT = 20.0
_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){0,63}$")
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_GIT_HOSTS = ("github.com", "gitlab.com", "bitbucket.org", "huggingface.co")


class NoIndexError(SourceError):
    """The site answered, but has no skills index at any well-known place."""


@dataclass(frozen=True)
class IndexEntry:
    name: str
    description: str
    kind: str  # skill-md | archive | files
    url: str  # artifact URL (v0.2.0) or the skill's folder URL ending in "/" (legacy)
    digest: str | None  # "sha256:<hex>" of the artifact, or of the file manifest (RFC draft)
    files: tuple[tuple[str, str | None], ...] = ()  # legacy: (path, "sha256:<hex>" or None)


@dataclass
class SiteIndex:
    url: str  # the index.json that was used
    version: str  # "0.2.0" or "0.1.0"
    entries: list[IndexEntry]
    rejected: list[tuple[str, str]] = field(default_factory=list)

    def entry(self, name: str) -> IndexEntry | None:
        return next((e for e in self.entries if e.name == name), None)


def origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), port


def is_site_url(spec: str) -> bool:
    """An http(s) URL that names a website rather than a git repository."""
    if spec.startswith("wellknown:"):
        return True
    if not spec.startswith(("http://", "https://")):
        return False
    parts = urlsplit(spec)
    host = (parts.hostname or "").lower()
    return bool(host) and host not in _GIT_HOSTS and not parts.path.endswith(".git") \
        and "@" not in parts.path


def sha256_tag(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def manifest_digest(files: dict[str, str]) -> str:
    """The discovery RFC's skill digest: sha256 over sorted ``path\\0hex\\n`` lines."""
    lines = b"".join(f"{p}\0{files[p]}\n".encode() for p in sorted(files))
    return sha256_tag(lines)


class _SameSite(urllib.request.HTTPRedirectHandler):
    def __init__(self, site: tuple[str, str, int | None]) -> None:
        self.site = site

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001, ANN201
        if origin(newurl) != self.site:
            raise SourceError(f"{req.full_url}: redirects to {newurl}, outside the site; "
                              "refused")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def http_get(url: str, limit: int, site: tuple[str, str, int | None] | None = None
             ) -> tuple[bytes, str] | None:
    """GET ``url`` (None on 404/410); refuse bodies over ``limit`` and redirects off-site."""
    site = site or origin(url)
    if not url.isascii():  # an address is ASCII: a host in another script is punycode
        raise SourceError(f"'{shown(url)}': not a web address (characters beyond ASCII); "
                          "percent-encode them")
    opener = urllib.request.build_opener(_SameSite(site))
    request = urllib.request.Request(url, headers={"User-Agent": "skillyard",
                                                   "Accept": "application/json, */*"})
    try:
        with opener.open(request, timeout=TIMEOUT) as response:
            length = response.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > limit:
                raise SourceError(f"{url}: {length} bytes, over the limit of {limit}; refused")
            body = response.read(limit + 1)
            if len(body) > limit:
                raise SourceError(f"{url}: larger than the limit of {limit} bytes; refused")
            return body, response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as exc:
        if exc.code in (404, 410):
            return None
        raise SourceError(f"{url}: HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise SourceError(f"{url}: cannot connect ({exc.reason})") from None
    except (TimeoutError, OSError) as exc:
        raise SourceError(f"{url}: {exc}") from None


def candidates(site_url: str) -> list[str]:
    """Index URLs to try for ``site_url``, in order."""
    spec = site_url.removeprefix("wellknown:")
    parts = urlsplit(spec)
    path = parts.path
    for prefix in WELL_KNOWN:  # a URL that already points into the well-known folder
        marker = f"/{prefix}"
        if marker in path:
            path = path[:path.index(marker)]
            break
    base = f"{parts.scheme}://{parts.netloc}"
    path = path.rstrip("/")
    out = [spec] if parts.path.endswith("/index.json") else []  # a locked index URL: first
    for prefix in WELL_KNOWN:
        out.append(f"{base}{path}/{prefix}/index.json")
        if path:
            out.append(f"{base}/{prefix}/index.json")
    return list(dict.fromkeys(out))


def wanted_name(site_url: str) -> str | None:
    """The skill named in a URL like ``https://site/.well-known/agent-skills/NAME``."""
    match = re.search(r"/\.well-known/(?:agent-skills|skills)/([^/]+)/?$", site_url)
    return match.group(1) if match and match.group(1) != "index.json" else None


def _v2_entry(raw: object, index_url: str) -> IndexEntry | str:
    if not isinstance(raw, dict):
        return "not an object"
    name, kind, url, digest = raw.get("name"), raw.get("type"), raw.get("url"), raw.get("digest")
    description = raw.get("description")
    if not isinstance(name, str) or not _NAME.match(name):
        return "'name' must be 1-64 lowercase letters, digits and single hyphens"
    if not isinstance(description, str) or not description or len(description) > 1024:
        return f"{name}: 'description' must be 1-1024 characters"
    if kind not in ("skill-md", "archive"):
        return f"{name}: 'type' must be skill-md or archive"
    if not isinstance(url, str) or not url:
        return f"{name}: 'url' is missing"
    if not isinstance(digest, str) or not _DIGEST.match(digest):
        return f"{name}: 'digest' must be sha256:<64 lowercase hex>"
    return IndexEntry(name, description, kind, urljoin(index_url, url), digest)


def _v1_entry(raw: object, skill_base: str) -> IndexEntry | str:
    if not isinstance(raw, dict):
        return "not an object"
    name, description, files = raw.get("name"), raw.get("description"), raw.get("files")
    if not isinstance(name, str) or not _NAME.match(name):
        return "'name' must be 1-64 lowercase letters, digits and single hyphens"
    if not isinstance(description, str) or not description:
        return f"{name}: 'description' is missing"
    if not isinstance(files, list) or not files or len(files) > MAX_LEGACY_FILES:
        return f"{name}: 'files' must list 1-{MAX_LEGACY_FILES} files"
    listed: list[tuple[str, str | None]] = []
    for item in files:
        path, digest = (item, None) if isinstance(item, str) else (
            (item.get("path"), item.get("digest")) if isinstance(item, dict) else (None, None))
        if not isinstance(path, str) or safe_path(path) != path:
            return f"{name}: unsafe file path {path!r}"
        if digest is not None and (not isinstance(digest, str) or not _DIGEST.match(digest)):
            return f"{name}: {path}: 'digest' must be sha256:<64 lowercase hex>"
        listed.append((path, digest))
    if not any(p.lower() == "skill.md" for p, _ in listed):
        return f"{name}: 'files' has no SKILL.md"
    skill_digest = raw.get("digest") if isinstance(raw.get("digest"), str) else None
    if skill_digest is not None and not _DIGEST.match(skill_digest):
        return f"{name}: 'digest' must be sha256:<64 lowercase hex>"
    return IndexEntry(name, description, "files", f"{skill_base}/{name}/", skill_digest,
                      tuple(listed))


def parse_index(body: bytes, index_url: str) -> SiteIndex:
    """Read one index.json; raise SourceError when it is not a usable index."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise SourceError(f"{index_url}: not valid JSON ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("skills"), list):
        raise SourceError(f"{index_url}: no 'skills' list")
    skills = data["skills"]
    if len(skills) > MAX_SKILLS:
        raise SourceError(f"{index_url}: {len(skills)} skills, over the limit of {MAX_SKILLS}")
    schema = data.get("$schema")
    if schema is not None and schema != SCHEMA_V2:
        raise SourceError(f"{index_url}: unknown index schema {schema!r}")
    index = SiteIndex(index_url, "0.2.0" if schema else "0.1.0", [])
    skill_base = index_url.rsplit("/", 1)[0]
    seen: set[str] = set()
    for number, raw in enumerate(skills):
        entry = _v2_entry(raw, index_url) if schema else _v1_entry(raw, skill_base)
        if isinstance(entry, str):
            index.rejected.append((f"{index_url} skills[{number}]", entry))
        elif entry.name in seen:
            index.rejected.append((f"{index_url} skills[{number}]",
                                   f"{entry.name}: listed twice"))
        else:
            seen.add(entry.name)
            index.entries.append(entry)
    if not index.entries:
        why = "; ".join(r for _, r in index.rejected[:3])
        raise SourceError(f"{index_url}: no usable skill entries" + (f" ({why})" if why else ""))
    return index


def fetch_index(site_url: str) -> SiteIndex:
    """The first usable index for ``site_url`` (see the module docstring)."""
    problems = []
    for url in candidates(site_url):
        got = http_get(url, MAX_INDEX_BYTES)
        if got is None:
            continue
        try:
            return parse_index(got[0], url)
        except SourceError as exc:
            problems.append(str(exc))
    if problems:
        raise SourceError(f"{site_url}: no usable skills index ({'; '.join(problems)})")
    raise NoIndexError(f"{site_url}: no skills index (no .well-known/agent-skills/index.json "
                       "or .well-known/skills/index.json)")


def _check_site(url: str, index: SiteIndex, name: str) -> None:
    if origin(url) != origin(index.url):
        raise SourceError(f"{name}: {url} is outside the site of {index.url}; refused")


def fetch_files(index: SiteIndex, entry: IndexEntry) -> dict[str, bytes]:
    """The verified files of one skill (path -> bytes)."""
    site = origin(index.url)
    if entry.kind in ("skill-md", "archive"):
        _check_site(entry.url, index, entry.name)
        got = http_get(entry.url, MAX_ARTIFACT_BYTES, site)
        if got is None:
            raise SourceError(f"{entry.name}: {entry.url} not found")
        data, content_type = got
        actual = sha256_tag(data)
        if actual != entry.digest:
            raise DigestMismatchError(f"{entry.name}: {entry.url} has digest {actual[:19]}…, "
                                      f"the index says {(entry.digest or '')[:19]}…; refused")
        return {"SKILL.md": data} if entry.kind == "skill-md" else unpack(data, entry.url,
                                                                          content_type)
    files: dict[str, bytes] = {}
    hexes: dict[str, str] = {}
    for path, digest in entry.files:
        url = urljoin(entry.url, path)
        _check_site(url, index, entry.name)
        got = http_get(url, MAX_FILE_BYTES, site)
        if got is None:
            raise SourceError(f"{entry.name}: {path} is listed in the index but {url} is "
                              "not found")
        actual = sha256_tag(got[0])
        if digest is not None and actual != digest:
            raise DigestMismatchError(f"{entry.name}/{path}: digest {actual[:19]}… differs "
                                      f"from the index's {digest[:19]}…; refused")
        files["SKILL.md" if path.lower() == "skill.md" else path] = got[0]
        hexes[path] = actual.removeprefix("sha256:")
    if entry.digest is not None and manifest_digest(hexes) != entry.digest:
        raise DigestMismatchError(f"{entry.name}: the files do not match the skill digest in "
                                  "the index; refused")
    return files


def to_skill(index: SiteIndex, entry: IndexEntry, files: dict[str, bytes]) -> Skill:
    where = entry.url
    text = decode_skill_md(files["SKILL.md"], where)
    inventory = tuple(sorted(
        (SkillFile(p, len(d), hashlib.sha256(d).hexdigest(), data=d) for p, d in files.items()),
        key=lambda f: (f.path != "SKILL.md", f.path)))
    prov = Provenance(source=index.url, kind="wellknown", path=entry.name, ref=entry.digest,
                      extra={"index_version": index.version})
    return parse_skill_md(text, folder_name=entry.name, skill_id=f"wellknown:{index.url}#"
                          f"{entry.name}", provenance=prov, files=inventory)


def load_site(site_url: str, names: set[str] | None = None, *,
              strict_integrity: bool = True) -> Iterator[LoadResult]:
    """Load the skills a site publishes (only ``names`` when given).

    With ``strict_integrity`` a digest mismatch, an off-site artifact or an unsafe archive
    raises SourceError (refusing the whole load); without it, that skill is a rejected result.
    """
    index = fetch_index(site_url)
    single = wanted_name(site_url.removeprefix("wellknown:"))
    if single and names is None:
        names = {single}
    for where, why in index.rejected:
        yield LoadResult(where, None, why)
    for entry in index.entries:
        if names is not None and entry.name not in names:
            continue
        try:
            files = fetch_files(index, entry)
        except SourceError as exc:
            if strict_integrity:
                raise
            yield LoadResult(entry.url, None, str(exc))
            continue
        try:
            yield LoadResult(entry.url, to_skill(index, entry, files))
        except SkillLoadError as exc:
            yield LoadResult(entry.url, None, str(exc))
