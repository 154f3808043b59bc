"""Data inside code blocks: sample output and detection-pattern lists are shown, not run.

Two shapes of documentation put dangerous-looking text in a code block without asking anyone to
run it:

- **sample output**: an untagged block under an "Output" heading, or introduced by "Example
  output:", "Sample alert:" and the like, that shows what a tool prints (a forensic report that
  quotes the attacker's encoded PowerShell, an alert). It is data only when no line of it reads
  as a command (a prompt, or a line that starts with a command name): a block of commands under
  an "Output" heading stays what it is.
- **detection lists**: the items of a list under a key such as ``Patterns:``, ``indicators:``
  or ``blocked_commands:`` (a SIEM or session-monitoring rule, a deny list). Each item is a
  string to match, not a command; a list under ``steps:`` or ``run:`` is not such a list.

Both only soften (never drop) a hit, and a block the agent is told to run stays as it is.
"""

from __future__ import annotations

import re

# The innermost heading above a block, or the sentence that leads into it, says it shows output.
_OUTPUT_HEADING = re.compile(
    r"^(?:\d+[.)]?\s*)?(?:(?:example|sample|expected|typical)\s+)?(?:output|outputs|"
    r"output\s+format|report\s+(?:format|template|example)|(?:example|sample)\s+(?:report|"
    r"alerts?|results?|findings?|responses?|logs?)|expected\s+results?|results?\s+format)"
    r"\s*:?\s*$",
    re.I,
)
_OUTPUT_LEAD = re.compile(
    r"(?:\b(?:example|sample|expected|typical)\s+(?:output|report|alerts?|results?|responses?|"
    r"logs?|findings?)|\boutput(?:\s+format)?|\b(?:prints?|produces?|returns?|outputs?|"
    r"reports?|shows?)\s+(?:something\s+)?like(?:\s+this)?|\bthe\s+report\s+looks\s+like)"
    r"\s*:\s*$",
    re.I,
)
# A line that reads as a command: a shell prompt, or a command name at the start of the line.
_COMMAND_LINE = re.compile(
    r"^[ \t]*+(?:\$[ \t]|>[ \t]|PS[^>\n]{0,60}>[ \t]*+|[A-Za-z]:\\[^>\n]{0,60}>[ \t]*+|"
    r"#[ \t])?[ \t]*+(?:sudo[ \t]++)?"
    r"(?:curl|wget|bash|sh|zsh|dash|python[\d.]*|node|deno|bun|perl|ruby|php|nc|"
    r"ncat|netcat|socat|powershell(?:\.exe)?|pwsh|iex|invoke-[\w-]+|cmd(?:\.exe)?|rm|dd|"
    r"mkfs[\w.]*|shred|chmod|chown|git|pip\d?|npm|npx|pnpm|yarn|docker|podman|kubectl|ssh|scp|"
    r"rsync|base64|base32|xxd|openssl|echo|printf|cat|eval|exec|export|source|crontab|"
    r"systemctl|launchctl|reg|schtasks|certutil|bitsadmin|mshta|rundll32|regsvr32|dig|"
    r"nslookup|host|tar|unzip|chattr|find|mv|cp|tee|setx|new-object|start-process|"
    r"import|from|require|const|let|var|fetch|os\.|subprocess)\b(?![:=])",
    re.I | re.M,
)
_SHELL_SYNTAX = re.compile(r"\|\s*(?:ba|z|da)?sh\b|\$\(|`[^`\n]+`|&&|\|\|")
_UNTAGGED = frozenset({"", "text", "txt", "output", "plaintext", "plain", "log", "console-output"})

# Keys whose list items are strings to detect, block or alert on.
_DETECTION_KEY = re.compile(
    r"^\s*[-*]?\s*[\"']?(?:[\w .-]*[\s_-])?(?:patterns?|signatures?|indicators?|iocs?|keywords?|"
    r"match(?:es|ing)?|blocklist|block[\s_-]?list|denylist|deny[\s_-]?list|blacklist|"
    r"watch[\s_-]?list|alert[\s_-]?on|detect\w*|suspicious[\w\s-]*|high[\s_-]?risk[\w\s-]*|"
    r"forbidden[\w\s-]*|dangerous[\w\s-]*|disallowed[\w\s-]*|blocked[\w\s-]*|"
    r"red[\s_-]?flags?|(?:deny|block)[\w\s-]*)[\"']?\s*:\s*[\[{]?\s*$",
    re.I,
)
_ITEM = re.compile(r"^(\s*)(?:[-*]\s+|[\"'])\S")


def output_block(block: str, lang: str, heading: str, lead: str) -> str:
    """Why the untagged block ``block`` is sample output ('' when it is not). ``heading`` is the
    innermost heading above it, ``lead`` the last sentence before it."""
    if lang.lower() not in _UNTAGGED:
        return ""
    if not (_OUTPUT_HEADING.match(heading.strip().strip("#*: ")) or
            _OUTPUT_LEAD.search(lead.strip())):
        return ""
    body = block.split("\n", 1)[1] if "\n" in block else ""
    if _COMMAND_LINE.search(body) or _SHELL_SYNTAX.search(body):
        return ""
    return "sample output, not a command"


def detection_item(block: str, at: int) -> str:
    """Why the line of ``block`` at offset ``at`` is an item of a detection list ('' when it is
    not): a list item whose parent key names patterns, indicators or a deny list."""
    start = block.rfind("\n", 0, at) + 1
    end = block.find("\n", at)
    line = block[start:end if end >= 0 else len(block)]
    item = _ITEM.match(line)
    if not item:
        return ""
    indent = len(item.group(1))
    pos = start
    for _ in range(200):  # walk up to the parent key, over sibling items and blank lines
        if pos <= 0:
            return ""
        prev_start = block.rfind("\n", 0, pos - 1) + 1
        prev = block[prev_start:pos - 1]
        pos = prev_start
        if not prev.strip():
            continue
        lead = len(prev) - len(prev.lstrip())
        sibling = _ITEM.match(prev)
        if sibling and len(sibling.group(1)) == indent and not prev.rstrip().endswith(":"):
            continue
        if lead > indent:
            continue  # an item's own continuation or nested value
        return "an item of a detection or deny list" if len(prev) <= 200 and \
            _DETECTION_KEY.match(prev) else ""
    return ""
