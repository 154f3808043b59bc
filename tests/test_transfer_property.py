"""Property: for any skill contents (unicode names and bodies, binary files, several
versions), export -> import gives back the same digests, versions, bytes and rows."""

from __future__ import annotations

import functools
import io
import tempfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skillyard import Library
from skillyard.errors import SkillyardError
from skillyard.library.store import Store
from skillyard.library.transfer import ALL_TABLES, export_stream
from skillyard.library.transfer_import import import_stream
from skillyard.skill import SKILL_FILE, Provenance, Skill, SkillFile, render, sha256_hex
from support.transfer_data import snapshot

# Everything a TEXT column holds on both backends (PostgreSQL refuses NUL in text).
TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
               max_size=60)
NAME = st.from_regex(r"[a-z0-9]{1,10}(-[a-z0-9]{1,8}){0,2}", fullmatch=True)
PATH = st.from_regex(r"(scripts|assets|data)/[a-z0-9_.-]{1,12}", fullmatch=True)
CONTENT = st.one_of(st.binary(max_size=600),
                    st.builds(lambda b, n: b * n, st.binary(min_size=1, max_size=4),
                              st.integers(100, 400)))  # compressible: stored zlib'd


@st.composite
def skill_versions(draw: st.DrawFn, index: int) -> list[Skill]:
    """One skill id in 1-3 versions; the body is sometimes not a suffix of SKILL.md (then the
    store keeps it as its own blob)."""
    name = draw(NAME)
    skill_id = f"prop:{index}:" + draw(TEXT)
    provenance = Provenance(source=draw(TEXT) or "src", kind="corpus", path=draw(TEXT),
                            commit=draw(st.none() | st.from_regex(r"[0-9a-f]{40}",
                                                                  fullmatch=True)))
    versions = []
    for _ in range(draw(st.integers(1, 3))):
        body = draw(TEXT)
        front = {"name": name, "description": draw(TEXT) or "d", "metadata": {"k": draw(TEXT)}}
        text = render(front, body) + draw(st.sampled_from(["", "\n<!-- edited -->"]))
        data = text.encode("utf-8")
        files = [SkillFile(SKILL_FILE, len(data), sha256_hex(data), data=data)]
        for path, content in draw(st.dictionaries(PATH, CONTENT, max_size=3)).items():
            files.append(SkillFile(path, len(content), sha256_hex(content), data=content))
        versions.append(Skill(skill_id, name, front["description"], front, body, tuple(files),
                              provenance))
    return versions


LIBRARIES = st.integers(1, 3).flatmap(
    lambda n: st.tuples(*(skill_versions(i) for i in range(n))))


def _fill(store: Store, libraries: tuple[list[Skill], ...]) -> None:
    for round_ in range(3):
        batch = [versions[round_] for versions in libraries if round_ < len(versions)]
        store.put(batch)


def _round_trip(source: Store, target: Store) -> None:
    buffer = io.BytesIO()
    export_stream(source, buffer)
    buffer.seek(0)
    report = import_stream(target, buffer)
    assert report.verified_versions == source.stats()["versions"]
    assert snapshot(target) == snapshot(source)
    assert [s.digest for s in target.summaries()] == [s.digest for s in source.summaries()]


@settings(max_examples=40, deadline=None)
@given(LIBRARIES)
def test_sqlite_round_trip_preserves_digests(libraries: tuple[list[Skill], ...]) -> None:
    with tempfile.TemporaryDirectory() as tmp, Library(Path(tmp) / "a.db") as a, \
            Library(Path(tmp) / "b.db") as b:
        _fill(a.store, libraries)
        for versions in libraries:
            got = [v.digest for v in a.versions(versions[0].id)]
            assert got[-1] == versions[-1].digest
        _round_trip(a.store, b.store)


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(LIBRARIES)
def test_sqlite_to_postgres_preserves_digests(pg_dsn: str,
                                              libraries: tuple[list[Skill], ...]) -> None:
    with tempfile.TemporaryDirectory() as tmp, Library(Path(tmp) / "a.db") as a, \
            Library(pg_dsn) as pg:
        with pg.store.transaction():  # one database for every example: start empty
            for table in reversed(ALL_TABLES):
                pg.store.execute(f"DELETE FROM {table.name}")
        _fill(a.store, libraries)
        _round_trip(a.store, pg.store)


@functools.cache
def _small_archive() -> tuple[bytes, str]:
    """A skill with a binary file, and a vector, exported once; (archive, its snapshot)."""
    with tempfile.TemporaryDirectory() as tmp, Library(Path(tmp) / "src.db") as lib:
        data = b"\x00\x01binary\xff" * 40
        front = {"name": "fuzz", "description": "d"}
        md = render(front, "# Fuzz ✓\n").encode()
        lib.add([Skill("fuzz:1", "fuzz", "d", front, "# Fuzz ✓\n",
                       (SkillFile(SKILL_FILE, len(md), sha256_hex(md), data=md),
                        SkillFile("assets/x.bin", len(data), sha256_hex(data), data=data)),
                       Provenance("src", "corpus"))])
        lib.store.put_vectors("m", [(b"key", np.arange(4, dtype=np.float32))])
        buffer = io.BytesIO()
        export_stream(lib.store, buffer)
        return buffer.getvalue(), repr(snapshot(lib.store))


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_damaged_archives_fail_cleanly(data: st.DataObject) -> None:
    """Any damage to the file — bytes flipped, cut, inserted or dropped — is either one
    SkillyardError with the target unchanged, or (gzip header bytes the CRC does not cover)
    an import identical to the original."""
    good, expected = _small_archive()
    damaged = bytearray(good)
    for _ in range(data.draw(st.integers(1, 3))):
        where = data.draw(st.integers(0, len(damaged) - 1))
        how = data.draw(st.sampled_from(["flip", "cut", "insert", "drop"]))
        if how == "flip":
            damaged[where] ^= data.draw(st.integers(1, 255))
        elif how == "cut":
            del damaged[where:]
        elif how == "insert":
            damaged[where:where] = data.draw(st.binary(min_size=1, max_size=8))
        else:
            del damaged[where:where + data.draw(st.integers(1, 64))]
        if not damaged:
            damaged = bytearray(b"\x1f")
    with tempfile.TemporaryDirectory() as tmp, Library(Path(tmp) / "t.db") as target:
        empty = snapshot(target.store)
        try:
            import_stream(target.store, io.BytesIO(bytes(damaged)))
        except SkillyardError:
            assert snapshot(target.store) == empty
        else:
            assert repr(snapshot(target.store)) == expected
