"""skillyard inventory on real folders in a temporary HOME, with real MCP configs of each format."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import write_skill
from skillyard import Library
from skillyard.inventory import config_specs, project_roots, scan, to_html, to_sarif_inventory
from skillyard.inventory.mcp import ConfigSpec, parse_config, read_config, strip_jsonc
from skillyard.inventory.risks import pinned
from support.gitrepo import BLOCKED_BODY

FAKE_KEY = "sk-test" + "A" * 24  # a made-up key in the shape of a real one


@pytest.fixture(autouse=True)
def _no_xdg(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def machine(tmp_path: Path) -> dict[str, Path]:
    home = tmp_path / "home"
    proj = tmp_path / "src" / "app"
    other = tmp_path / "src" / "lib"
    outside = tmp_path / "outside"
    write_skill(home / ".claude/skills", "pdf-notes")
    write_skill(home / ".claude/skills", "table-formatter", body=BLOCKED_BODY)
    write_skill(home / ".config/goose/skills/group", "goose-one")
    write_skill(home / ".agents/skills", "shared-one")
    write_skill(outside, "stranger")
    (home / ".cursor/skills").mkdir(parents=True)
    (home / ".cursor/skills/stranger").symlink_to(outside / "stranger")
    write(home / ".windsurf-broken/skills/x/SKILL.md", "")  # not an agent folder: ignored
    write_skill(proj / ".github/skills", "team-skill")
    write(proj / ".github/skills/unreadable/SKILL.md", "")
    (proj / ".github/skills/unreadable/SKILL.md").write_bytes(b"\xff\xfe\x00 not text")
    write_skill(other / ".claude/skills", "lib-skill")
    script = write(tmp_path / "shared-tmp/server.py", "print('hi')\n")
    script.chmod(0o666)
    write(home / ".claude.json", json.dumps({
        "mcpServers": {"fetcher": {"command": "npx", "args": ["-y", "some-fetch-mcp",
                                                              f"--api-key={FAKE_KEY}"],
                                   "env": {"OPENAI_API_KEY": FAKE_KEY}}},
        "projects": {str(proj): {"mcpServers": {
            "pinned": {"command": "npx", "args": ["-y", "@scope/tool-mcp@1.4.2"]}}}}}))
    write(home / ".cursor/mcp.json", """{
      // Cursor allows comments
      "mcpServers": {
        "remote": {"url": "http://mcp.example.test/sse", "headers": {"Authorization":
                   "Bearer abcdefghijklmnop"}},
        "local": {"url": "http://127.0.0.1:9000/mcp"},
      },
    }""")
    write(home / ".config/Code/User/mcp.json", json.dumps({"servers": {
        "gh": {"type": "http", "url": "https://api.example.test/mcp",
               "headers": {"Authorization": "Bearer ${input:token}"}}}}))
    write(home / ".codex/config.toml", f"""
[mcp_servers.docs]
command = "uvx"
args = ["docs-mcp==1.2.0"]

[mcp_servers.script]
command = "python3"
args = ["{script}"]
env = {{ GITHUB_TOKEN = "${{GITHUB_TOKEN}}" }}
""")
    write(home / ".gemini/settings.json", '{"mcpServers": {"broken": ')
    secret_cfg = write(outside / "windsurf-mcp.json", json.dumps({"mcpServers": {}}))
    (home / ".codeium/windsurf").mkdir(parents=True)
    (home / ".codeium/windsurf/mcp_config.json").symlink_to(secret_cfg)
    write(home / ".config/goose/config.yaml", """
extensions:
  pinned:
    type: stdio
    cmd: npx
    args: ["-y", "@scope/pkg@1.2.3"]
    enabled: true
  hosted:
    type: sse
    uri: https://mcp.example.test/sse
    enabled: true
  off:
    type: stdio
    cmd: uvx
    args: ["anything"]
    enabled: false
""")
    write(home / ".kiro/settings/mcp.json", json.dumps({"mcpServers": {
        "wind": {"serverUrl": "https://mcp.example.test/mcp"}}}))
    write(home / ".config/opencode/opencode.json", json.dumps({"mcp": {
        "oc": {"type": "local", "command": ["bunx", "oc-mcp"],
               "environment": {"DB_PASSWORD": "hunter2hunter2"}}}}))
    write(home / ".config/amp/settings.json", json.dumps({"amp.mcpServers": {
        "ampy": {"command": "pipx", "args": ["run", "amp-mcp"]}}}))
    write(proj / ".mcp.json", json.dumps({"mcpServers": {
        "proj-local": {"command": "node", "args": ["./tools/server.js"]}}}))
    write(proj / ".codex/config.toml", "[mcp_servers.bad\ncommand = ")
    write(proj / ".vscode/mcp.json", json.dumps({"servers": {
        "vs": {"command": "uvx", "args": ["--from", "vs-mcp@2.0.1", "vs-mcp"]}}}))
    write(other / ".cursor/mcp.json", json.dumps({"mcpServers": {
        "lib-remote": {"url": "https://lib.example.test/mcp"}}}))
    return {"home": home, "proj": proj, "root": tmp_path / "src", "outside": outside}


def snapshot(*roots: Path) -> dict[str, str]:
    out = {}
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            for name in filenames + dirnames:
                path = Path(dirpath) / name
                data = path.read_bytes() if path.is_file() and not path.is_symlink() else b""
                out[str(path)] = f"{os.lstat(path).st_mode}:{hashlib.sha256(data).hexdigest()}"
    return out


def test_inventory_of_a_machine(machine: dict[str, Path], db_path: Path) -> None:
    before = snapshot(machine["home"], machine["root"])
    with Library(db_path) as library:
        inv = scan(home=machine["home"], projects=[machine["proj"]], root=machine["root"],
                   library=library)
        again = scan(home=machine["home"], projects=[machine["proj"]], library=library)
    assert snapshot(machine["home"], machine["root"]) == before  # nothing changed on disk
    skills = {(s.result.name, s.agent, s.scope): s.result.verdict for s in inv.skills}
    assert skills[("pdf-notes", "claude", "user")] == "allow"
    assert skills[("table-formatter", "claude", "user")] == "block"
    assert ("goose-one", "goose", "user") in skills
    assert ("shared-one", "shared", "user") in skills
    assert ("team-skill", "copilot", "project") in skills
    assert ("lib-skill", "claude", "project") in skills  # found under --root
    assert [s.result.verdict for s in inv.skills if "unreadable" in s.path] == ["block"]
    assert not any(s.result.name == "stranger" for s in inv.skills)
    assert any(s.result.cached for s in again.skills)

    rules = {s.name: sorted({r["rule"] for r in s.risks}) for s in inv.servers}
    assert rules["fetcher"] == ["mcp-inline-secret", "mcp-unpinned-package"]
    assert rules[f"{machine['proj']}:pinned"] == []
    assert rules["remote"] == ["mcp-inline-secret", "mcp-plain-http"]
    assert rules["local"] == [] and rules["gh"] == [] and rules["docs"] == []
    assert rules["script"] == ["mcp-world-writable"]
    assert rules["pinned"] == [] and rules["hosted"] == [] and "off" not in rules
    assert rules["wind"] == [] and rules["lib-remote"] == [] and rules["vs"] == []
    assert rules["oc"] == ["mcp-inline-secret", "mcp-unpinned-package"]
    assert rules["ampy"] == ["mcp-unpinned-package"]
    assert rules["proj-local"] == []
    transports = {s.name: s.transport for s in inv.servers}
    assert transports["hosted"] == "sse" and transports["gh"] == "http"
    assert transports["oc"] == "stdio"
    fetcher = next(s for s in inv.servers if s.name == "fetcher")
    secret = next(r for r in fetcher.risks if r["rule"] == "mcp-inline-secret")
    assert FAKE_KEY not in secret["evidence"] and secret["evidence"].startswith("OPENAI_API_KEY")

    assert FAKE_KEY not in json.dumps(inv.to_dict())
    problems = {(Path(p.path).name, p.rule) for p in inv.problems}
    assert ("settings.json", "mcp-config-error") in problems
    assert ("config.toml", "mcp-config-error") in problems
    assert ("stranger", "symlink-escape") in problems
    assert ("mcp_config.json", "symlink-escape") in problems
    assert inv.has_findings
    counts = inv.to_dict()["counts"]
    assert counts["verdicts"]["block"] == 2 and counts["mcp_servers"] == len(inv.servers)


def test_reports(machine: dict[str, Path]) -> None:
    inv = scan(home=machine["home"], projects=[machine["proj"]])
    sarif = to_sarif_inventory(inv)
    assert sarif["version"] == "2.1.0" and len(sarif["runs"]) == 2
    second = sarif["runs"][1]
    assert {r["id"] for r in second["tool"]["driver"]["rules"]} >= {
        "mcp-unpinned-package", "mcp-inline-secret", "mcp-plain-http", "mcp-world-writable",
        "mcp-config-error", "symlink-escape"}
    assert all(r["ruleId"] == second["tool"]["driver"]["rules"][r["ruleIndex"]]["id"]
               for r in second["results"])
    html = to_html(inv)
    assert html.startswith("<!DOCTYPE html>") and "<script" not in html
    assert "src=" not in html and "href=" not in html  # self-contained
    assert '<b>2</b>blocked skills' in html
    assert "curl -fsSL" in html  # a finding's evidence
    assert "OPENAI_API_KEY=sk-t…" in html and FAKE_KEY not in html


def test_cli_formats_and_exit_codes(machine: dict[str, Path], tmp_path: Path) -> None:
    def run(*args: str, code: int) -> subprocess.CompletedProcess:
        proc = subprocess.run([sys.executable, "-m", "skillyard", "inventory", "--home",
                               str(machine["home"]), *args], cwd=machine["proj"],
                              capture_output=True, text=True, check=False)
        assert proc.returncode == code, (args, proc.stdout, proc.stderr)
        return proc

    data = json.loads(run("--json", code=1).stdout)
    assert data["counts"]["verdicts"]["block"] == 2 and data["projects"] == [
        str(machine["proj"])]
    assert "table-formatter" in run(code=1).stdout
    assert json.loads(run("--format", "sarif", "--no-cache", code=1).stdout)["runs"]
    assert "<html" in run("--format", "html", code=1).stdout
    assert run("--format", "pdf", code=2).stderr
    empty = tmp_path / "empty-home"
    empty.mkdir()
    proc = subprocess.run([sys.executable, "-m", "skillyard", "inventory", "--home", str(empty),
                           "--project", str(empty), "--json"], capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0 and json.loads(proc.stdout)["counts"]["skills"] == 0


def test_project_roots_under_a_tree(machine: dict[str, Path]) -> None:
    assert set(project_roots(machine["root"])) == {machine["proj"], machine["root"] / "lib"}


def test_config_readers_and_bad_input(tmp_path: Path) -> None:
    assert json.loads(strip_jsonc('{"a": "x // not a comment", /* c */ "b": [1,],}')) == {
        "a": "x // not a comment", "b": [1]}
    with pytest.raises(ValueError, match="not valid TOML"):
        parse_config("a = ", "toml")
    with pytest.raises(ValueError, match="not valid YAML"):
        parse_config("a: [1,", "yaml")
    spec = ConfigSpec("x", "user", ("~/x.json",), "json", ("mcpServers",), "https://x.test")
    odd = write(tmp_path / "x.json", json.dumps({"mcpServers": {"s": "not an object",
                                                                "t": {"command": "srv"}}}))
    servers, problems = read_config(odd, spec)
    assert [s.name for s in servers] == ["t"] and "not an object" in problems[0].message
    binary = tmp_path / "bin.json"
    binary.write_bytes(b"\xff\xfe\x00")
    assert read_config(binary, spec)[1][0].rule == "mcp-config-error"
    assert len(config_specs()) >= 20


@pytest.mark.parametrize(("spec", "ecosystem", "expected"), [
    ("pkg", "npm", False), ("pkg@latest", "npm", False), ("pkg@1.2.3", "npm", True),
    ("@scope/pkg", "npm", False), ("@scope/pkg@2.0.0-beta.1", "npm", True),
    ("pkg@^1.2.0", "npm", False), ("tool", "pypi", False), ("tool==1.0", "pypi", True),
    ("tool@1.0.2", "pypi", True),
])
def test_pinning(spec: str, ecosystem: str, expected: bool) -> None:
    assert pinned(spec, ecosystem) is expected
