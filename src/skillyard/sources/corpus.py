"""Load skills from a JSONL or JSONL.gz corpus of records ``{id, name, description, body, ...}``.

Records with a ``skill_md`` field (the shared corpus format) are parsed from that text; records
with only name/description/body (public routing benchmarks) are rendered into SKILL.md first.
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from ..errors import SkillLoadError, SourceError
from ..skill import Provenance, Skill, decode_skill_md, parse_skill_md, render
from ..utf8 import NOT_TEXT, not_text_at
from .result import LoadResult

# Record fields kept in provenance (they describe where a record came from, not the skill).
_PROVENANCE_FIELDS = (
    "source_repo", "source_path", "git_blob", "dup_group", "body_dup_group", "lang", "files",
    "license_files", "exact_dup_ids",
)


def is_corpus_path(text: str) -> bool:
    return text.endswith((".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz"))


def _open(path: Path) -> IO[bytes]:
    if path.suffix == ".gz":
        return gzip.open(path, "rb")
    return path.open("rb")


def _folder_name(record: dict[str, Any]) -> str | None:
    source_path = record.get("source_path")
    if isinstance(source_path, str) and "/" in source_path:
        return source_path.rsplit("/", 2)[-2]
    rid = str(record.get("id", ""))
    tail = rid.rsplit("/", 1)[-1]
    return tail.split("@", 1)[-1] if tail else None


def record_to_skill(
    record: dict[str, Any], *, source: str, strict: bool = False
) -> Skill:
    """Turn one corpus record into a Skill (raises SkillLoadError)."""
    rid = record.get("id")
    if not isinstance(rid, str) or not rid:
        raise SkillLoadError("record", "record has no string 'id'")
    text = record.get("skill_md")
    if isinstance(text, str):
        decode_skill_md(text.encode("utf-8", "surrogatepass"), rid)  # empty/binary checks
    else:
        front = {k: record[k] for k in ("name", "description") if record.get(k)}
        body = record.get("body") or ""
        if not isinstance(body, str):
            raise SkillLoadError(rid, f"record 'body' must be text, not {type(body).__name__}")
        if not front and not body:
            raise SkillLoadError(rid, "record has neither skill_md nor name/description/body")
        text = render(front, body if body.startswith("\n") else "\n" + body)
    extra = {k: record[k] for k in _PROVENANCE_FIELDS if record.get(k) not in (None, [], "")}
    provenance = Provenance(source=source, kind="corpus", path=rid, extra=extra)
    return parse_skill_md(
        text, folder_name=_folder_name(record), skill_id=rid, provenance=provenance,
        strict=strict,
    )


def load_corpus(path: Path, *, strict: bool = False) -> Iterator[LoadResult]:
    """Yield one LoadResult per record; a broken file raises SourceError naming the line."""
    path = Path(path)
    if not path.is_file():
        raise SourceError(f"{path}: no such corpus file")
    source = str(path.resolve())
    line_no = 0
    try:
        with _open(path) as handle:
            for line_no, raw in enumerate(handle, start=1):  # noqa: B007
                if not raw.strip():
                    continue
                where = f"{path.name}:{line_no}"
                try:
                    record = json.loads(raw)
                except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                    yield LoadResult(where=where, skill=None, error=f"not valid JSON: {exc}")
                    continue
                except RecursionError:
                    yield LoadResult(where=where, skill=None, error="JSON nested too deeply")
                    continue
                if not isinstance(record, dict):
                    yield LoadResult(where=where, skill=None, error="record is not an object")
                    continue
                # only a \\u escape makes a lone surrogate: look when there is one (a NUL
                # deep in a body is kept, as in a SKILL.md file; frontmatter refuses it)
                bad = not_text_at(record, allow_nul=True) if b"\\ud" in raw.lower() else None
                if bad is not None:
                    yield LoadResult(where=where, skill=None, error=f"{bad} {NOT_TEXT}")
                    continue
                try:
                    skill = record_to_skill(record, source=source, strict=strict)
                except SkillLoadError as exc:
                    yield LoadResult(where=f"{where} ({exc.where})", skill=None, error=exc.reason)
                else:
                    yield LoadResult(where=where, skill=skill)
    except (EOFError, gzip.BadGzipFile, zlib.error, OSError) as exc:
        raise SourceError(
            f"{path}: corrupt or truncated after line {line_no} ({exc.__class__.__name__}: "
            f"{exc})"
        ) from None
