"""What the content analyzers read: text units cut from files, archive members and documents."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

LANG_BY_SUFFIX: dict[str, str] = {
    ".md": "markdown", ".markdown": "markdown", ".mdx": "markdown", ".txt": "markdown",
    ".rst": "markdown", ".mdc": "markdown",
    ".py": "python", ".pyw": "python", ".pyi": "python",
    ".sh": "shell", ".bash": "shell", ".zsh": "shell", ".ksh": "shell", ".fish": "shell",
    ".command": "shell", ".ps1": "shell", ".psm1": "shell", ".bat": "shell", ".cmd": "shell",
    ".js": "javascript", ".mjs": "javascript", ".cjs": "javascript", ".ts": "javascript",
    ".tsx": "javascript", ".jsx": "javascript", ".mts": "javascript", ".cts": "javascript",
}
FENCE_LANGS: dict[str, str] = {
    "python": "python", "py": "python", "python3": "python",
    "bash": "shell", "sh": "shell", "shell": "shell", "zsh": "shell", "console": "shell",
    "powershell": "shell", "ps1": "shell", "pwsh": "shell", "bat": "shell", "cmd": "shell",
    "terminal": "shell", "": "shell",
    "javascript": "javascript", "js": "javascript", "typescript": "javascript", "ts": "javascript",
    "jsx": "javascript", "tsx": "javascript", "node": "javascript", "mjs": "javascript",
}

# Fenced blocks that show data (logs, queries, detection rules, config), never run as shown.
DATA_LANGS = frozenset({
    "text", "txt", "log", "logs", "output", "plaintext", "plain", "json", "jsonc", "json5",
    "yaml", "yml", "xml", "csv", "tsv", "toml", "ini", "kql", "kusto", "spl", "splunk", "sql",
    "sigma", "yara", "snort", "suricata", "regex", "diff", "http", "markdown", "md", "mermaid",
})


@dataclass(frozen=True, slots=True)
class TextUnit:
    """Text to analyse. ``path`` is what findings show (``a.docx!word/document.xml`` for a
    member); ``line_offset`` shifts reported lines (code cut from a larger file)."""

    path: str
    text: str
    lang: str  # markdown | python | shell | javascript | text
    line_offset: int = 0
    flow: str = ""  # when set, every hit in this unit belongs to this flow
    origin: str = "file"  # file | member | document | decoded | code-block


def language_of(path: str, text: str) -> str:
    suffix = PurePosixPath(path.rsplit("!", 1)[-1]).suffix.lower()
    if suffix in LANG_BY_SUFFIX:
        return LANG_BY_SUFFIX[suffix]
    first = text[:200].split("\n", 1)[0]
    if first.startswith("#!"):
        if "python" in first:
            return "python"
        if "node" in first or "deno" in first or "bun" in first:
            return "javascript"
        return "shell"
    return "text"
