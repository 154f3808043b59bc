"""`skillyard add registry://...`: the lockfile records the registry source, the version and
the digests; `install` restores from the registry on a fresh machine; `update` moves on."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from skillyard.registry import pack_folder
from support.registry import client, running, skill_folder, token


def sy(cwd: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "skillyard", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, **env})


def test_add_install_update_from_a_registry(tmp_path: Path) -> None:
    with running(str(tmp_path / "r.db"), web=False) as (url, registry), client() as c:
        admin = token(registry, "admin", "*")
        for version, text in (("1.0", "First steps."), ("1.1", "Better steps.")):
            r = c.post(f"{url}/api/v1/skills/team/pdf-forms/versions",
                       content=pack_folder(skill_folder(tmp_path / version, version=version,
                                                        body=f"\n# PDF\n\n{text}\n")),
                       headers={"Authorization": f"Bearer {admin}"})
            assert r.status_code == 201
        reader = token(registry, "read", "team/*")
        project = tmp_path / "project"
        project.mkdir()
        spec = url.replace("http://", "registry+http://") + "/team/pdf-forms@1.0"
        env = {"SKILLYARD_REGISTRY_TOKEN": reader, "SKILLYARD_DB": str(tmp_path / "a.db")}
        added = sy(project, "add", spec, env=env)
        assert added.returncode == 0, added.stderr
        lock = json.loads((project / "skillyard.lock").read_text())["skills"]["pdf-forms"]
        assert lock["source"] == {"kind": "registry", "location": url, "ref": "1.0",
                                  "path": "team/pdf-forms"}
        assert lock["files"]["SKILL.md"]["sha256"] and lock["digest"]

        fresh = {**env, "SKILLYARD_DB": str(tmp_path / "fresh.db")}
        restored = sy(project, "install", "--json", env=fresh)
        assert restored.returncode == 0, restored.stderr
        no_token = sy(project, "install", env={**fresh, "SKILLYARD_REGISTRY_TOKEN": "",
                                               "SKILLYARD_DB": str(tmp_path / "f2.db")})
        assert no_token.returncode != 0 and "needs a token" in no_token.stderr

        moved = sy(project, "update", "pdf-forms", env=env)
        assert moved.returncode == 0, moved.stderr
        lock = json.loads((project / "skillyard.lock").read_text())["skills"]["pdf-forms"]
        assert lock["source"]["ref"] == "1.1"
