"""Inventory analyzer: account for every file of a skill and cut the readable ones into text.

Each file is classified by its bytes (not just its name): text, known media, archive,
bytecode, executable or unknown binary. What cannot be analysed becomes a fail-closed hit;
archives are opened (see ``archives``) and their members classified the same way.
"""

from __future__ import annotations

import importlib.util
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from ..errors import SkillyardError
from ..skill import Skill, SkillFile
from .archives import ARCHIVE_MAGIC, open_archive
from .content import TextUnit, language_of
from .model import Hit
from .pdftext import pdf_text

BlobReader = Callable[[str], bytes]

PADDING_RUN = 64 * 1024  # a run of filler this long is an evasion signal
PADDING_RATIO_MIN_SIZE = 256 * 1024
PADDING_RATIO = 40.0
_FILLER = re.compile(rb"[\x00\s]{%d,}" % PADDING_RUN)
_REPEAT = re.compile(rb"(.)\1{%d,}" % (PADDING_RUN - 1), re.S)

MEDIA_MAGIC: tuple[tuple[bytes, int, str, tuple[str, ...]], ...] = (
    (b"\x89PNG\r\n\x1a\n", 0, "png", (".png",)),
    (b"\xff\xd8\xff", 0, "jpeg", (".jpg", ".jpeg")),
    (b"GIF87a", 0, "gif", (".gif",)),
    (b"GIF89a", 0, "gif", (".gif",)),
    (b"WEBP", 8, "webp", (".webp",)),
    (b"\x00\x00\x01\x00", 0, "ico", (".ico",)),
    (b"BM", 0, "bmp", (".bmp",)),
    (b"\x00\x01\x00\x00", 0, "font", (".ttf", ".otf")),
    (b"OTTO", 0, "font", (".otf", ".ttf")),
    (b"true", 0, "font", (".ttf",)),
    (b"ttcf", 0, "font", (".ttc",)),
    (b"wOFF", 0, "font", (".woff",)),
    (b"wOF2", 0, "font", (".woff2",)),
    (b"%PDF-", 0, "pdf", (".pdf",)),
    (b"ID3", 0, "audio", (".mp3",)),
    (b"WAVE", 8, "audio", (".wav",)),
    (b"OggS", 0, "audio", (".ogg", ".opus")),
    (b"fLaC", 0, "audio", (".flac",)),
    (b"ftyp", 4, "video", (".mp4", ".m4a", ".mov", ".heic", ".avif")),
    (b"\x1aE\xdf\xa3", 0, "video", (".webm", ".mkv")),
)
EXEC_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x7fELF", "ELF executable"), (b"MZ", "Windows PE executable"),
    (b"\xfe\xed\xfa\xce", "Mach-O executable"), (b"\xfe\xed\xfa\xcf", "Mach-O executable"),
    (b"\xce\xfa\xed\xfe", "Mach-O executable"), (b"\xcf\xfa\xed\xfe", "Mach-O executable"),
    (b"\x00asm", "WebAssembly module"), (b"\xd0\xcf\x11\xe0", "OLE compound document"),
)
APPLE_DOUBLE = (b"\x00\x05\x16\x07", b"\x00\x05\x16\x00")  # AppleDouble, AppleSingle
MEDIA_SUFFIXES = {s for _m, _o, _k, sfx in MEDIA_MAGIC for s in sfx} | {".svg"}
HIDDEN_OK = {
    ".gitignore", ".gitkeep", ".gitattributes", ".npmignore", ".editorconfig", ".nvmrc",
    ".python-version", ".dockerignore", ".env.example", ".prettierrc", ".prettierignore",
    ".eslintrc", ".eslintrc.json", ".eslintrc.js", ".markdownlint.json", ".keep",
}
PDF_ACTIVE = re.compile(rb"/(?:JavaScript|JS|Launch|EmbeddedFile|RichMedia|XFA)\b")
SCRIPT_SUFFIXES = {".py", ".sh", ".bash", ".zsh", ".js", ".mjs", ".cjs", ".ts", ".ps1", ".bat",
                   ".cmd", ".rb", ".pl", ".php", ".go", ".rs"}


@dataclass
class Inventory:
    """What the inventory step produced for one skill."""

    units: list[TextUnit] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)
    blobs: list[tuple[str, bytes]] = field(default_factory=list)  # for signature scans
    unseen_scripts: int = 0
    expanded: int = 0  # bytes expanded from archives so far

    def hit(self, rule: str, path: str, evidence: str, line: int | None = None) -> None:
        self.hits.append(Hit(rule, path, line, evidence, flow=path))


def _magic(data: bytes) -> tuple[str, tuple[str, ...]] | None:
    for magic, offset, kind, suffixes in MEDIA_MAGIC:
        if data[offset:offset + len(magic)] == magic:
            if kind == "webp" and data[:4] != b"RIFF":
                continue
            return kind, suffixes
    return None


def _trailing(kind: str, data: bytes) -> int:
    """Bytes after the logical end of a PNG or JPEG (0 when none or not checkable)."""
    if kind == "png":
        end = data.rfind(b"IEND")
        return max(len(data) - (end + 8), 0) if end >= 0 else 0
    if kind == "jpeg":
        end = data.rfind(b"\xff\xd9")
        rest = data[end + 2:] if end >= 0 else b""
        return len(rest.rstrip(b"\x00")) if len(rest) > 64 else 0
    return 0


def looks_binary(data: bytes) -> bool:
    head = data[:8192]
    if b"\0" in head:
        return not (head.startswith((b"\xff\xfe", b"\xfe\xff")))
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    return bool(head) and controls / len(head) > 0.1


def decode_text(data: bytes) -> tuple[str, bool]:
    """Decode file bytes; the flag is False when they were not UTF-8 (read as Latin-1)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), True
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8-sig"), True
    except UnicodeDecodeError:
        return data.decode("latin-1"), False


def check_padding(inv: Inventory, path: str, data: bytes) -> None:
    match = _FILLER.search(data) or _REPEAT.search(data)
    if match:
        inv.hit("padding", path, f"{match.end() - match.start()} bytes of filler at offset "
                f"{match.start()}")
        return
    if len(data) >= PADDING_RATIO_MIN_SIZE:
        ratio = len(data) / max(len(zlib.compress(data, 1)), 1)
        if ratio > PADDING_RATIO:
            inv.hit("padding", path, f"{len(data)} bytes that compress {ratio:.0f}:1 "
                    "(repetitive filler)")


def _pyc_source(path: str) -> str:
    pure = PurePosixPath(path)
    stem = pure.name.split(".", 1)[0]
    folder = pure.parent
    if folder.name == "__pycache__":
        folder = folder.parent
    return (folder / f"{stem}.py").as_posix()


def check_bytecode(inv: Inventory, path: str, data: bytes,
                   sources: dict[str, bytes | None]) -> None:
    if path.endswith(".class"):
        stem = PurePosixPath(path).stem
        if not any(PurePosixPath(p).name == f"{stem}.java" for p in sources):
            inv.hit("bytecode-without-source", path, "Java class file with no .java source")
        return
    source_path = _pyc_source(path)
    if source_path not in sources:
        inv.hit("bytecode-without-source", path, f"no {source_path} next to the bytecode")
        return
    source = sources[source_path]
    if source is None or len(data) < 16:
        inv.hit("bytecode-mismatch", path, "bytecode header or source unreadable")
        return
    flags = int.from_bytes(data[4:8], "little")
    if flags & 1:
        ok = data[8:16] == importlib.util.source_hash(source)
        what = "source hash"
    else:
        ok = int.from_bytes(data[12:16], "little") == len(source) & 0xFFFFFFFF
        what = "source size"
    if not ok:
        inv.hit("bytecode-mismatch", path, f"{what} in the bytecode header differs from "
                f"{source_path}")


def classify(inv: Inventory, path: str, data: bytes, *, depth: int,
             sources: dict[str, bytes | None]) -> None:
    """Classify one file (or archive member) by its bytes and record units and hits."""
    inv.blobs.append((path, data))
    name = path.rsplit("!", 1)[-1]
    suffix = PurePosixPath(name).suffix.lower()
    if suffix in (".pyc", ".pyo", ".class"):
        check_bytecode(inv, path, data, sources)
        return
    if data[:4] in APPLE_DOUBLE:
        inv.hit("appledouble", path, f"AppleDouble metadata, {len(data)} bytes")
        return
    for magic, what in EXEC_MAGIC:
        if data.startswith(magic) and not (magic == b"MZ" and not looks_binary(data)):
            rule = "binary-unknown" if what.startswith("OLE") else "executable-binary"
            inv.hit(rule, path, f"{what} ({len(data)} bytes)")
            return
    if any(data[off:off + len(m)] == m for m, off in ARCHIVE_MAGIC) or suffix in (
        ".zip", ".docx", ".xlsx", ".pptx", ".jar", ".whl", ".tar", ".tgz", ".gz", ".7z",
        ".rar", ".bz2", ".xz", ".odt", ".ods", ".epub",
    ):
        open_archive(inv, path, data, depth=depth, classify=classify, sources=sources)
        return
    media = _magic(data)
    if media is not None:
        kind, suffixes = media
        if suffix and suffix not in suffixes and suffix not in MEDIA_SUFFIXES:
            inv.hit("type-mismatch", path, f"{kind} data in a {suffix} file")
            return
        if kind == "pdf":
            active = PDF_ACTIVE.search(data)
            if active:
                inv.hit("pdf-active-content", path, active.group(0).decode("latin-1"))
            else:
                inv.hit("media-file", path, f"pdf, {len(data)} bytes")
                text = pdf_text(data)
                if text.strip():
                    inv.units.append(TextUnit(path, text, "markdown", origin="document"))
            return
        extra = _trailing(kind, data)
        if extra:
            inv.hit("media-trailing-data", path, f"{extra} bytes after the end of the {kind}")
        else:
            inv.hit("media-file", path, f"{kind}, {len(data)} bytes")
        return
    if suffix in MEDIA_SUFFIXES - {".svg"} or looks_binary(data):
        inv.hit("binary-unknown", path, f"{len(data)} bytes of unrecognised binary data"
                + (f" named {suffix}" if suffix else ""))
        return
    check_padding(inv, path, data)
    text, utf8 = decode_text(data)
    if not utf8:
        inv.hit("not-utf8", path, "decoded as Latin-1")
    inv.units.append(TextUnit(path, text, language_of(path, text),
                              origin="member" if "!" in path else "file"))


def _hidden(path: str) -> bool:
    parts = PurePosixPath(path).parts
    return any(p.startswith(".") and p not in HIDDEN_OK and p not in (".", "..") for p in parts)


def _content(entry: SkillFile, read_blob: BlobReader | None) -> bytes | None:
    if entry.data is not None:
        return entry.data
    if read_blob is None:
        return None
    try:
        return read_blob(entry.sha256)
    except SkillyardError:
        return None


_DIAG_RULES = {"inventory-truncated": "inventory-truncated", "unreadable": "unreadable-file",
               "special-file": "special-file"}


def take_inventory(skill: Skill, read_blob: BlobReader | None = None) -> Inventory:
    """Account for every file of ``skill``; file content comes from the skill or the blobs."""
    inv = Inventory()
    for diag in skill.diagnostics:
        if diag.code in _DIAG_RULES:
            inv.hit(_DIAG_RULES[diag.code], "SKILL.md", diag.message)
    contents: dict[str, bytes | None] = {}
    for entry in skill.files:
        if entry.kind == "file" and not (entry.note or "").startswith("oversize"):
            contents[entry.path] = _content(entry, read_blob)
    for entry in skill.files:
        path = entry.path
        if entry.kind == "symlink":
            note = entry.note or ""
            rule = ("symlink-escape" if "escape" in note else
                    "symlink-dangling" if "dangling" in note else "symlink-directory")
            inv.hit(rule, path, f"-> {entry.target} ({note})")
            continue
        if _hidden(path):
            inv.hit("hidden-file", path, "hidden path")
        if (entry.note or "").startswith("oversize"):
            inv.hit("oversize-file", path, entry.note or "oversize")
            continue
        data = contents.get(path)
        if data is None:
            inv.hit("content-missing", path, f"no stored content for sha256 {entry.sha256[:16]}")
            continue
        classify(inv, path, data, depth=0, sources=contents)
    listed = skill.provenance.extra.get("files") if skill.provenance.kind == "corpus" else None
    if listed:
        names = [str(f.get("path")) for f in listed if isinstance(f, dict)]
        scripts = [n for n in names if PurePosixPath(n).suffix.lower() in SCRIPT_SUFFIXES]
        inv.unseen_scripts = len(scripts)
        shown = ", ".join(names[:8]) + (" ..." if len(names) > 8 else "")
        inv.hit("unseen-files", "SKILL.md",
                f"{len(names)} listed file(s) without content ({len(scripts)} scripts): {shown}")
    return inv
