"""The background threads of routing (route/background.py): routers in several threads
share them and give the answers one thread gives; a forked child gets threads of its own."""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest

from conftest import write_skill
from skillyard.api import Library
from skillyard.route import xling
from skillyard.route.background import background
from skillyard.route.router import RouteIndex, Router
from skillyard.route.settings import RouteSettings

SKILLS = {
    "sql-tuner": "Speed up slow SQL queries with indexes and query plans.",
    "git-commits": "Write clear git commit messages in the imperative mood.",
    "csv-cleaner": "Clean messy CSV exports: fix encodings, dates and duplicate rows.",
    "weather-forecast": "Look up the weather forecast for a city: rain, temperature, wind.",
}
CHINESE = {"huiyi-jiyao": "把会议录音整理成会议纪要，列出每项决议、负责人和待办事项。"}
PASTED = ("this query takes forty seconds, can you make it faster?\n\n```sql\nSELECT o.id, "
          "c.name FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.created_at "
          "> now() - interval '30 days' ORDER BY o.total DESC;\n```")
REQUESTS = [
    "turn the recording of today's meeting into minutes with decisions and action items",
    PASTED,
    "wird es morgen in Berlin regnen?",
    "write the commit message for my staged changes",
    "what is the capital of France?",
]


@pytest.mark.skipif(not xling.available(), reason="multilingual encoder missing")
@pytest.mark.parametrize("scan_rows", [0, 1])  # the float32 pass, and the int8 scan forced on
def test_routers_in_many_threads_answer_as_one_thread_does(tmp_path: Path,
                                                           scan_rows: int) -> None:
    for name, desc in {**SKILLS, **CHINESE}.items():
        write_skill(tmp_path / "skills", name, desc)
    db = tmp_path / "lib.db"
    with Library(db) as lib:
        lib.index([str(tmp_path / "skills")])
        lib.route_index()
    index = RouteIndex.open(db)
    router = Router(index, settings=replace(RouteSettings(), quantized_scan_rows=scan_rows))
    assert len(index.ml_stand_in) == 1  # the English requests run the stand-in
    with ThreadPoolExecutor(4) as warmers:  # warm() opens the int8 scans in the threads
        list(warmers.map(lambda _: router.warm(), range(4)))
    scans = (index._scan, index._ml_scan)
    assert all(scans) if scan_rows else not any(scans)

    def answer(query: str) -> tuple:
        result = router.route(query, k=3, explain=True)
        return (result.abstain, result.notes,
                [(hit.id, round(hit.score, 5), hit.explain) for hit in result.results])

    alone = [answer(query) for query in REQUESTS]
    assert alone[0][2][0][0].endswith("huiyi-jiyao")  # reached through the stand-in
    assert alone[1][2][0][0].endswith("sql-tuner")
    assert any(note.startswith("pasted material:") for note in alone[1][1])
    with ThreadPoolExecutor(6) as callers:
        together = list(callers.map(answer, REQUESTS * 6))
    assert together == alone * 6


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_a_forked_child_starts_threads_of_its_own() -> None:
    assert background().submit(lambda: 1).result(timeout=10) == 1  # the parent's exist
    pid = os.fork()
    if pid == 0:  # the child: a pool it inherited would take the job and never run it
        try:
            ok = background().submit(lambda: 2).result(timeout=10) == 2
        except BaseException:  # noqa: BLE001 - any failure is the exit code
            ok = False
        os._exit(0 if ok else 1)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            assert os.waitstatus_to_exitcode(status) == 0
            return
        time.sleep(0.05)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    pytest.fail("the forked child's job never ran")
