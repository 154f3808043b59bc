"""Routing index builds through the Library: persisted beside the db, incremental, grouped."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import numpy as np
import pytest

from conftest import SAMPLE_SKILLS, write_skill
from skillyard.api import Library
from skillyard.route import storage
from skillyard.route.storage import RouteIndexError

FRONTEND = {"HKUDS@ClawTeam/frontend-design", "jdrhyne@agent-skills/frontend-design"}


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 41 sample skills, indexed and routed once for the whole module."""
    db = tmp_path_factory.mktemp("route") / "library.db"
    with Library(db) as lib:
        lib.index([str(SAMPLE_SKILLS)])
        report = lib.route_index()
    # The default build encodes descriptions with the static encoder alone: no model pass.
    assert report.skills == 41 and report.read == 41 and report.embedded == 0
    return db


def test_index_lives_beside_the_db_and_opens_memory_mapped(sample_db: Path) -> None:
    root = storage.index_dir(sample_db)
    assert root.parent == sample_db.parent and root.name == "library.db.route"
    gen = storage.current(root)
    assert gen is not None and len(gen.lines("ids")) == 41
    assert isinstance(gen.array("sdesc_proj"), np.memmap)
    norms = np.linalg.norm(gen.array("sdesc_proj"), axis=1)
    assert np.allclose(norms, 1.0, atol=1e-4)
    assert not (gen.path / "desc.npy").exists()  # no model vectors in a static build
    assert gen.manifest()["config"]["docs"] == "static"
    assert gen.manifest()["abstain"]["threshold"] > 0


def test_rebuild_with_nothing_changed_is_a_no_op(sample_db: Path) -> None:
    before = storage.current(storage.index_dir(sample_db))
    with Library(sample_db) as lib:
        report = lib.route_index()
    assert report.up_to_date and report.read == 0 and report.embedded == 0
    assert storage.current(storage.index_dir(sample_db)).path == before.path


def test_a_query_time_setting_does_not_make_the_index_stale(sample_db: Path) -> None:
    from dataclasses import replace

    from skillyard.route.build import build_index
    from skillyard.route.settings import RouteSettings

    before = storage.current(storage.index_dir(sample_db))
    query_time = replace(RouteSettings(), long_request=(10, 20), stage2_depth=10,
                         static_weight=0.5)
    with Library(sample_db) as lib:
        assert build_index(lib.store, settings=query_time).up_to_date
        stale = build_index(lib.store, settings=replace(RouteSettings(), abstain_quantile=0.7))
        assert not stale.up_to_date and stale.read == 0
        assert build_index(lib.store).up_to_date is False  # back to the default quantile
    assert storage.current(storage.index_dir(sample_db)).path != before.path


def test_near_duplicates_are_grouped_in_the_library(sample_db: Path) -> None:
    with Library(sample_db) as lib:
        rows = lib.store.query("SELECT skill_id, group_id, size FROM route_groups")
    members = {sid.split("sample-skills/")[1] for sid, _, _ in rows}
    assert members == FRONTEND
    assert {size for _, _, size in rows} == {2} and len({g for _, g, _ in rows}) == 1


def test_only_changed_skills_are_read_and_embedded(tmp_path: Path) -> None:
    src = tmp_path / "skills"
    write_skill(src, "pdf-tables", "Extract tables from PDF files into CSV.")
    write_skill(src, "git-helper", "Write clear git commit messages.")
    db = tmp_path / "lib.db"
    with Library(db) as lib:
        lib.index([str(src)])
        first = lib.route_index(full_model=True)
        assert (first.read, first.embedded) == (2, 2)
        # Body change, same description: re-read, but the vector comes from the cache.
        write_skill(src, "git-helper", "Write clear git commit messages.",
                    body="\n# Commits\n\nUse the imperative mood.\n")
        lib.index([str(src)])
        second = lib.route_index()
        assert (second.read, second.reused, second.embedded, second.cached) == (1, 1, 0, 1)
        # A new skill: only it is embedded.
        write_skill(src, "csv-cleaner", "Clean messy CSV files: fix encodings and delimiters.")
        lib.index([str(src)])
        third = lib.route_index()  # keeps the model, as the live index used it
        assert (third.read, third.reused, third.embedded) == (1, 2, 1)
        assert lib.route("my csv file has broken delimiters", k=1).results[0].name == \
            "csv-cleaner"
        full = lib.route_index(full=True)
        assert full.read == 3 and full.embedded == 3
        gen = storage.current(storage.index_dir(db))
        assert gen.manifest()["config"]["docs"] == "model" and (gen.path / "desc.npy").exists()
        static = lib.route_index(full_model=False)
        assert static.read == 3 and static.embedded == 0
        gen = storage.current(storage.index_dir(db))
        assert gen.manifest()["config"]["docs"] == "static"
        assert not (gen.path / "desc.npy").exists()
        assert lib.route("my csv file has broken delimiters", k=1).results[0].name == \
            "csv-cleaner"


def test_an_update_keeps_idf_and_projection_and_reused_rows(tmp_path: Path) -> None:
    src = tmp_path / "skills"
    for name, desc in (("pdf-tables", "Extract tables from PDF files into CSV."),
                       ("git-helper", "Write clear git commit messages."),
                       ("poem", "Write rhyming poems for birthdays."),
                       ("hike", "Plan a hiking trip with maps and weather."),
                       ("budget", "Track monthly expenses in a spreadsheet.")):
        write_skill(src, name, desc)
    db = tmp_path / "lib.db"
    root = storage.index_dir(db)
    with Library(db) as lib:
        lib.index([str(src)])
        lib.route_index()
        before = storage.current(root)
        idf, sproj = before.array("static_idf", mmap=False), before.array("sdesc_proj", mmap=False)
        old_ids = before.lines("ids")
        assert before.manifest()["fitted_on"] == 5
        write_skill(src, "csv-cleaner", "Clean messy CSV files: fix encodings and delimiters.")
        lib.index([str(src)])
        assert lib.route_index().read == 1
        after = storage.current(root)
        assert after.manifest()["fitted_on"] == 5  # within the drift allowance: kept
        assert np.array_equal(after.array("static_idf"), idf)
        ids = after.lines("ids")
        kept = [ids.index(sid) for sid in old_ids]
        assert np.array_equal(after.array("sdesc_proj")[kept], sproj)
        # A full build fits them again, on the six skills.
        lib.route_index(full=True)
        again = storage.current(root)
        assert again.manifest()["fitted_on"] == 6
        assert not np.array_equal(again.array("static_idf"), idf)
        assert lib.route("my csv file has broken delimiters", k=1).results[0].name == \
            "csv-cleaner"


def test_reference_file_names_and_headings_are_searchable(tmp_path: Path) -> None:
    src = tmp_path / "skills"
    write_skill(src, "alpha", "Look after cluster workloads.", files={
        "references/kubernetes-operators.md": "# Reconcile loops\n\nText.\n"})
    for name, desc in (("beta", "Write birthday poems."), ("gamma", "Plan a hiking trip."),
                       ("delta", "Track monthly expenses."), ("omega", "Format Python code.")):
        write_skill(src, name, desc)
    with Library(tmp_path / "lib.db") as lib:
        lib.index([str(src)])
        by_heading = lib.route("reconcile loop", k=2, explain=True).results[0]
        by_filename = lib.route("kubernetes operators", k=2, explain=True).results[0]
    assert by_heading.name == "alpha" and by_filename.name == "alpha"
    assert "reconcil" in by_heading.explain["matched_terms"]
    assert {"kubernet", "oper"} <= set(by_filename.explain["matched_terms"])
    assert by_filename.explain["signals"]["lexical"]["rank"] == 1


def test_a_broken_index_is_one_clear_error(tmp_path: Path) -> None:
    src = tmp_path / "skills"
    write_skill(src, "one")
    db = tmp_path / "lib.db"
    with Library(db) as lib:
        lib.index([str(src)])
        lib.route_index()
    root = storage.index_dir(db)
    gen = storage.current(root)
    shutil.rmtree(gen.path)
    with Library(db) as lib, pytest.raises(RouteIndexError, match="reindex"):
        lib.route("anything")
    (root / "CURRENT").unlink()
    with Library(db) as lib:  # no index at all: the first route builds one
        assert lib.route("anything", k=1).results[0].name == "one"


def test_empty_library_routes_to_nothing(tmp_path: Path) -> None:
    with Library(tmp_path / "empty.db") as lib:
        result = lib.route("write a poem")
    assert result.results == [] and result.abstain


def test_concurrent_builds_leave_one_valid_index(tmp_path: Path) -> None:
    src = tmp_path / "skills"
    for name in ("one", "two", "three"):
        write_skill(src, name, f"The {name} skill.")
    db = tmp_path / "lib.db"
    with Library(db) as lib:
        lib.index([str(src)])
    errors: list[BaseException] = []

    def build() -> None:
        try:
            with Library(db) as lib:
                lib.route_index(full=True)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=build) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    root = storage.index_dir(db)
    assert len(list(root.glob("gen-*"))) == 1
    with Library(db) as lib:
        assert lib.route("the two skill", k=1).results[0].name == "two"


def test_a_damaged_generation_is_one_clear_error(tmp_path: Path) -> None:
    src = tmp_path / "skills"
    write_skill(src, "one")
    db = tmp_path / "lib.db"
    with Library(db) as lib:
        lib.index([str(src)])
        lib.route_index()
    gen = storage.current(storage.index_dir(db))
    (gen.path / "names.txt").unlink()
    with Library(db) as lib, pytest.raises(RouteIndexError, match="reindex"):
        lib.route("anything")
    with Library(db) as lib:
        report = lib.route_index()  # the damaged generation is not reused
        assert report.read == 1 and not report.up_to_date
        assert lib.route("anything", k=1).results[0].name == "one"
