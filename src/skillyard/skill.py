"""The Skill value: frontmatter, body, an inventory of files with digests, one digest for all.

``parse_skill_md`` turns SKILL.md text into a Skill; ``validate`` checks it against the
agentskills.io specification. In strict mode every violation is an error; in lenient mode (the
default, as real clients load skills) repairs and deviations are warnings.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import yaml

from . import frontmatter as fm
from .diagnostics import Diagnostic, error, warning
from .errors import SkillLoadError
from .utf8 import NOT_TEXT, not_text_at, shown

SKILL_FILE = "SKILL.md"
NAME_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
NAME_MAX = 64
DESCRIPTION_MAX = 1024
COMPATIBILITY_MAX = 500
BODY_LINES_MAX = 500
BODY_TOKENS_MAX = 5000
SPEC_FIELDS = frozenset(
    {"name", "description", "license", "compatibility", "metadata", "allowed-tools"}
)
# Fields real clients add on top of the specification; lenient mode keeps them without comment.
CLIENT_FIELDS = frozenset(
    {
        "disable-model-invocation", "user-invocable", "argument-hint", "context", "hooks",
        "model", "agent", "version", "when_to_use", "when-to-use", "tags", "author",
        "homepage", "triggers", "dependencies", "category", "effort",
    }
)

FileKind = Literal["file", "symlink"]


@dataclass(frozen=True, slots=True)
class SkillFile:
    """One file of a skill folder. ``data`` is None when the content was not kept (oversize)."""

    path: str  # POSIX path relative to the skill folder
    size: int
    sha256: str
    kind: FileKind = "file"
    data: bytes | None = field(default=None, repr=False, compare=False)
    target: str | None = None  # symlink target as written in the link
    note: str | None = None  # why the content is missing or suspicious (oversize, escapes...)

    def manifest(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"path": self.path, "size": self.size, "sha256": self.sha256}
        if self.kind != "file":
            entry["kind"] = self.kind
        if self.target is not None:
            entry["target"] = self.target
        if self.note:
            entry["note"] = self.note
        return entry


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where a skill came from."""

    source: str  # folder path, git URL or corpus file
    kind: str  # folder | agents | git | corpus
    path: str = ""  # skill folder relative to the source root
    ref: str | None = None
    commit: str | None = None
    agent: str | None = None  # for agent folders: which client and scope
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"source": self.source, "kind": self.kind, "path": self.path}
        for key in ("ref", "commit", "agent"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.extra:
            out["extra"] = self.extra
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Provenance:
        return cls(
            source=data["source"], kind=data["kind"], path=data.get("path", ""),
            ref=data.get("ref"), commit=data.get("commit"), agent=data.get("agent"),
            extra=data.get("extra") or {},
        )


@dataclass(frozen=True, slots=True)
class Skill:
    """An immutable skill. ``files`` always contains SKILL.md itself."""

    id: str
    name: str
    description: str
    frontmatter: dict[str, Any]
    body: str
    files: tuple[SkillFile, ...]
    provenance: Provenance
    diagnostics: tuple[Diagnostic, ...] = ()
    parse_method: str = "yaml"

    @property
    def digest(self) -> str:
        return skill_digest(self.files)

    @property
    def skill_md(self) -> str:
        """The original SKILL.md text (byte-faithful when its content was kept)."""
        entry = self.file(SKILL_FILE)
        if entry is not None and entry.data is not None:
            return entry.data.decode("utf-8")
        return render(self.frontmatter, self.body)

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.level == "warning"]

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.level == "error"]

    @property
    def resources(self) -> list[SkillFile]:
        return [f for f in self.files if f.path != SKILL_FILE]

    def file(self, path: str) -> SkillFile | None:
        for entry in self.files:
            if entry.path == path:
                return entry
        return None

    def with_body(self, body: str) -> Skill:
        """A copy with a new body; SKILL.md is re-rendered and the digest changes."""
        text = render(self.frontmatter, body)
        return self._with_skill_md(text, body=body)

    def _with_skill_md(self, text: str, **changes: Any) -> Skill:
        data = text.encode("utf-8")
        new_md = SkillFile(SKILL_FILE, len(data), sha256_hex(data), data=data)
        files = tuple(new_md if f.path == SKILL_FILE else f for f in self.files)
        return replace(self, files=files, **changes)

    def to_dict(self, *, with_body: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "digest": self.digest,
            "frontmatter": self.frontmatter,
            "files": [f.manifest() for f in self.files],
            "provenance": self.provenance.to_dict(),
            "diagnostics": [d.to_dict() for d in self.diagnostics],
        }
        if with_body:
            out["body"] = self.body
        return out


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def skill_digest(files: tuple[SkillFile, ...] | list[SkillFile]) -> str:
    """One digest over every file: sha256 of sorted ``kind path sha256`` lines."""
    lines = sorted(f"{f.kind}\0{f.path}\0{f.sha256}\n" for f in files)
    return hashlib.sha256("".join(lines).encode("utf-8")).hexdigest()


def render(frontmatter: dict[str, Any], body: str) -> str:
    """Render frontmatter and body as SKILL.md text."""
    block = yaml.safe_dump(
        frontmatter, sort_keys=False, allow_unicode=True, default_flow_style=False, width=10_000
    )
    return f"---\n{block}---\n{body}"


def decode_skill_md(data: bytes, where: str) -> str:
    """Decode SKILL.md bytes as UTF-8 or raise a SkillLoadError that says why not."""
    if not data.strip():
        raise SkillLoadError(where, "SKILL.md is empty")
    if b"\0" in data[:8192]:
        raise SkillLoadError(where, "SKILL.md is binary (contains NUL bytes)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SkillLoadError(
            where, f"SKILL.md is not UTF-8 (invalid byte 0x{data[exc.start]:02x} at offset "
            f"{exc.start})"
        ) from None


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return str(value)


def _first_paragraph(body: str) -> str:
    for para in re.split(r"\n\s*\n", body):
        text = " ".join(line.strip() for line in para.strip().splitlines()).strip()
        if text and not text.startswith("#"):
            return text[:DESCRIPTION_MAX]
    return ""


def parse_skill_md(
    text: str,
    *,
    folder_name: str | None,
    skill_id: str,
    provenance: Provenance,
    files: tuple[SkillFile, ...] = (),
    strict: bool = False,
) -> Skill:
    """Parse SKILL.md text into a Skill; raise SkillLoadError when it cannot be loaded.

    ``files`` is the inventory of the folder (including SKILL.md); when empty, SKILL.md alone is
    inventoried from ``text``.
    """
    if not_text_at(skill_id) is not None:  # two such folders would share one stored id
        raise SkillLoadError(shown(skill_id), "the id (from the folder's path, or the record) "
                             "holds a byte that is not UTF-8 or a NUL; rename the folder")
    parsed = fm.parse(text, strict=strict)
    diags = list(parsed.diagnostics)
    if parsed.data is None:
        reasons = "; ".join(d.message for d in diags if d.level == "error") or "unreadable"
        raise SkillLoadError(skill_id, reasons)
    data = parsed.data
    bad = not_text_at(data)
    if bad is not None:  # a YAML "\0" or "\ud800" escape: nothing can store or show it
        raise SkillLoadError(skill_id, f"frontmatter {bad} {NOT_TEXT}")
    level = error if strict else warning

    name = _as_text(data.get("name"))
    if name is not None and not isinstance(data.get("name"), str):
        diags.append(level("name-type", "name should be a string"))
    if not name:
        if strict or not folder_name:
            raise SkillLoadError(skill_id, "frontmatter has no 'name'")
        name = folder_name
        diags.append(warning("name-from-folder", f"no name in frontmatter; using folder {name!r}"))

    description = _as_text(data.get("description"))
    if description is not None and not isinstance(data.get("description"), str):
        diags.append(level("description-type", "description should be a string"))
    if not description or not description.strip():
        if strict:
            raise SkillLoadError(skill_id, "frontmatter has no 'description'")
        description = _first_paragraph(parsed.body)
        diags.append(
            warning("description-from-body", "no description in frontmatter; using the "
                    "first paragraph of the body")
        )
    if not files:
        raw = text.encode("utf-8")
        files = (SkillFile(SKILL_FILE, len(raw), sha256_hex(raw), data=raw),)
    skill = Skill(
        id=skill_id,
        name=name,
        description=description.strip(),
        frontmatter=data,
        body=parsed.body,
        files=files,
        provenance=provenance,
        diagnostics=(),
        parse_method=parsed.method,
    )
    diags.extend(validate(skill, folder_name=folder_name, strict=strict))
    if strict and any(d.level == "error" for d in diags):
        raise SkillLoadError(skill_id, "; ".join(d.message for d in diags if d.level == "error"))
    return replace(skill, diagnostics=tuple(diags))


def validate(skill: Skill, *, folder_name: str | None, strict: bool = False) -> list[Diagnostic]:
    """Check a skill against the specification (the frontmatter fields and body limits)."""
    out: list[Diagnostic] = []
    level = error if strict else warning
    data = skill.frontmatter
    name = skill.name
    norm = unicodedata.normalize("NFKC", name)
    if len(norm) > NAME_MAX:
        out.append(level("name-length", f"name is {len(norm)} characters; at most {NAME_MAX}"))
    if not name_is_valid(norm):
        out.append(level("name-format", f"name {name!r} must be lowercase letters, digits and "
                         "single hyphens, not starting or ending with a hyphen"))
    if folder_name is not None and "name" in data and \
            norm != unicodedata.normalize("NFKC", folder_name):
        out.append(level("name-folder", f"name {name!r} differs from its folder {folder_name!r}"))
    if len(skill.description) > DESCRIPTION_MAX:
        out.append(level("description-length", f"description is {len(skill.description)} "
                         f"characters; at most {DESCRIPTION_MAX}"))
    if "license" in data and not isinstance(data["license"], str):
        out.append(level("license-type", "license should be a string"))
    if "compatibility" in data:  # "Must be 1-500 characters if provided"
        compat = data["compatibility"]
        if not isinstance(compat, str):
            out.append(level("compatibility-type", "compatibility should be a string"))
        elif not 1 <= len(compat) <= COMPATIBILITY_MAX:
            out.append(level("compatibility-length", f"compatibility is {len(compat)} "
                             f"characters; it must be 1-{COMPATIBILITY_MAX} when present"))
    meta = data.get("metadata")
    if meta is not None and not (
        isinstance(meta, dict) and all(isinstance(v, str) for v in meta.values())
    ):
        out.append(level("metadata-type", "metadata should map strings to strings"))
    tools = data.get("allowed-tools")
    if tools is not None and not (isinstance(tools, str) or (
            isinstance(tools, list) and all(isinstance(t, str) for t in tools))):
        out.append(level("allowed-tools-type", "allowed-tools should be a space-separated "
                         "string or a list of strings"))
    unknown = [k for k in data if k not in SPEC_FIELDS]
    if strict:
        out.extend(error("unknown-field", f"field {k!r} is not in the specification")
                   for k in unknown)
    elif extra := [k for k in unknown if k not in CLIENT_FIELDS]:
        out.append(warning("unknown-field", f"kept {len(extra)} field(s) not in the "
                           f"specification: {', '.join(extra)}"))
    lines = skill.body.count("\n") + 1
    if lines > BODY_LINES_MAX:
        out.append(warning("body-lines", f"body has {lines} lines; the specification advises at "
                           f"most {BODY_LINES_MAX}"))
    tokens = estimate_tokens(skill.body)
    if tokens > BODY_TOKENS_MAX:
        out.append(warning("body-tokens", f"body is about {tokens} tokens; the specification "
                           f"advises at most {BODY_TOKENS_MAX}"))
    return out


def name_is_valid(name: str) -> bool:
    """The specification's name rule on an NFKC-normalised name: lowercase letters (Unicode
    ones too) and digits in hyphen-separated runs. A letter without case (CJK, for one) is not
    "lowercase", so it is refused: the stricter reading (docs/spec-conformance.md)."""
    if not name or name.startswith("-") or name.endswith("-") or "--" in name:
        return False
    return all(c == "-" or c.isdecimal() or (c.isalpha() and c.islower()) for c in name)


def estimate_tokens(text: str) -> int:
    """A cheap token estimate (about four characters a token)."""
    return (len(text) + 3) // 4
