"""Skill folder archives: read an uploaded one safely, and pack a stored version.

An upload is a tar (optionally gzip'd) or a zip of one skill folder. It is read in memory with
hard limits and refused as a whole, with one clear reason, on: an absolute or escaping path
(zip-slip), a link, device or other non-regular member, too many members, a member or a total
over the size limits, a compression ratio that marks a bomb, a duplicate path or no SKILL.md.
Nothing is written to disk until every member has passed.
"""

from __future__ import annotations

import gzip
import io
import re
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..errors import SkillyardError
from ..skill import SKILL_FILE
from ..utf8 import is_utf8, shown


class UploadError(SkillyardError):
    """An uploaded archive is refused (HTTP 400/413 with this message)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class UploadLimits:
    max_upload: int = 16 * 1024 * 1024  # bytes on the wire
    max_members: int = 1000
    max_file: int = 8 * 1024 * 1024  # one member, expanded
    max_total: int = 64 * 1024 * 1024  # all members, expanded
    max_ratio: int = 100  # expanded / uploaded, once over 1 MiB expanded


_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:")


def _clean_path(name: str) -> str:
    """The member's relative POSIX path, or UploadError for anything that could escape."""
    if "\\" in name or "\x00" in name:
        raise UploadError(f"archive member {name!r}: backslashes and NUL are not allowed")
    if not is_utf8(name):  # tarfile decodes a name's stray bytes as surrogates
        raise UploadError(f"archive member '{shown(name)}': the name is not UTF-8 text")
    if name.startswith("/") or _WINDOWS_DRIVE.match(name):
        raise UploadError(f"archive member {name!r}: absolute paths are not allowed")
    parts = [p for p in PurePosixPath(name).parts if p not in ("", ".")]
    if ".." in parts:
        raise UploadError(f"archive member {name!r}: '..' would leave the skill folder")
    return "/".join(parts)


class _Collector:
    def __init__(self, limits: UploadLimits, wire: int) -> None:
        self.limits = limits
        self.wire = wire
        self.total = 0
        self.files: dict[str, bytes] = {}

    def member(self, name: str, size: int) -> str:
        path = _clean_path(name)
        if len(self.files) >= self.limits.max_members:
            raise UploadError(f"archive has more than {self.limits.max_members} files", 413)
        if size > self.limits.max_file:
            raise UploadError(f"archive member {path!r} is {size} bytes; the limit is "
                              f"{self.limits.max_file}", 413)
        return path

    def add(self, path: str, read: Callable[[int], bytes]) -> None:
        data = read(self.limits.max_file + 1)
        if len(data) > self.limits.max_file:
            raise UploadError(f"archive member {path!r} expands past {self.limits.max_file} "
                              "bytes", 413)
        self.total += len(data)
        if self.total > self.limits.max_total:
            raise UploadError(f"archive expands past {self.limits.max_total} bytes", 413)
        if self.total > 1024 * 1024 and self.total > self.limits.max_ratio * max(self.wire, 1):
            raise UploadError(f"archive expands more than {self.limits.max_ratio} times its "
                              "size (an archive bomb?)", 413)
        if path in self.files:
            raise UploadError(f"archive member {path!r} appears twice")
        self.files[path] = data


def _read_tar(data: bytes, out: _Collector) -> None:
    try:
        archive = tarfile.open(fileobj=io.BytesIO(data), mode="r:*")  # noqa: SIM115
    except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
        raise UploadError(f"not a readable tar or zip archive ({exc})") from None
    with archive:
        try:
            for info in archive:
                if info.isdir():
                    _clean_path(info.name)
                    continue
                if info.issym() or info.islnk():
                    raise UploadError(f"archive member {info.name!r} is a link; links are not "
                                      "allowed in a published skill")
                if not info.isreg():
                    raise UploadError(f"archive member {info.name!r} is not a regular file")
                path = out.member(info.name, info.size)
                handle = archive.extractfile(info)
                if handle is None:
                    raise UploadError(f"archive member {info.name!r} cannot be read")
                out.add(path, handle.read)
        except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
            raise UploadError(f"archive is truncated or corrupt ({exc})") from None


def _read_zip(data: bytes, out: _Collector) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise UploadError(f"not a readable zip archive ({exc})") from None
    with archive:
        for info in infos:
            if info.flag_bits & 0x1:
                raise UploadError(f"archive member {info.filename!r} is encrypted")
            mode = (info.external_attr >> 16) & 0o170000
            if mode == 0o120000:
                raise UploadError(f"archive member {info.filename!r} is a link; links are not "
                                  "allowed in a published skill")
            if info.is_dir():
                _clean_path(info.filename)
                continue
            if mode not in (0, 0o100000):
                raise UploadError(f"archive member {info.filename!r} is not a regular file")
            path = out.member(info.filename, info.file_size)
            try:
                with archive.open(info) as handle:
                    out.add(path, handle.read)
            except (zipfile.BadZipFile, OSError, ValueError, EOFError,
                    NotImplementedError) as exc:
                raise UploadError(f"archive member {info.filename!r} is corrupt ({exc})") from None



def read_upload(data: bytes, limits: UploadLimits | None = None) -> dict[str, bytes]:
    """The files of an uploaded skill archive by relative path, with one top folder removed
    when the archive holds a single folder; UploadError when anything is refused."""
    limits = limits or UploadLimits()
    if len(data) > limits.max_upload:
        raise UploadError(f"upload is {len(data)} bytes; the limit is {limits.max_upload}", 413)
    if not data:
        raise UploadError("the upload is empty; send a .tar.gz or .zip of a skill folder")
    out = _Collector(limits, len(data))
    if data[:4] == b"PK\x03\x04" or data[:4] == b"PK\x05\x06":
        _read_zip(data, out)
    else:
        _read_tar(data, out)
    files = out.files
    if not files:
        raise UploadError("the archive holds no files")
    tops = {p.split("/", 1)[0] for p in files}
    if SKILL_FILE not in files and len(tops) == 1 and all("/" in p for p in files):
        top = tops.pop()
        files = {p[len(top) + 1:]: d for p, d in files.items()}
    if SKILL_FILE not in files:
        raise UploadError("no SKILL.md at the top of the archive (or of its one folder)")
    return files


def write_folder(files: dict[str, bytes], folder: Path) -> None:
    """Write checked files under ``folder`` (paths come from read_upload: no escapes)."""
    root = folder.resolve()
    for rel, data in sorted(files.items()):
        target = (root / rel).resolve()
        if not target.is_relative_to(root):  # defence in depth; read_upload refuses these
            raise UploadError(f"archive member {rel!r} would leave the skill folder")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def pack(name: str, files: Iterable[tuple[str, bytes]]) -> bytes:
    """A reproducible .tar.gz of one skill folder ``name/`` (sorted, zero times and owners):
    the same files always give the same bytes, so the archive digest is stable. An empty
    ``name`` puts the files at the archive's root (the Agent Skills discovery archive)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for rel, data in sorted(files):
            info = tarfile.TarInfo(f"{name}/{rel}" if name else rel)
            info.size = len(data)
            info.mode = 0o755 if data.startswith(b"#!") else 0o644
            info.mtime = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(data))
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0) as gz:
        gz.write(raw.getvalue())
    return out.getvalue()


def pack_folder(folder: Path) -> bytes:
    """A .tar.gz of a local skill folder for publishing; refuses links (they would be refused
    by the server) and skips .git and similar caches."""
    folder = Path(folder)
    if not (folder / SKILL_FILE).is_file():
        raise UploadError(f"{folder}: no SKILL.md in this folder")
    skip = {".git", "__pycache__", "node_modules", ".venv", ".DS_Store"}
    files = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if any(part in skip for part in rel.parts):
            continue
        if path.is_symlink():
            raise UploadError(f"{path}: is a symlink; a published skill holds regular files only")
        if path.is_file():
            files.append((rel.as_posix(), path.read_bytes()))
    return pack(folder.resolve().name, files)

