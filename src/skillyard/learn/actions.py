"""Action normalisation and error detection.

An action's key is its tool name plus the *shape* of its arguments (the sorted top-level
argument names), so that ``get_user_details(user_id="a")`` and ``get_user_details(user_id="b")``
are the same step. Shell tools (one ``command`` string) are keyed by the program they run
(``Bash:pytest``), because every shell call has the same argument shape.
"""

from __future__ import annotations

import re
import shlex
from typing import Any

SHELL_ARG_KEYS = frozenset({"command", "cmd", "description", "timeout", "run_in_background",
                            "restart", "workdir", "cwd"})
_SKIP_PROGRAMS = frozenset({"cd", "export", "source", "sudo", "env", "time", "set", "."})
_SPLIT = re.compile(r"&&|\|\||;|\|")
_ASSIGN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_ERROR_LINE = re.compile(
    r"^(?:error\b|err!|fatal:|exception\b|\w+error:|\w+exception:|traceback \(most recent call)",
    re.IGNORECASE,
)
_ERROR_ANYWHERE = re.compile(
    r"traceback \(most recent call last\)|command not found|no such file or directory|"
    r"permission denied|syntaxerror:|is not recognized as an internal",
    re.IGNORECASE,
)


def program_of(command: str) -> str:
    """The program a shell command line runs (skipping ``cd x &&``, ``sudo``, ``VAR=1``)."""
    for segment in _SPLIT.split(command):
        try:
            words = shlex.split(segment, comments=True)
        except ValueError:
            words = segment.split()
        for word in words:
            if _ASSIGN.match(word):
                continue
            base = word.rsplit("/", 1)[-1]
            if base in _SKIP_PROGRAMS:
                break
            if base:
                return base[:40]
    return "sh"


def argument_shape(arguments: Any) -> str:
    """``(a,b)`` for a mapping's sorted keys, ``[]`` for a list, empty for text or nothing."""
    if isinstance(arguments, dict):
        return "(" + ",".join(sorted(str(k) for k in arguments)) + ")"
    if isinstance(arguments, list):
        return "[]"
    return ""


def action_key(name: str, arguments: Any = None) -> str:
    """The normalised action: ``tool(arg,names)``, ``Shell:program`` or the bare tool name."""
    name = " ".join(str(name).split()) or "unknown"
    if isinstance(arguments, dict):
        command = arguments.get("command", arguments.get("cmd"))
        if isinstance(command, str) and set(arguments) <= SHELL_ARG_KEYS:
            return f"{name}:{program_of(command)}"
    return name + argument_shape(arguments)


def tool_of(key: str) -> str:
    """The tool name part of an action key."""
    return re.split(r"[(:\[]", key, maxsplit=1)[0]


def detect_error(text: str | None) -> str | None:
    """A short error message when a tool result reads as a failure, else None (heuristic)."""
    if not text:
        return None
    head = text.lstrip()[:2000]
    first = head.splitlines()[0].strip() if head else ""
    if _ERROR_LINE.match(first):
        return first[:200]
    match = _ERROR_ANYWHERE.search(head)
    if match:
        for line in head.splitlines():
            if match.group(0).lower() in line.lower():
                return line.strip()[:200]
    return None


_NUMBERS = re.compile(r"\b[\w-]*\d[\w-]*\b")
_QUOTED = re.compile(r"(['\"`]).*?\1")


def error_signature(message: str) -> str:
    """An error message with ids, numbers and quoted values blanked, to group alike errors."""
    text = _QUOTED.sub("<x>", message)
    text = _NUMBERS.sub("<n>", text)
    return " ".join(text.split())[:160]
