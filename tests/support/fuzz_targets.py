"""Fuzz targets shared by the hypothesis tests (tests/test_hardening_fuzz.py) and the long-run
fuzzer (bench/fuzz.py). Each target feeds one kind of untrusted input through the real reader
and returns normally, or raises one of the errors that reader documents; anything else is a
crash. Inputs are inert: built from the project's own sample files and synthetic tokens."""

from __future__ import annotations

import contextlib
import json
import tempfile
from collections.abc import Callable
from pathlib import Path

import yaml

from skillyard import frontmatter, safeyaml
from skillyard.errors import SkillyardError
from skillyard.skill import Provenance, SkillFile, decode_skill_md, parse_skill_md, sha256_hex

# Tokens worth splicing into YAML-ish text: tags, anchors, aliases, flow and block syntax,
# document markers, odd whitespace and Unicode.
YAML_TOKENS = [
    "!!int ", "!!float ", "!!bool ", "!!timestamp ", "!!binary ", "!!python/object:os.system ",
    "!!str ", "!x ", "&a ", "*a", "&b [*a, *a, *a]", "[", "]", "{", "}", ": ", "- ", "? ",
    "---\n", "...\n", "|\n  ", ">-\n  ", "\t", "\n  ", "#", "'", '"', "\\", "%YAML 1.1\n",
    "<<: *a\n", "\ufeff", "\u202e", "\x85", "\u2028", "\U0001f600", "\ud800", "2024-13-45",
    "0x1F", ".nan", "~", "null", "yes", "9" * 30, "a" * 300,
]


class Crash(Exception):
    """A target raised something its reader does not document."""


def _md_skill(text: str, strict: bool) -> None:
    prov = Provenance(source="fuzz", kind="folder")
    with contextlib.suppress(SkillyardError):
        parse_skill_md(text, folder_name="fuzz-skill", skill_id="fuzz", provenance=prov,
                       strict=strict)


def skill_md(data: bytes) -> None:
    """SKILL.md bytes: decode, split, load YAML, validate, strict and lenient."""
    try:
        text = decode_skill_md(data, "fuzz")
    except SkillyardError:
        return
    frontmatter.parse(text, strict=True)  # documented never to raise
    frontmatter.parse(text, strict=False)
    _md_skill(text, True)
    _md_skill(text, False)


def yaml_text(text: str) -> None:
    """Any text through the safe loader: a value, or a yaml.YAMLError."""
    with contextlib.suppress(yaml.YAMLError):
        safeyaml.load(text)
    frontmatter.parse(f"---\n{text}\n---\nbody\n")


class Workdir:
    """One scratch folder per fuzzing session (inputs that must be files are written here)."""

    def __init__(self) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="skillyard-fuzz-")
        self.path = Path(self._tmp.name)

    def write(self, name: str, data: bytes) -> Path:
        target = self.path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        return target

    def close(self) -> None:
        self._tmp.cleanup()


def corpus(work: Workdir, data: bytes) -> None:
    """A JSONL corpus file: every record loads or is rejected; a broken file is a SourceError."""
    from skillyard.sources.corpus import load_corpus

    path = work.write("corpus.jsonl", data)
    try:
        for result in load_corpus(path):
            if result.skill is not None:  # all text, as the store, the digest and JSON need
                json.dumps(result.skill.to_dict(), ensure_ascii=False).encode("utf-8")
                assert result.skill.digest
    except SkillyardError:
        pass


def trajectory(work: Workdir, data: bytes, suffix: str = ".jsonl") -> None:
    """A trajectory file of any supported format: trajectories, or a TrajectoryError."""
    from skillyard.learn.importers import load_file

    path = work.write(f"run{suffix}", data)
    with contextlib.suppress(SkillyardError):
        for run in load_file(path):  # all text, as the store and JSON output need
            json.dumps(run.to_dict(), ensure_ascii=False, default=str).encode("utf-8")


def lockfile(text: str) -> None:
    from skillyard.install.lockfile import parse_lock

    with contextlib.suppress(SkillyardError):
        parse_lock(text, Path("skillyard.lock"))


def policy(work: Workdir, text: str) -> None:
    from skillyard.audit import load_policy, load_rules

    path = work.write("policy.toml", text.encode("utf-8", "surrogatepass"))
    with contextlib.suppress(SkillyardError):
        load_policy(path, load_rules())


def archive(data: bytes, name: str = "assets/bundle.zip") -> None:
    """An archive inside a skill, through the auditor (which must never raise on content)."""
    from skillyard.audit import audit

    md = b"---\nname: fuzz-skill\ndescription: Holds an archive for the fuzzer.\n---\nbody\n"
    files = (SkillFile("SKILL.md", len(md), sha256_hex(md), data=md),
             SkillFile(name, len(data), sha256_hex(data), data=data))
    skill = parse_skill_md(md.decode(), folder_name="fuzz-skill", skill_id="fuzz",
                           provenance=Provenance(source="fuzz", kind="folder"), files=files)
    audit(skill)


def index_folder(work: Workdir, data: bytes, strict: bool) -> None:
    """End to end: a folder with this SKILL.md indexed into a real library (never raises)."""
    from skillyard import Library

    folder = work.path / "tree"
    work.write("tree/fuzz-skill/SKILL.md", data)
    work.write("tree/good-skill/SKILL.md",
               b"---\nname: good-skill\ndescription: A fine skill.\n---\nbody\n")
    with Library(work.path / "fuzz.db") as lib:
        report = lib.index([str(folder)], strict=strict)
    if not any("good-skill" in i for i in report.ids):
        raise Crash("one bad skill cost the good one its place in the index")


def lock_seed(work: Workdir) -> str:
    """A real lockfile text (two skills, one with an override) for mutation."""
    digest_files = {"SKILL.md": {"sha256": "0" * 64, "size": 10}}
    from skillyard.skill import skill_digest

    digest = skill_digest([SkillFile("SKILL.md", 10, "0" * 64)])
    entry = {"source": {"kind": "folder", "location": "vendor/a", "path": ""}, "id": "dir:/a",
             "digest": digest, "files": digest_files,
             "audit": {"verdict": "allow", "tier": 2, "findings": 0}, "override": None}
    return json.dumps({"lockfile": 2, "skills": {"a": entry}}, indent=2)


POLICY_SEED = """\
[thresholds]
block = "high"
warn = "medium"

[tiers]
default = 2

[[sources]]
id = "dir:*"
ceiling = 1

[rules.hidden-html-comment]
severity = "low"
"""

Target = Callable[..., None]
