"""Every labelled fixture gets the verdict it is labelled with: malicious ones are caught (the
fail-closed evasions all block), benign twins are never blocked."""

from __future__ import annotations

from pathlib import Path

import pytest

from skillyard.audit import Auditor
from support.audit_fixtures import Fixture, generated, labelled

TEXT = labelled()


@pytest.fixture(scope="module")
def generated_fixtures(tmp_path_factory: pytest.TempPathFactory) -> list[Fixture]:
    return generated(tmp_path_factory.mktemp("audit-generated"))


def _verdict(fixture: Fixture, by_name: dict[str, Fixture]) -> str:
    paths = [str(fixture.path)] + [str(by_name[n].path) for n in fixture.with_]
    results = Auditor().run_paths(paths)
    return results[0].verdict


@pytest.mark.parametrize("fixture", TEXT, ids=[f.name for f in TEXT])
def test_text_fixture_verdict(fixture: Fixture) -> None:
    by_name = {f.name: f for f in TEXT}
    verdict = _verdict(fixture, by_name)
    if fixture.label == "malicious":
        assert verdict == fixture.expect
    else:
        assert verdict == "allow"


def test_generated_fixtures_all_meet_their_label(generated_fixtures: list[Fixture]) -> None:
    by_name = {f.name: f for f in generated_fixtures}
    wrong = []
    for fixture in generated_fixtures:
        verdict = _verdict(fixture, by_name)
        expected_ok = verdict == fixture.expect if fixture.label == "malicious" else (
            verdict == "allow")
        if not expected_ok:
            wrong.append((fixture.name, fixture.expect, verdict))
    assert wrong == []
    evasions = [f for f in generated_fixtures if f.evasion]
    assert len(evasions) >= 20 and all(f.expect == "block" for f in evasions)


def test_every_malicious_text_fixture_has_a_benign_twin() -> None:
    names = {f.name for f in TEXT}
    data = (Path(__file__).parent / "fixtures" / "audit" / "labels.toml").read_text()
    assert data.count('label = "malicious"') >= 20
    for fixture in TEXT:
        assert fixture.path.is_dir(), fixture.name
    assert {"p1-injection-reviewer", "e1-release-token", "d1-clean-build"} <= names


def test_chain_needs_both_skills() -> None:
    by_name = {f.name: f for f in TEXT}
    alone = Auditor().run_paths([str(by_name["chain-cache-backup"].path)])[0]
    assert alone.verdict != "block"
    together = Auditor().run_paths([str(by_name["chain-cache-backup"].path),
                                    str(by_name["chain-session-cache"].path)])
    assert [r.verdict for r in together] == ["block", "block"]
    assert any(f.rule == "chain-exfiltration" for f in together[0].findings)
