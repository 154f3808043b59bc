"""A small client for a skillyard registry (standard library HTTP), used by the CLI.

Credentials come from ``SKILLYARD_REGISTRY_TOKEN`` or from the credentials file
(``~/.config/skillyard/registries.json``: ``{"URL": {"token": "syk_..."}}``), which must not
be readable by group or others. Downloads are verified: the archive's sha256 against the
server's header, then the skill digest recomputed over every extracted file.
"""

from __future__ import annotations

import json
import os
import re
import stat
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

from ..errors import SkillyardError
from ..fsmodes import mark_script
from ..skill import SkillFile, sha256_hex, skill_digest
from ..utf8 import is_utf8, readable, shown
from .skill_archive import UploadLimits, pack_folder, read_upload, write_folder

TOKEN_ENV = "SKILLYARD_REGISTRY_TOKEN"
# what a URL may carry as it is; the rest is percent-encoded (a name in another script)
_URL_SAFE = ":/?#[]@!$&'()*+,;=%~"


class ClientError(SkillyardError):
    """The registry refused a request or could not be reached; ``status`` is the HTTP code
    (0 when there was no answer)."""

    def __init__(self, message: str, status: int = 0, body: dict[str, Any] | None = None):
        super().__init__(message)
        self.status = status
        self.body = body or {}


def credentials_file() -> Path:
    return Path(platformdirs.user_config_dir("skillyard", appauthor=False)) / "registries.json"


def _normal(url: str) -> str:
    parsed = urllib.parse.urlsplit(url.strip())
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ClientError(f"registry URL {url!r} must be http(s)://host[:port]")
    return f"{parsed.scheme}://{parsed.netloc}{parsed.path.rstrip('/')}"


def stored_token(url: str, path: Path | None = None) -> str | None:
    """The token saved for ``url``; refuses a credentials file others can read."""
    path = path or credentials_file()
    if not path.exists():
        return None
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ClientError(f"{path} is readable by others (mode {stat.S_IMODE(mode):o}); "
                          f"run: chmod 600 {path}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, OSError) as exc:
        raise ClientError(f"{path}: not a readable credentials file ({exc})") from None
    entry = data.get(_normal(url)) if isinstance(data, dict) else None
    return entry.get("token") if isinstance(entry, dict) else None


def _check_token(token: str | None) -> None:
    if token and not token.isascii():  # a header cannot carry it, and no token has it
        raise SkillyardError("the registry token holds characters a token never has")


def save_token(url: str, token: str, path: Path | None = None) -> Path:
    """Store a token for ``url`` in the credentials file (created 0600)."""
    _check_token(token)
    if not is_utf8(url):
        raise SkillyardError(f"'{shown(url)}' is not UTF-8 text; check the URL")
    path = path or credentials_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    data: dict[str, Any] = {}
    if path.exists():
        stored_token(url, path)  # checks the mode and the format
        data = json.loads(path.read_text(encoding="utf-8"))
    data[_normal(url)] = {"token": token}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(data, out, indent=2)
    os.chmod(path, 0o600)
    return path


@dataclass
class Fetched:
    folder: Path
    version: str
    digest: str
    archive_sha256: str


class RegistryClient:
    def __init__(self, url: str, token: str | None = None, *, timeout: float = 60.0) -> None:
        self.url = _normal(url)
        self.token = token or os.environ.get(TOKEN_ENV) or stored_token(self.url)
        self.timeout = timeout

    def _request(self, method: str, path: str, *, data: bytes | None = None,
                 content_type: str = "application/json",
                 headers: dict[str, str] | None = None) -> tuple[bytes, dict[str, str]]:
        target = self.url + path
        if not is_utf8(target):  # input errors (exit 2), not the registry's refusals
            raise SkillyardError(f"'{shown(target)}' is not UTF-8 text; check the name and URL")
        _check_token(self.token)
        # a name in another script is sent percent-encoded, as a browser sends it
        target = urllib.parse.quote(target, safe=_URL_SAFE)
        request = urllib.request.Request(target, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", content_type)
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        for key, value in (headers or {}).items():
            request.add_header(key, value)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return response.read(), {k.lower(): v for k, v in response.headers.items()}
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            try:
                body = json.loads(raw)
            except ValueError:
                body = {"error": raw.decode("utf-8", "replace")[:200]}
            message = body.get("error") or f"HTTP {exc.code}"
            raise ClientError(f"{self.url}: {message}", exc.code, body) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ClientError(f"cannot reach {self.url} ({reason})") from None

    def _json(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        raw, _ = self._request(method, path, data=data)
        return json.loads(raw)

    def info(self) -> dict[str, Any]:
        return self._json("GET", "/api/v1")

    def search(self, query: str, k: int = 10) -> dict[str, Any]:
        q = urllib.parse.urlencode({"q": readable(query), "k": k})
        return self._json("GET", f"/api/v1/search?{q}")

    def list(self) -> list[dict[str, Any]]:
        return self._json("GET", "/api/v1/skills")["skills"]

    def describe(self, path: str, version: str | None = None) -> dict[str, Any]:
        tail = f"/versions/{urllib.parse.quote(version)}" if version else ""
        return self._json("GET", f"/api/v1/skills/{path}{tail}")

    def publish(self, folder: Path, namespace: str, *, source: str = "") -> dict[str, Any]:
        """Pack a local skill folder and publish it as NAMESPACE/<its folder's skill name>."""
        from .folders import load_skill_dir

        skill = load_skill_dir(Path(folder))
        data = pack_folder(Path(folder))
        headers = {"X-Skillyard-Source": source} if source else {}
        raw, _ = self._request("POST", f"/api/v1/skills/{namespace}/{skill.name}/versions",
                               data=data, content_type="application/gzip", headers=headers)
        return json.loads(raw)

    def set_status(self, path: str, version: str, status: str, reason: str = "") -> Any:
        return self._json("POST", f"/api/v1/skills/{path}/versions/{version}/status",
                          {"status": status, "reason": reason})

    def fetch(self, path: str, version: str | None, dest: Path) -> Fetched:
        """Download a version, verify both digests, and write it to ``dest/<name>``."""
        ref = urllib.parse.quote(version or "latest")
        data, headers = self._request("GET", f"/api/v1/skills/{path}/versions/{ref}/archive")
        sha = sha256_hex(data)
        if headers.get("x-archive-sha256") != sha:
            raise ClientError(f"{path}: the archive does not match the sha256 the registry "
                              "sent; refused")
        files = read_upload(data, UploadLimits(max_upload=max(len(data), 1)))
        entries = [SkillFile(p, len(d), sha256_hex(d)) for p, d in files.items()]
        digest = skill_digest(entries)
        if digest != headers.get("x-skillyard-digest"):
            raise ClientError(f"{path}: the files do not match the skill digest; refused")
        folder = Path(dest) / path.split("/")[-1]
        if folder.exists() and any(folder.iterdir()):
            raise ClientError(f"{folder} exists and is not empty")
        write_folder(files, folder)
        for rel, content in files.items():
            mark_script(folder / rel, content)
        return Fetched(folder, headers.get("x-skillyard-version", ""), digest, sha)


REGISTRY_SCHEMES = {"registry": "https", "registry+https": "https", "registry+http": "http"}


def parse_spec(spec: str) -> tuple[str, str, str | None]:
    """``registry://host[:port]/NS/NAME[@VERSION]`` (https; ``registry+http://`` for plain
    http) into (base URL, NS/NAME, version or None)."""
    scheme, sep, rest = spec.partition("://")
    if not sep or scheme not in REGISTRY_SCHEMES:
        raise ClientError(f"{spec!r} is not registry://host/NAMESPACE/NAME[@VERSION]")
    rest, _, version = rest.partition("@")
    host, _, path = rest.partition("/")
    parts = [p for p in path.split("/") if p]
    if not host or len(parts) != 2:
        raise ClientError(f"{spec!r}: give registry://host/NAMESPACE/NAME[@VERSION]")
    return f"{REGISTRY_SCHEMES[scheme]}://{host}", "/".join(parts), version or None


_HTTP_PATH = re.compile(r"^(https?)://([^/@\s]+)/(?:skills/)?([a-z0-9][a-z0-9-]*)/"
                        r"([a-z0-9][a-z0-9-]*)/?(?:@([0-9A-Za-z][0-9A-Za-z.+_-]*))?$")


def registry_url(spec: str, *, timeout: float = 5.0) -> tuple[str, str, str | None] | None:
    """``https://host/NS/NAME[@VERSION]`` (or the web page ``https://host/skills/NS/NAME``)
    as (base URL, NS/NAME, version) when ``host`` answers as a skillyard registry; None for
    any other URL (a git repository, a website), which is then classified as before."""
    match = _HTTP_PATH.match(spec.strip())
    if match is None:
        return None
    scheme, host, ns, name, version = match.groups()
    base = f"{scheme}://{host}"
    try:
        with urllib.request.urlopen(base + "/api/v1", timeout=timeout) as response:  # noqa: S310
            info = json.loads(response.read(65536))
    except urllib.error.HTTPError as exc:
        if exc.code != 401:
            return None
        try:  # a registry without anonymous read still names itself in its 401 answer
            info = {"registry": "skillyard"} if exc.headers.get(
                "WWW-Authenticate", "").startswith('Bearer realm="skillyard"') else {}
        except AttributeError:
            return None
    except (urllib.error.URLError, OSError, ValueError):
        return None
    if not isinstance(info, dict) or info.get("registry") != "skillyard":
        return None
    return base, f"{ns}/{name}", version or None


def is_registry_spec(spec: str) -> bool:
    return spec.split("://", 1)[0] in REGISTRY_SCHEMES and "://" in spec
