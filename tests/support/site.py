"""A real website on 127.0.0.1 that publishes skills through a well-known index."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from support.gitrepo import skill_md

SCHEMA = "https://schemas.agentskills.io/discovery/0.2.0/schema.json"


def tag(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def targz(files: dict[str, bytes], links: dict[str, str] | None = None) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for path, data in files.items():
            info = tarfile.TarInfo(path)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for path, target in (links or {}).items():
            info = tarfile.TarInfo(path)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            tar.addfile(info)
    return out.getvalue()


class _Handler(SimpleHTTPRequestHandler):
    redirects: dict[str, str] = {}

    def do_GET(self) -> None:  # noqa: N802
        target = self.redirects.get(self.path)
        if target:
            self.send_response(302)
            self.send_header("Location", target)
            self.end_headers()
            return
        super().do_GET()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


class Site:
    """Serves ``root`` on 127.0.0.1; ``publish_*`` write index.json and the artifacts."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.wk = root / ".well-known" / "agent-skills"
        self.wk.mkdir(parents=True, exist_ok=True)
        handler = type("H", (_Handler,), {"redirects": {}})
        self.redirects: dict[str, str] = handler.redirects
        self.server = ThreadingHTTPServer(("127.0.0.1", 0),
                                          partial(handler, directory=str(root)))
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.entries: list[dict[str, Any]] = []

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def write_index(self, data: dict[str, Any] | bytes, folder: Path | None = None) -> None:
        raw = data if isinstance(data, bytes) else json.dumps(data).encode()
        ((folder or self.wk) / "index.json").write_bytes(raw)

    def skill_md_entry(self, name: str, body: str = "\n# Steps\n\nDo it.\n",
                       digest: str | None = None, url: str | None = None) -> bytes:
        data = skill_md(name, body=body).encode()
        (self.wk / f"{name}.md").write_bytes(data)
        self.entries = [e for e in self.entries if e["name"] != name]
        self.entries.append({"name": name, "type": "skill-md", "url": url or f"./{name}.md",
                             "description": f"Helps with {name}.",
                             "digest": digest or tag(data)})
        return data

    def archive_entry(self, name: str, files: dict[str, bytes], digest: str | None = None,
                      links: dict[str, str] | None = None) -> bytes:
        data = targz(files, links)
        (self.wk / f"{name}.tar.gz").write_bytes(data)
        self.entries = [e for e in self.entries if e["name"] != name]
        self.entries.append({"name": name, "type": "archive", "url": f"{name}.tar.gz",
                             "description": f"Helps with {name}.",
                             "digest": digest or tag(data)})
        return data

    def publish(self) -> None:
        self.write_index({"$schema": SCHEMA, "skills": self.entries})

    def publish_legacy(self, name: str, files: dict[str, bytes],
                       digests: dict[str, str] | None = None) -> None:
        """A v0.1.0 index under the legacy .well-known/skills folder."""
        folder = self.root / ".well-known" / "skills"
        for path, data in files.items():
            (folder / name / path).parent.mkdir(parents=True, exist_ok=True)
            (folder / name / path).write_bytes(data)
        listed: list[Any] = [p if digests is None else {"path": p, "digest": digests[p]}
                             for p in files]
        self.write_index({"skills": [{"name": name, "description": f"Helps with {name}.",
                                      "files": listed}]}, folder)
