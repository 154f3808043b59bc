"""What a skill file is (instructions, reference, script) and which trust tier may read it.

Tiers (set by the auditor and the policy): 0 metadata only, 1 instructions (SKILL.md and
references, no scripts), 2 scripts allowed with approval, 3 trusted. A file counts as a
script when it is code an agent could run: it sits in a ``scripts/``, ``bin/`` or ``hooks/``
folder, or its extension names executable code or a compiled binary.
"""

from __future__ import annotations

import mimetypes
from pathlib import PurePosixPath
from typing import Literal

from ..skill import SKILL_FILE

FileRole = Literal["instructions", "reference", "script"]

SCRIPT_DIRS = frozenset({"scripts", "script", "bin", "hooks"})
SCRIPT_EXTENSIONS = frozenset(
    {
        ".py", ".pyw", ".pyc", ".pyo", ".sh", ".bash", ".zsh", ".fish", ".ksh", ".csh",
        ".js", ".mjs", ".cjs", ".ts", ".mts", ".cts", ".jsx", ".tsx", ".rb", ".pl", ".pm",
        ".php", ".ps1", ".psm1", ".bat", ".cmd", ".vbs", ".lua", ".r", ".jl", ".go", ".rs",
        ".swift", ".kt", ".kts", ".java", ".jar", ".class", ".scala", ".groovy", ".tcl",
        ".awk", ".applescript", ".scpt", ".exe", ".dll", ".so", ".dylib", ".bin", ".elf",
        ".wasm", ".com", ".msi", ".appimage", ".deb", ".rpm", ".apk", ".run",
    }
)
TEXT_MIME = {
    ".md": "text/markdown", ".markdown": "text/markdown", ".txt": "text/plain",
    ".json": "application/json", ".yaml": "application/yaml", ".yml": "application/yaml",
    ".toml": "application/toml", ".csv": "text/csv", ".html": "text/html", ".xml": "text/xml",
    ".py": "text/x-python", ".sh": "text/x-shellscript", ".js": "text/javascript",
    ".ts": "text/x-typescript",
}
TIER_FOR_ROLE: dict[str, int] = {"instructions": 1, "reference": 1, "script": 2}


def file_role(path: str) -> FileRole:
    """Classify a skill file by its path (the content is the auditor's business)."""
    if path == SKILL_FILE:
        return "instructions"
    pure = PurePosixPath(path)
    if any(part.lower() in SCRIPT_DIRS for part in pure.parts[:-1]):
        return "script"
    if pure.suffix.lower() in SCRIPT_EXTENSIONS:
        return "script"
    return "reference"


def required_tier(path: str) -> int:
    """The lowest trust tier allowed to read this file."""
    return TIER_FOR_ROLE[file_role(path)]


def mime_type(path: str) -> str:
    suffix = PurePosixPath(path).suffix.lower()
    if suffix in TEXT_MIME:
        return TEXT_MIME[suffix]
    guessed, _ = mimetypes.guess_type(path, strict=False)
    if guessed:
        return guessed
    return "text/plain" if not suffix or path.rsplit("/", 1)[-1].isupper() else (
        "application/octet-stream"
    )


def is_text(data: bytes) -> bool:
    """True when the bytes are UTF-8 text without NULs (served as text, else as a blob)."""
    if b"\0" in data[:8192]:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
