"""Unpack a skill archive from a website (.tar.gz or .zip) into memory, fail-closed.

Only regular files are taken; links, devices, absolute or ``..`` paths, encrypted zip entries,
too many files or too many bytes refuse the whole archive. SKILL.md must be at its root.
"""

from __future__ import annotations

import io
import stat
import tarfile
import zipfile

from ..errors import SourceError
from ..utf8 import is_utf8, shown

MAX_UNPACKED_BYTES = 50 * 1024 * 1024
MAX_FILES = 1000


def safe_path(raw: str) -> str | None:
    """A relative POSIX path with no empty, '.' or '..' parts, or None."""
    if not raw or "\0" in raw or "\\" in raw or raw.startswith("/"):
        return None
    if len(raw) > 1 and raw[1] == ":":
        return None
    parts = [p for p in raw.split("/") if p]
    if not parts or any(p in (".", "..") for p in parts):
        return None
    return "/".join(parts)


class _Budget:
    def __init__(self, where: str) -> None:
        self.where = where
        self.bytes = 0
        self.files: dict[str, bytes] = {}

    def add(self, raw: str, data: bytes) -> None:
        if not is_utf8(raw):  # tarfile decodes a name's stray bytes as surrogates
            raise SourceError(f"{self.where}: member name '{shown(raw)}' is not UTF-8 text; "
                              "refused")
        path = safe_path(raw)
        if path is None:
            raise SourceError(f"{self.where}: unsafe path {raw!r} in the archive; refused")
        self.bytes += len(data)
        if self.bytes > MAX_UNPACKED_BYTES:
            raise SourceError(f"{self.where}: the archive unpacks to more than "
                              f"{MAX_UNPACKED_BYTES} bytes; refused")
        if len(self.files) >= MAX_FILES:
            raise SourceError(f"{self.where}: more than {MAX_FILES} files in the archive")
        if path in self.files:
            raise SourceError(f"{self.where}: {path} appears twice in the archive; refused")
        self.files[path] = data


def _untar(data: bytes, where: str) -> dict[str, bytes]:
    budget = _Budget(where)
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as tar:
            for member in tar:
                if member.isdir():
                    continue
                if not member.isfile():
                    raise SourceError(f"{where}: {member.name} is a link or special file; "
                                      "archives with links are refused")
                if member.size > MAX_UNPACKED_BYTES:
                    raise SourceError(f"{where}: {member.name} is too large; refused")
                handle = tar.extractfile(member)
                budget.add(member.name, handle.read() if handle else b"")
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise SourceError(f"{where}: not a readable .tar.gz archive ({exc})") from None
    return budget.files


def _unzip(data: bytes, where: str) -> dict[str, bytes]:
    budget = _Budget(where)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for info in archive.infolist():
                if info.is_dir():
                    continue
                if info.flag_bits & 0x1:
                    raise SourceError(f"{where}: {info.filename} is encrypted; refused")
                mode = info.external_attr >> 16
                if mode and not stat.S_ISREG(mode):
                    raise SourceError(f"{where}: {info.filename} is a link or special file; "
                                      "archives with links are refused")
                if info.file_size > MAX_UNPACKED_BYTES:
                    raise SourceError(f"{where}: {info.filename} is too large; refused")
                budget.add(info.filename, archive.read(info))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError,
            ValueError) as exc:  # ValueError: a name flagged UTF-8 that is not
        raise SourceError(f"{where}: not a readable .zip archive ({exc})") from None
    return budget.files


def unpack(data: bytes, url: str, content_type: str = "") -> dict[str, bytes]:
    """The files of a skill archive; SKILL.md must sit at the archive root."""
    lower = url.lower().split("?")[0]
    content_type = content_type.split(";")[0].strip().lower()
    if data[:2] == b"\x1f\x8b":
        files = _untar(data, url)
    elif data[:2] == b"PK":
        files = _unzip(data, url)
    elif lower.endswith((".tar.gz", ".tgz")) or content_type in ("application/gzip",
                                                                 "application/x-gzip"):
        files = _untar(data, url)
    elif lower.endswith(".zip") or content_type == "application/zip":
        files = _unzip(data, url)
    else:
        raise SourceError(f"{url}: an archive entry that is neither .zip nor .tar.gz")
    if "SKILL.md" not in files:
        raise SourceError(f"{url}: the archive has no SKILL.md at its root")
    return files
