"""Cross-lingual routing (route/xling.py): on by default, ``reindex --monolingual`` and
``--multilingual``, through the Python API and the CLI, with the real multilingual encoder on
a small library."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import write_skill
from skillyard.api import Library
from skillyard.route import storage, xling
from skillyard.route.router import RouteIndex

pytestmark = pytest.mark.skipif(not xling.available(), reason="multilingual encoder missing")

SKILLS = {
    "pdf-to-markdown": "Convert scanned PDF documents into clean Markdown, keeping tables and "
                       "the page layout.",
    "unit-test-writer": "Write unit tests with mocks for service classes.",
    "linkedin-post": "Draft engaging LinkedIn posts with a hook and hashtags for company news.",
    "weather-forecast": "Look up the weather forecast for a city: rain, temperature, wind.",
    "sql-tuner": "Speed up slow SQL queries with indexes and query plans.",
    "invoice-maker": "Create invoices from billable hours and send them to clients.",
    "git-commits": "Write clear git commit messages in the imperative mood.",
    "resume-review": "Review a CV or resume and suggest improvements for a job application.",
}
# (request, the skill it is for), in German, Spanish and Chinese
FOREIGN = [
    ("wandle dieses gescannte PDF in sauberes Markdown um", "pdf-to-markdown"),
    ("wird es morgen in Berlin regnen?", "weather-forecast"),
    ("escribe una publicación para LinkedIn anunciando nuestra nueva oficina", "linkedin-post"),
    ("mi consulta SQL es muy lenta, ¿cómo la acelero?", "sql-tuner"),
    ("帮我给支付服务类写单元测试", "unit-test-writer"),
    ("帮我修改一下我的简历", "resume-review"),
]


def run(*args: str, db: Path, check: bool = True) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "skillyard", *args, "--db", str(db)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if check and proc.returncode != 0:
        raise AssertionError(f"{args} exited {proc.returncode}: {proc.stderr}")
    return proc


@pytest.fixture(scope="module")
def skills_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("xling") / "skills"
    for name, desc in SKILLS.items():
        write_skill(root, name, desc)
    return root


def test_language_detection() -> None:
    for text in ("convert this scanned PDF to Markdown", "write unit tests with pytest mocks",
                 "set up FAQ schema markup for our LinkedIn page", "", "1234 !!"):
        assert not xling.is_foreign(text), text
    for text, _ in FOREIGN:
        assert xling.is_foreign(text), text
    assert xling.is_foreign("¿qué hora es?") and xling.is_foreign("東京の天気は?")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_language_detection_takes_any_text(text: str) -> None:
    assert isinstance(xling.is_foreign(text), bool)


def test_build_vectors_in_blocks_match_one_pass(monkeypatch: pytest.MonkeyPatch,
                                                tmp_path: Path) -> None:
    """A build encodes a block of skills at a time straight into its array (no second copy
    of a large library's vectors); the rows are those of encoding every skill at once, and
    unchanged skills are copied from the previous generation, not encoded."""
    names = [f"{name}-{i}" for i in range(40) for name in SKILLS]
    descs = [desc for _ in range(40) for desc in SKILLS.values()]
    whole = xling.shared_encoder().encode(
        [xling.passage(n, d) for n, d in zip(names, descs, strict=True)])
    monkeypatch.setattr(xling, "BUILD_BLOCK", xling.BATCH)  # 320 skills: three blocks
    seen: list[tuple[str, int, object]] = []
    vecs, encoded = xling.build_vectors(names, descs, None, [None] * len(names),
                                        progress=lambda *a: seen.append(a))
    assert encoded == len(names) and np.allclose(vecs, whole, atol=1e-5)
    assert seen[-1] == ("multilingual encoder", len(names), len(names))
    old = np.eye(2, xling.DIM, dtype=np.float32)
    np.save(tmp_path / xling.FILE, old)
    kept, encoded = xling.build_vectors(names[:3], descs[:3], tmp_path, [1, None, 0])
    assert encoded == 1 and (kept[0] == old[1]).all() and (kept[2] == old[0]).all()
    assert np.allclose(kept[1], whole[1], atol=1e-5)


def test_default_index_routes_other_languages(skills_dir: Path, tmp_path: Path) -> None:
    db = tmp_path / "lib.db"
    with Library(db) as lib:
        lib.index([str(skills_dir)])
        report = lib.route_index()  # multilingual by default
        assert not report.up_to_date and report.stages["multilingual"] >= 0
        assert xling.in_index(storage.current(storage.index_dir(db)))
        assert lib.route_index(multilingual=True).up_to_date
        gen = storage.current(storage.index_dir(db))
        meta = gen.manifest()["multilingual"]
        assert meta["model"] == xling.MODEL_ID and meta["encoded"] == len(SKILLS)
        assert 0 < meta["threshold"] < 1
        ml = RouteIndex(gen).ml
        assert ml is not None and ml.shape == (len(SKILLS), xling.DIM)
        assert np.allclose(np.linalg.norm(np.asarray(ml, np.float32), axis=1), 1, atol=1e-2)
        for query, gold in FOREIGN:
            res = lib.route(query, k=3, explain=True)
            assert res.results[0].name == gold, (query, [h.name for h in res.results])
            assert not res.abstain, query
            assert "xling" in res.results[0].explain["signals"]
        # English requests do not run the multilingual encoder at all
        res = lib.route("my SQL query is slow", k=3, explain=True)
        assert res.results[0].name == "sql-tuner"
        assert "xling" not in res.results[0].explain["signals"]
        # small talk in another language is abstained on
        assert lib.route("给我讲个关于猫的笑话", k=3).abstain


def test_option_is_kept_on_updates_and_can_be_dropped(skills_dir: Path, tmp_path: Path
                                                      ) -> None:
    db = tmp_path / "lib.db"
    with Library(db) as lib:
        lib.index([str(skills_dir)])
        lib.route_index(multilingual=True)
        assert lib.route_index(multilingual=True).up_to_date
        extra = tmp_path / "more"
        write_skill(extra, "translate-text", "Translate a paragraph between languages.")
        lib.index([str(extra)])
        report = lib.route_index()  # None keeps the option
        gen = storage.current(storage.index_dir(db))
        assert report.reused == len(SKILLS) and gen.manifest()["multilingual"]["encoded"] == 1
        assert lib.route("übersetze diesen Absatz ins Französische", k=1).results[0].name == \
            "translate-text"
        report = lib.route_index(multilingual=False)
        assert not report.up_to_date
        assert not xling.in_index(storage.current(storage.index_dir(db)))
        # the choice is kept: a later update without the option stays English-only
        write_skill(extra, "haiku-writer", "Write a haiku about a given topic.")
        lib.index([str(extra)])
        assert not lib.route_index().up_to_date
        live = storage.current(storage.index_dir(db))
        assert not xling.in_index(live) and live.manifest()["monolingual"] is True
        # without the vectors a foreign request is still routed, on the default signals,
        # which cannot cross languages: the option is what finds them
        tops = [lib.route(query, k=3).results[0].name for query, _ in FOREIGN]
        assert sum(top == gold for top, (_, gold) in zip(tops, FOREIGN, strict=True)) <= 3
        assert not lib.route_index(multilingual=True).up_to_date  # and back on
        assert xling.in_index(storage.current(storage.index_dir(db)))
        assert "monolingual" not in storage.current(storage.index_dir(db)).manifest()


def test_an_index_written_english_only_by_default_gains_the_vectors(
        skills_dir: Path, tmp_path: Path) -> None:
    """An index from before the default changed (no vectors, no recorded choice) is brought
    to the default on its next update; unchanged skills keep their other vectors."""
    db = tmp_path / "lib.db"
    with Library(db) as lib:
        lib.index([str(skills_dir)])
        lib.route_index(multilingual=False)
        live = storage.current(storage.index_dir(db))
        manifest = live.manifest()
        del manifest["monolingual"]
        live.save_manifest(manifest)
        report = lib.route_index()
        assert not report.up_to_date and report.reused == len(SKILLS)
        assert xling.in_index(storage.current(storage.index_dir(db)))


def test_cli_reindex_multilingual(skills_dir: Path, tmp_path: Path) -> None:
    db = tmp_path / "lib.db"
    run("index", str(skills_dir), "--json", db=db)  # multilingual by default
    assert json.loads(run("reindex", "--multilingual", "--json", db=db).stdout)["up_to_date"]
    routed = json.loads(run("route", "帮我修改一下我的简历", "-k", "2", "--json", db=db).stdout)
    assert routed["results"][0]["name"] == "resume-review" and not routed["abstain"]
    batch = tmp_path / "q.jsonl"
    batch.write_text("".join(json.dumps({"qid": str(i), "query": q}, ensure_ascii=False) + "\n"
                             for i, (q, _) in enumerate(FOREIGN)), encoding="utf-8")
    lines = [json.loads(x) for x in run("route", "--queries", str(batch), db=db).stdout.split(
        "\n") if x]
    assert [x["results"][0]["name"] for x in lines] == [gold for _, gold in FOREIGN]
    assert all(set(x) >= {"qid", "results", "latency_ms"} for x in lines)
    bad = run("reindex", "--multilingual", "--ray", db=db, check=False)
    assert bad.returncode == 2 and "--multilingual" in bad.stderr
    out = json.loads(run("reindex", "--monolingual", "--json", db=db).stdout)
    assert "multilingual" not in out["stages"] and not out["up_to_date"]
    assert json.loads(run("reindex", "--json", db=db).stdout)["up_to_date"]  # choice kept
    out = json.loads(run("reindex", "--multilingual", "--json", db=db).stdout)
    assert out["stages"]["multilingual"] >= 0 and out["skills"] == len(SKILLS)


def test_missing_package_fails_before_building(skills_dir: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "lib.db"
    with Library(db) as lib:
        lib.index([str(skills_dir)])
        lib.route_index()
        before = storage.current(storage.index_dir(db)).path.name
        monkeypatch.setattr(xling, "available", lambda: False)
        with pytest.raises(xling.MultilingualUnavailableError, match=xling.PACKAGE):
            lib.route_index(multilingual=True)
        assert storage.current(storage.index_dir(db)).path.name == before
        # by default, a library without the package is indexed for English requests only
        fresh = tmp_path / "fresh.db"
        with Library(fresh) as other:
            other.index([str(skills_dir)])
            other.route_index()
            assert not xling.in_index(storage.current(storage.index_dir(fresh)))
            assert other.route("my SQL query is slow", k=1).results[0].name == "sql-tuner"


def test_the_quantized_scan_gives_the_float32_results(skills_dir: Path, tmp_path: Path) -> None:
    """Foreign requests read the multilingual cosine from the int8 scan in a large library;
    forced on for this small one, the results are those of the float32 pass."""
    from dataclasses import replace

    from skillyard.route.router import Router
    from skillyard.route.settings import RouteSettings

    db = tmp_path / "lib.db"
    with Library(db) as lib:
        lib.index([str(skills_dir)])
        lib.route_index()
    index = RouteIndex.open(db)
    scanned = Router(index, settings=replace(RouteSettings(), quantized_scan_rows=1))
    exact = Router(index, settings=replace(RouteSettings(), quantized_scan_rows=0))
    assert index.ml_scan() is not None
    for query in [q for q, _ in FOREIGN] + ["给我讲个关于猫的笑话", "my SQL query is slow"]:
        a, b = scanned.route(query, k=5, explain=True), exact.route(query, k=5, explain=True)
        assert [h.id for h in a.results] == [h.id for h in b.results], query
        assert a.abstain == b.abstain
        assert np.allclose([h.score for h in a.results], [h.score for h in b.results],
                           atol=1e-3)


# Skills described only in Chinese, with names that say nothing in English, and English
# requests for them; and a Chinese translation of one of the English skills.
CHINESE_SKILLS = {
    "huiyi-jiyao": "把会议录音整理成会议纪要，列出每项决议、负责人和待办事项。",
    "tianqi-chaxun": "查询任意城市的实时天气和未来一周的天气预报，并给出穿衣和出行建议。",
}
TRANSLATION = ("sql-tuner", "用索引和查询计划加速缓慢的 SQL 查询。")
ENGLISH_FOR_CHINESE = [
    ("turn the recording of today's meeting into minutes with decisions and action items",
     "huiyi-jiyao"),
]


def test_english_requests_reach_skills_described_in_another_language(
        skills_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The English signals cannot read a Chinese description; for an English request the
    multilingual cosine stands in for them on such skills (xling.stand_in), in the float32
    pass and the int8 scan alike, and English-described skills keep their ranks."""
    from dataclasses import replace

    from skillyard.route.router import Router
    from skillyard.route.settings import RouteSettings

    extra = tmp_path / "zh"
    for name, desc in CHINESE_SKILLS.items():
        write_skill(extra, name, desc)
    write_skill(tmp_path / "zh-copy", *TRANSLATION)
    db = tmp_path / "lib.db"
    with Library(db) as lib:
        lib.index([str(skills_dir), str(extra), str(tmp_path / "zh-copy")])
        lib.route_index()
        meta = storage.current(storage.index_dir(db)).manifest()["multilingual"]
        assert meta["stand_in_skills"] == len(CHINESE_SKILLS)  # not the translation
    index = RouteIndex.open(db)
    assert sorted(index.names[r] for r in index.ml_stand_in) == sorted(CHINESE_SKILLS)
    routers = [Router(index, settings=replace(RouteSettings(), quantized_scan_rows=rows))
               for rows in (0, 1)]  # the float32 pass, and the int8 scan forced on
    for router in routers:
        for query, gold in ENGLISH_FOR_CHINESE:
            top = router.route(query, k=3, explain=True).results[0]
            assert top.name == gold, query
            assert top.explain["multilingual_stand_in"] is True
        top = router.route("my SQL query is slow", k=3, explain=True).results[0]
        assert top.name == "sql-tuner" and "multilingual_stand_in" not in top.explain
        assert router.route("will it rain in Berlin tomorrow?", k=1).results[0].name in (
            "weather-forecast", "tianqi-chaxun")
    monkeypatch.setattr(xling, "WEIGHTS", replace(xling.WEIGHTS, stand_in=0.0))
    for query, gold in ENGLISH_FOR_CHINESE:  # off: the English signals alone miss it
        assert routers[0].route(query, k=3).results[0].name != gold, query


def test_an_index_without_the_language_rows_gains_them(skills_dir: Path, tmp_path: Path
                                                       ) -> None:
    """An index written before the rows of other-language skills were kept is rebuilt on its
    next update (its vectors reused), not taken as up to date."""
    db = tmp_path / "lib.db"
    with Library(db) as lib:
        lib.index([str(skills_dir)])
        lib.route_index()
        (storage.current(storage.index_dir(db)).path / f"{xling.STAND_IN}.npy").unlink()
        assert RouteIndex.open(db).ml_stand_in.size == 0
        report = lib.route_index()
        assert not report.up_to_date and report.reused == len(SKILLS)
        gen = storage.current(storage.index_dir(db))
        assert gen.manifest()["multilingual"]["encoded"] == 0
        assert (gen.path / f"{xling.STAND_IN}.npy").is_file()


def test_stand_in_rows_leave_out_translations() -> None:
    """A skill in another language is stood in for unless an English skill of the same name
    is this close to it in the multilingual space (its original)."""
    basis = np.eye(4, dtype=np.float32)
    near = np.array([0.9, np.sqrt(1 - 0.81), 0, 0], np.float32)  # cosine 0.9 to basis[0]
    names = ["sql-tuner", "sql-tuner", "weather", "weather", "jiyao"]
    descs = ["Speed up slow SQL queries.", "加速缓慢的 SQL 查询。", "Weather forecasts.",
             "查询会议纪要和待办事项的工具。", "把会议录音整理成会议纪要。"]
    ml = np.stack([basis[0], near, basis[2], basis[3], basis[1]])
    assert xling.stand_in_rows(names, descs, ml).tolist() == [3, 4]
    assert xling.stand_in_rows(names[:1], descs[:1], ml[:1]).tolist() == []
