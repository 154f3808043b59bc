"""A library with something in every table (for export/import tests), and a full snapshot of
a library to compare two of them row by row."""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from conftest import SAMPLE_SKILLS, write_skill
from skillyard import Library
from skillyard.evaluate.engine import TrialResult
from skillyard.evaluate.store import EvalStore
from skillyard.learn.candidates import record
from skillyard.library.store import Store
from skillyard.library.transfer import TABLES

VERSIONED = "pdf-notes"


def populate(lib: Library, work: Path) -> str:
    """41 sample skills, one skill in three versions (a binary file in one), audit verdicts,
    routing embeddings and near-duplicate groups, a second embedding model, an evaluation run
    with trials, triggers and matches, a learn candidate and a meta row. Returns the id of the
    versioned skill."""
    lib.index([str(SAMPLE_SKILLS)])
    src = work / "src"
    folder = write_skill(src, VERSIONED, body="\n# One\n\nFirst take.\n")
    lib.index([str(src)])
    write_skill(src, VERSIONED, body="\n# Two — ünïcödé ✓\n\nSecond take.\n",
                files={"data/table.bin": bytes(range(256)) * 8})
    lib.index([str(src)])
    (folder / "data" / "table.bin").write_bytes(b"\x00\xff" * 3000)
    lib.index([str(src)])
    skill_id = lib.resolve(VERSIONED)
    lib.audit()
    lib.route_index()
    rng = np.random.default_rng(7)
    lib.store.put_vectors("test-model-8", [(bytes([i]) * 32, rng.standard_normal(8)
                                            .astype(np.float32)) for i in range(20)])
    runs = EvalStore(lib.store)
    run = runs.create_run("experiment", {"tasks": ["t1", "t2"], "arms": ["none", "skill"],
                                         "note": "ünïcödé"})
    runs.add_trials(run, [
        TrialResult("t1", "none", 0, False, 0.0, "ok", None, 120, 30, 1.25, 0.5, 1.75,
                    [], {"log": "x"}),
        TrialResult("t1", "skill", 0, True, 1.0, "ok", None, 140, 35, 1.1, 0.4, 1.5,
                    [{"id": skill_id}], {}),
        TrialResult("t2", "skill", 0, False, None, "error", "boom", 0, 0, 0.1, 0.0,
                    0.1 + 0.2, [], {}),
    ])
    runs.add_triggers(run, [{"qid": "q1", "query": "make notes from a pdf",
                             "should_trigger": True, "positives": [skill_id],
                             "negatives": [], "routed": [skill_id]}])
    runs.add_matches(run, [(0, skill_id, "other", "t1", 0.5)])
    runs.finish_run(run)
    record(lib.store, skill_id=skill_id, name=VERSIONED, decision="revise", method="distill",
           status="rejected", base_version=3, published_version=None, digest="d" * 64,
           reasons=["regressed on t2"], gate={"audit": "pass"},
           files={"SKILL.md": "---\nname: pdf-notes\n---\nbody\n"},
           provenance={"trajectories": ["run.json"]})
    lib.store.execute("INSERT INTO meta (key, value) VALUES (?, ?)", ("owner", "team ✓"))
    _registry_rows(lib, skill_id)
    return skill_id


def _registry_rows(lib: Library, skill_id: str) -> None:
    """A token, a published-version row, an acceptance and a log entry (no new skill)."""
    from skillyard.registry.log import WriteLog
    from skillyard.registry.tokens import TokenStore

    TokenStore(lib.store).create(role="publish", scope="team/*", name="ci", expires="30d")
    WriteLog(lib.store).record("ci (abc)", "publish", "team/pdf-notes", version="1.0")
    lib.store.execute(
        "INSERT INTO registry_versions (skill_id, version, namespace, name, label, digest, "
        "publisher, published_at, upload_sha256, status, status_reason, verdict, tier, "
        "findings, audited_at) VALUES (?, 3, 'team', 'pdf-notes', '1.0', ?, 'ci', "
        "'2026-01-01T00:00:00.000000Z', ?, 'active', '', 'allow', 2, '[]', "
        "'2026-01-01T00:00:00.000000Z')", (skill_id, "e" * 64, "f" * 64))
    lib.store.execute(
        "INSERT INTO registry_acceptances (skill_id, digest, rule, file, reason, accepted_by, "
        "accepted_at) VALUES (?, ?, 'raw-ip-host', 'SKILL.md', 'our host ✓', 'lead', "
        "'2026-01-01T00:00:00.000000Z')", (skill_id, "e" * 64))


def _norm(value: Any) -> Any:
    return bytes(value) if isinstance(value, memoryview | bytearray) else value


def snapshot(store: Store) -> dict[str, Any]:
    """Every row of every table (sorted), every embedding, and every version read back."""
    out: dict[str, Any] = {}
    for table in TABLES:
        rows = store.query(f"SELECT {', '.join(table.columns)} FROM {table.name}")
        out[table.name] = sorted((tuple(_norm(v) for v in row) for row in rows), key=repr)
    keys = store.query("SELECT model, key, dims FROM embeddings")
    vectors = []
    for model, key, dims in keys:
        vec = store.get_vectors(model, [bytes(key)])[bytes(key)]
        vectors.append((model, bytes(key), dims, vec.astype("<f4").tobytes()))
    out["embeddings"] = sorted(vectors)
    skills = {}
    for (skill_id,) in store.query("SELECT id FROM skills"):
        per = []
        for info in store.versions(skill_id):
            skill = store.get(skill_id, info.version)
            per.append((info.version, info.digest, info.created_at, skill.digest, skill.body,
                        skill.frontmatter, skill.files, skill.provenance, skill.diagnostics,
                        [store.read_blob(f.sha256) for f in skill.files
                         if f.kind == "file" and f.note is None]))
        skills[skill_id] = per
    out["read_back"] = skills
    return out


def rewrite(archive: Path, target: Path, change: Callable[[list[bytes]], list[bytes]],
            *, rehash: bool = True) -> None:
    """Copy an archive with its lines changed; with ``rehash`` the trailer checksum is
    recomputed so only deeper checks can notice."""
    lines = gzip.decompress(archive.read_bytes()).splitlines(keepends=True)
    body = change(lines[:-1])
    trailer = json.loads(lines[-1])
    if rehash:
        digest = hashlib.sha256()
        for line in body:
            digest.update(line)
        trailer["sha256"] = digest.hexdigest()
    data = b"".join(body) + (json.dumps(trailer) + "\n").encode()
    target.write_bytes(gzip.compress(data))
