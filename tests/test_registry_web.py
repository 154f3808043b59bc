"""The web UI over real HTTP: sign-in, search, skill page, file, diff, audit, publisher;
readable without JavaScript; private namespaces invisible without a token."""

from __future__ import annotations

import re
from pathlib import Path

from skillyard.registry import pack_folder
from support.registry import blocked_folder, client, running, skill_folder, token


def _publish(registry, folder: Path, ns: str, tok: str, url: str) -> dict:
    with client() as c:
        r = c.post(f"{url}/api/v1/skills/{ns}/{folder.name}/versions",
                   content=pack_folder(folder), headers={"Authorization": f"Bearer {tok}"})
        return r


def test_pages_after_sign_in(tmp_path: Path) -> None:
    with running(str(tmp_path / "r.db"), anonymous_read=("public/*",)) as (url, registry):
        admin = token(registry, "admin", "*", name="alice")
        _publish(registry, skill_folder(tmp_path / "a", version="1.0"), "team", admin, url)
        _publish(registry, skill_folder(tmp_path / "b", version="1.1",
                                        body="\n# PDF forms\n\n<script>alert(1)</script>\n\n"
                                        "Read references/fields.md, then check each field.\n"),
                 "team", admin, url)
        _publish(registry, skill_folder(tmp_path / "c", name="git-commits",
                                        description="Write conventional commit messages. Use "
                                        "when committing."), "public", admin, url)
        with client(base_url=url, follow_redirects=False) as c:
            home = c.get("/")
            assert home.status_code == 200 and "public/git-commits" in home.text
            assert "team/pdf-forms" not in home.text  # private without a token
            assert c.get("/skills/team/pdf-forms").status_code == 403
            wrong = c.post("/signin", data={"token": "syk_nope"})
            assert wrong.status_code == 401 and "invalid token" in wrong.text
            ok = c.post("/signin?next=/skills/team/pdf-forms", data={"token": admin})
            assert ok.status_code == 303 and ok.headers["location"] == "/skills/team/pdf-forms"
            cookie = ok.headers["set-cookie"].lower()
            assert "httponly" in cookie and "samesite=strict" in cookie

            page = c.get("/skills/team/pdf-forms").text
            assert "alice · admin" in page and "1.1" in page and "1.0" in page
            assert "<script>alert(1)</script>" not in page  # SKILL.md HTML is escaped
            assert "references/fields.md" in page and "sha256" in page
            assert 'name="from"' in page  # the diff form works without JavaScript
            assert "<script" not in page.lower()

            results = c.get("/", params={"q": "fill in a pdf form"}).text
            assert "team/pdf-forms" in results and "tier" in results

            f = c.get("/skills/team/pdf-forms/files/references/fields.md").text
            assert "Text, checkbox, radio." in f
            diff = c.get("/skills/team/pdf-forms/diff", params={"from": "1.0", "to": "1.1"})
            assert diff.status_code == 200 and 'class="add"' in diff.text
            pub = c.get("/publishers/alice").text
            assert "team/pdf-forms" in pub and "public/git-commits" in pub
            miss = c.get("/skills/team/nothing-here")
            assert miss.status_code == 404
            assert c.get("/", params={"q": "what is the capital of France?"}).status_code == 200
            c.post("/signout")
            c.cookies.clear()
            assert "team/pdf-forms" not in c.get("/publishers/alice").text


def test_audit_findings_with_evidence_on_the_page(tmp_path: Path) -> None:
    with running(str(tmp_path / "r.db")) as (url, registry):
        admin = token(registry, "admin", "*")
        with client(base_url=url) as c:
            folder = blocked_folder(tmp_path / "s")
            refused = c.post("/api/v1/skills/team/table-helper/versions",
                             content=pack_folder(folder),
                             headers={"Authorization": f"Bearer {admin}"}).json()["report"]
            for f in refused["findings"]:
                if not f["fail_closed"]:
                    c.post("/api/v1/skills/team/table-helper/acceptances",
                           json={"digest": refused["digest"], "rule": f["rule"],
                                 "file": f["file"], "reason": "our own installer host"},
                           headers={"Authorization": f"Bearer {admin}"})
            assert c.post("/api/v1/skills/team/table-helper/versions",
                          content=pack_folder(folder),
                          headers={"Authorization": f"Bearer {admin}"}).status_code == 201
            first = c.get("/")  # anonymous read is off: sign in first
            assert first.status_code == 303 and first.headers["location"].startswith("/signin")
            c.cookies.set("skillyard_token", admin)
            page = c.get("/skills/team/table-helper").text
            assert "198.51.100.7" in page  # the evidence
            assert "our own installer host" in page and "accepted" in page
            assert re.search(r'class="finding sev-(high|critical)', page)


def test_evaluation_results_and_plot(tmp_path: Path) -> None:
    from skillyard import Library
    from skillyard.evaluate import RunConfig, make_runner, run_experiment
    from support.evaltasks import harbor_task

    db = str(tmp_path / "r.db")
    with running(db) as (url, registry):
        admin = token(registry, "admin", "*")
        with client(base_url=url) as c:
            r = c.post("/api/v1/skills/team/pdf-forms/versions",
                       content=pack_folder(skill_folder(tmp_path / "s")),
                       headers={"Authorization": f"Bearer {admin}"})
            assert r.status_code == 201
            tasks = tmp_path / "tasks"
            for i in range(3):
                harbor_task(tasks, f"help-{i}")
            with Library(db) as lib:
                run_experiment(lib, tasks, runner=make_runner("scripted:skill-gated"),
                               skills=["registry:team/pdf-forms"],
                               config=RunConfig(trials=1, workers=1, seed=1))
            runs = c.get("/api/v1/skills/team/pdf-forms/evaluations",
                         headers={"Authorization": f"Bearer {admin}"}).json()["runs"]
            assert len(runs) == 1 and runs[0]["analysis"]["arms"]
            c.cookies.set("skillyard_token", admin)
            page = c.get("/skills/team/pdf-forms").text
            assert 'id="evaluations"' in page and "3/3" in page
            png = c.get(f"/skills/team/pdf-forms/evaluations/{runs[0]['run']}.png")
            assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
