"""Open archives safely and hand every member back to the inventory for classification.

Zip (and the zip-based Office/OpenDocument formats), tar and single-file gzip/bzip2/xz are
opened in memory with hard limits: members, total and per-member expanded size, compression
ratio, nesting depth. Paths that leave the archive, links, encrypted members and anything past
a limit are fail-closed hits; reading stops at the limit, so a bomb never expands.
"""

from __future__ import annotations

import bz2
import io
import lzma
import re
import tarfile
import zipfile
import zlib
from collections.abc import Callable
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from ..utf8 import shown

if TYPE_CHECKING:
    from .inventory import Inventory

MAX_DEPTH = 3
MAX_MEMBERS = 2000
MAX_MEMBER_BYTES = 8 * 1024 * 1024
MAX_TOTAL_BYTES = 64 * 1024 * 1024
MAX_RATIO = 100  # expanded / compressed, for members over RATIO_MIN_BYTES
RATIO_MIN_BYTES = 1024 * 1024

ARCHIVE_MAGIC: tuple[tuple[bytes, int], ...] = (
    (b"PK\x03\x04", 0), (b"PK\x05\x06", 0), (b"\x1f\x8b", 0), (b"BZh", 0),
    (b"\xfd7zXZ\x00", 0), (b"7z\xbc\xaf\x27\x1c", 0), (b"Rar!\x1a\x07", 0), (b"ustar", 257),
)
OFFICE_PREFIXES = ("word/", "xl/", "ppt/")
OFFICE_ACTIVE = re.compile(r"(?:vbaProject\.bin|vbaData\.xml|/embeddings/|/activeX/|oleObject)",
                           re.I)
_TAG = re.compile(r"<[^>]+>")
_BREAK = re.compile(r"</(?:w:p|a:p|text:p|text:h|si|row|p)>|<(?:w:br|w:tab|a:br|text:line-break)"
                    r"\b[^>]*/?>", re.I)

Classify = Callable[..., None]


def _bad_path(name: str) -> bool:
    pure = PurePosixPath(name.replace("\\", "/"))
    return (name.startswith(("/", "\\")) or bool(re.match(r"^[A-Za-z]:", name))
            or ".." in pure.parts or "\\" in name)


def document_text(xml: bytes) -> str:
    """Visible text of an Office/OpenDocument XML part, one paragraph a line."""
    text = xml.decode("utf-8", "replace")
    text = _BREAK.sub("\n", text)
    text = _TAG.sub("", text)
    for entity, char in (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&apos;", "'"),
                         ("&amp;", "&")):
        text = text.replace(entity, char)
    return text


class _Budget:
    def __init__(self) -> None:
        self.total = 0


def _zip(inv: Inventory, path: str, data: bytes, depth: int, classify: Classify,
         sources: dict[str, bytes | None], budget: _Budget) -> None:
    from .content import TextUnit

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        inv.hit("archive-corrupt", path, f"zip: {exc}")  # e.g. an unknown zip version
        return
    if len(infos) > MAX_MEMBERS:
        inv.hit("archive-bomb", path, f"{len(infos)} members (limit {MAX_MEMBERS})")
        return
    office = any(i.filename.startswith(OFFICE_PREFIXES) for i in infos) or any(
        i.filename == "mimetype" for i in infos)
    for info in infos:
        member = f"{path}!{shown(info.filename)}"
        if not info.filename:  # zipfile cannot even ask whether it is a folder: fail closed
            inv.hit("archive-corrupt", member, "zip: a member has an empty name")
            continue
        if info.is_dir():
            continue
        if _bad_path(info.filename):
            inv.hit("archive-traversal", member, f"member path {info.filename!r}")
        if (info.external_attr >> 16) & 0o170000 == 0o120000:
            inv.hit("archive-link", member, "symbolic link member")
            continue
        if info.flag_bits & 0x1:
            inv.hit("archive-encrypted", member, "encrypted member")
            continue
        if office and OFFICE_ACTIVE.search(info.filename):
            inv.hit("office-macros", member, info.filename)
            continue
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > MAX_MEMBER_BYTES or (
            info.file_size > RATIO_MIN_BYTES and ratio > MAX_RATIO
        ):
            inv.hit("archive-bomb", member, f"expands to {info.file_size} bytes from "
                    f"{info.compress_size} (ratio {ratio:.0f})")
            continue
        try:
            with archive.open(info) as handle:
                content = handle.read(MAX_MEMBER_BYTES + 1)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError,
                RuntimeError, zlib.error) as exc:
            inv.hit("archive-corrupt", member, f"cannot read member: {exc}")
            continue
        if len(content) > MAX_MEMBER_BYTES or not _spend(inv, budget, member, len(content)):
            if len(content) > MAX_MEMBER_BYTES:
                inv.hit("archive-bomb", member, "member expands past its declared size")
            continue
        if office and info.filename.endswith(".xml") and info.filename.startswith(
            (*OFFICE_PREFIXES, "content.xml", "styles.xml")
        ):
            inv.blobs.append((member, content))
            inv.units.append(TextUnit(member, document_text(content), "markdown",
                                      origin="document"))
            continue
        if office and info.filename.endswith((".xml", ".rels")) or info.filename == "mimetype":
            inv.blobs.append((member, content))
            continue
        classify(inv, member, content, depth=depth + 1, sources=sources)


def _spend(inv: Inventory, budget: _Budget, member: str, size: int) -> bool:
    inv.expanded += size  # one budget for the whole skill, nested archives included
    if inv.expanded > MAX_TOTAL_BYTES:
        inv.hit("archive-bomb", member, f"archive expands past {MAX_TOTAL_BYTES} bytes in total")
        return False
    return True


def _tar(inv: Inventory, path: str, data: bytes, depth: int, classify: Classify,
         sources: dict[str, bytes | None], budget: _Budget) -> None:
    try:
        archive = tarfile.open(fileobj=io.BytesIO(data), mode="r:")  # noqa: SIM115 - in memory
        members = archive.getmembers()
    except (tarfile.TarError, OSError, EOFError, zlib.error, lzma.LZMAError) as exc:
        inv.hit("archive-corrupt", path, f"tar: {exc}")
        return
    if len(members) > MAX_MEMBERS:
        inv.hit("archive-bomb", path, f"{len(members)} members (limit {MAX_MEMBERS})")
        return
    for info in members:
        member = f"{path}!{shown(info.name)}"  # tarfile hands stray bytes over as surrogates
        if _bad_path(info.name):
            inv.hit("archive-traversal", member, f"member path {info.name!r}")
        if info.issym() or info.islnk():
            inv.hit("archive-link", member, f"link to {info.linkname!r}")
            continue
        if info.isdir():
            continue
        if not info.isfile():
            inv.hit("archive-link", member, "device or special member")
            continue
        if info.size > MAX_MEMBER_BYTES:
            inv.hit("archive-bomb", member, f"member of {info.size} bytes")
            continue
        handle = archive.extractfile(info)
        content = handle.read(MAX_MEMBER_BYTES + 1) if handle else b""
        if not _spend(inv, budget, member, len(content)):
            continue
        classify(inv, member, content, depth=depth + 1, sources=sources)


def _decompress(data: bytes, kind: str, limit: int) -> bytes:
    if kind == "gz":
        return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data, limit)
    if kind == "bz2":
        return bz2.BZ2Decompressor().decompress(data, max_length=limit)
    return lzma.LZMADecompressor().decompress(data, max_length=limit)


def _stream(inv: Inventory, path: str, data: bytes, depth: int, classify: Classify,
            sources: dict[str, bytes | None], budget: _Budget, kind: str) -> None:
    """A compressed stream (.gz/.bz2/.xz): expand with a cap, then a tar or a single file."""
    try:
        content = _decompress(data, kind, MAX_TOTAL_BYTES + 1)
    except (zlib.error, OSError, lzma.LZMAError, EOFError, ValueError) as exc:
        inv.hit("archive-corrupt", path, f"{kind}: {exc}")
        return
    if len(content) > MAX_TOTAL_BYTES or (
        len(content) > RATIO_MIN_BYTES and len(content) > len(data) * MAX_RATIO
    ):
        inv.hit("archive-bomb", path, f"{kind} stream expands to {len(content)}+ bytes from "
                f"{len(data)}")
        return
    if content[257:262] == b"ustar":
        _tar(inv, path, content, depth, classify, sources, budget)
        return
    if len(content) > MAX_MEMBER_BYTES or not _spend(inv, budget, path, len(content)):
        if len(content) > MAX_MEMBER_BYTES:
            inv.hit("archive-bomb", path, f"{kind} stream expands past {MAX_MEMBER_BYTES} bytes")
        return
    inner = path.rsplit("!", 1)[-1]
    name = PurePosixPath(inner).stem if "." in PurePosixPath(inner).name else "data"
    classify(inv, f"{path}!{name}", content, depth=depth + 1, sources=sources)


def open_archive(inv: Inventory, path: str, data: bytes, *, depth: int, classify: Classify,
                 sources: dict[str, bytes | None], budget: _Budget | None = None) -> None:
    """Open an archive found at ``path`` and classify its members (bounded)."""
    if depth >= MAX_DEPTH:
        inv.hit("archive-too-deep", path, f"archive nested {depth} levels deep")
        return
    budget = budget or _Budget()
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        _zip(inv, path, data, depth, classify, sources, budget)
    elif data[257:262] == b"ustar":
        _tar(inv, path, data, depth, classify, sources, budget)
    elif data.startswith(b"\x1f\x8b"):
        _stream(inv, path, data, depth, classify, sources, budget, "gz")
    elif data.startswith(b"BZh"):
        _stream(inv, path, data, depth, classify, sources, budget, "bz2")
    elif data.startswith(b"\xfd7zXZ\x00"):
        _stream(inv, path, data, depth, classify, sources, budget, "xz")
    else:
        what = "7z" if data.startswith(b"7z") else "rar" if data.startswith(b"Rar!") else (
            "unrecognised")
        inv.hit("archive-unsupported", path, f"{what} archive ({len(data)} bytes)")
