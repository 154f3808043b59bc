"""What a group's runs change: their write actions, and names that say so.

A request names what the person *wants* ("can you check my flight?"), the first tool call what
the agent *looked up* (``get_user_details``); neither always says what the skill does. The
write actions of the successful runs (``cancel_reservation``, ``update_reservation_baggages``,
``edit``) do. :func:`main_effect` finds the write action most successful runs of a group make;
:func:`effect_name` keeps the request's own verb + object when that verb agrees with the
effect (``cancel-flight`` for runs that call ``cancel_reservation``: the requester's words),
and otherwise names the skill by the effect (``check-flight`` whose runs all cancel a
reservation becomes ``cancel-reservation``).

Read-only tools (``get_``, ``search_``, ``list_``, ``think``, ``calculate``) and hand-offs
(``transfer_to_human_agents``) are not effects. :func:`name_problem` rejects names whose object
is itself a verb (``change-manage``, ``update-cancel``): those come from gluing a request verb
to a tool name and read as nonsense.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from .actions import tool_of
from .model import Trajectory
from .naming import ONLY_VERBS, VERBS, Intent, singular

# a tool's leading verb -> the family of request verbs that ask for that change
_FAMILIES: dict[str, frozenset[str]] = {
    "change": frozenset({"change", "modify", "update", "switch", "swap", "upgrade", "downgrade",
                         "reschedule", "postpone", "edit", "move", "rename", "replace", "set",
                         "add", "remove"}),
    "cancel": frozenset({"cancel", "remove", "delete", "undo", "refund"}),
    "create": frozenset({"book", "create", "add", "make", "register", "generate", "build",
                         "write", "draft", "setup"}),
    "send": frozenset({"send", "compensate", "refund", "resolve", "transfer", "return"}),
    "fix": frozenset({"fix", "debug", "resolve", "solve", "implement", "refactor", "improve",
                      "change", "update", "modify", "edit", "write", "add", "remove", "rewrite",
                      "troubleshoot", "investigate", "diagnose", "exploit", "decode", "decrypt"}),
}
# tool verb -> (family, verb used in a name)
_WRITE_VERBS: dict[str, tuple[str, str]] = {
    "update": ("change", "update"), "modify": ("change", "modify"), "change": ("change", "change"),
    "set": ("change", "set"), "edit": ("fix", "edit"), "patch": ("change", "patch"),
    "put": ("change", "update"), "rename": ("change", "rename"), "move": ("change", "move"),
    "replace": ("change", "replace"), "str_replace": ("fix", "edit"), "insert": ("fix", "edit"),
    "cancel": ("cancel", "cancel"), "delete": ("cancel", "delete"), "remove": ("cancel", "remove"),
    "rm": ("cancel", "remove"), "refund": ("cancel", "refund"),
    "book": ("create", "book"), "create": ("create", "create"), "add": ("create", "add"),
    "insert_": ("create", "add"), "post": ("create", "create"), "write": ("create", "write"),
    "register": ("create", "register"), "reserve": ("create", "book"),
    "send": ("send", "send"), "issue": ("send", "send"), "grant": ("send", "send"),
    "submit": ("fix", "submit"),
}
_NOT_EFFECTS = re.compile(r"^(transfer_to_human|handoff|escalate|think|calculate|get|search|"
                          r"list|find|read|open|view|show|lookup|fetch|query|describe)")
_SPLIT = re.compile(r"[_\-.:/\s]+|(?<=[a-z0-9])(?=[A-Z])")
MIN_SHARE = 0.5  # a write action most successful runs make


@dataclass(frozen=True)
class Effect:
    """A write action of a group: ``cancel_reservation`` -> cancel / reservation."""

    tool: str
    family: str
    verb: str
    obj: str  # "" when the tool name has no object ("edit", "submit")
    share: float  # of the group's successful runs that make it

    @property
    def name(self) -> str:
        return f"{self.verb}-{self.obj.replace(' ', '-')}" if self.obj else self.verb


def effect_of(tool: str) -> tuple[str, str, str] | None:
    """(family, verb, object) of a write tool, or None for reads, hand-offs and unknowns."""
    if _NOT_EFFECTS.match(tool.lower()):
        return None
    words = [w.lower() for w in _SPLIT.split(tool) if w]
    if not words:
        return None
    head = words[0]
    if "_".join(words[:2]) in _WRITE_VERBS:
        head, words = "_".join(words[:2]), ["_".join(words[:2]), *words[2:]]
    if head not in _WRITE_VERBS:
        return None
    family, verb = _WRITE_VERBS[head]
    nouns = [singular(w) for w in words[1:] if w.isalpha() and w not in VERBS][:2]
    return family, verb, " ".join(nouns)


def effects(runs: Sequence[Trajectory]) -> list[Effect]:
    """The write actions of ``runs``, most common first (share of runs that make each)."""
    if not runs:
        return []
    counts = Counter(tool for t in runs for tool in {tool_of(k) for k in t.action_keys()})
    out = []
    for tool, n in counts.items():
        found = effect_of(tool)
        if found is not None:
            out.append(Effect(tool, *found, share=n / len(runs)))
    return sorted(out, key=lambda e: (-e.share, e.tool))


def main_effect(runs: Sequence[Trajectory]) -> Effect | None:
    """The write action most runs make, when at least half of them make it."""
    found = effects(runs)
    return found[0] if found and found[0].share >= MIN_SHARE else None


def agrees(intent: Intent, runs: Sequence[Trajectory], floor: float = 0.25) -> bool:
    """Whether the request verb asks for a change the runs make (any write action that at
    least ``floor`` of them make)."""
    return any(intent.verb in _FAMILIES[e.family] for e in effects(runs) if e.share >= floor)


def agreeing_effects(intent: Intent, runs: Sequence[Trajectory]) -> list[Effect]:
    """The write actions of ``runs`` that the request verb asks for, most common first."""
    return [e for e in effects(runs) if intent.verb in _FAMILIES[e.family]]


def effect_intent(intent: Intent, runs: Sequence[Trajectory]) -> Intent:
    """``intent`` when its verb agrees with what the runs change (or they change nothing),
    else the main write action as verb + object, the request's phrase kept as an "also"."""
    if agrees(intent, runs):
        return intent
    effect = main_effect(runs)
    if effect is None or not effect.obj or name_problem(effect.name) is not None:
        return intent
    also = tuple(p for p in (intent.phrase, *intent.also) if p)[:2]
    return Intent(effect.verb, effect.obj, intent.examples, also)


def effect_name(intent: Intent, runs: Sequence[Trajectory]) -> str:
    """The name :func:`effect_intent` gives."""
    return effect_intent(intent, runs).name


def name_problem(name: str) -> str | None:
    """Why a learned name does not read as verb + object, or None."""
    words = name.split("-")
    if len(words) < 2:
        return f"the name {name!r} has no object"
    if words[0] not in VERBS and words[0] not in {v for _f, v in _WRITE_VERBS.values()}:
        return f"the name {name!r} does not start with a verb"
    if words[1] in ONLY_VERBS:
        return f"the name {name!r} has a verb for its object"
    return None


__all__ = ["Effect", "agreeing_effects", "agrees", "effect_intent", "effect_name", "effect_of",
           "effects", "main_effect", "name_problem"]
