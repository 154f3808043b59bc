"""Does a long request ask for any work at all?

The router's "nothing fits" judge is the static cosine of the closest description, and that
cosine grows with a text's length: a long personal story comes as close to some skill as a
real task statement does. What a story lacks is an ask. A request asks for work when it has a
request phrase ("can you", "please", "I need", "we'd like", "you need to", "help me", "how do
I"), reads as a problem report ("fails", "steps to reproduce") or has a sentence or list item
that starts with a work verb ("Write ...", "- review each ...", "so fix ..."). The lexicon is
deliberately broad: a request it misreads as asking is routed as before, while one it
misreads as not asking would be refused. English only; the router applies it to long
requests (RouteSettings.abstain_without_ask).
"""

from __future__ import annotations

import re
from importlib import resources


def _verbs() -> set[str]:
    text = (resources.files("skillyard.route") / "data" / "work-verbs.txt").read_text("utf-8")
    return {w for line in text.splitlines() if not line.lstrip().startswith("#")
            for w in line.split()}


_VERBS = frozenset(_verbs())
# a sentence, line or list item: what follows one of these (runs of them count once)
_BREAK = re.compile(r"[.!?:;\n]+")
_FIRST_WORD = re.compile(r"[^a-z]*([a-z][a-z-]*)")
_LEAD_IN = re.compile(r"\b(?:so|ok|okay|now|then|also|and|first|please|just) ([a-z][a-z-]*)")
_REQUEST_PHRASE = re.compile(
    r"\b(?:can|could|would|will) you\b|\bplease\b|\bhelp (?:me|us)\b|\blet's\b"
    r"|\b(?:i|we)(?:'d| would) (?:like|love)\b|\b(?:i|we)(?:'d)? want\b"
    r"|\b(?:i|we) (?:need|have to)\b|\bneed (?:a|an|the|some|to|you|it|them|this)\b"
    r"|\byou(?:'ll| will| need to| should| must| have to| are asked| are to)\b"
    r"|\byour (?:task|job)\b|\bthe task is\b|\bhow (?:do|can|should|would) (?:i|we)\b"
    r"|\bis there a (?:way|tool)\b|\bwhat's the best way\b"
    r"|\b(?:i|we)(?:'m|'re| am| are) looking for\b")  # read on lowercased text
# A problem report asks for work without saying so ("The export fails on dates before 1900.
# Expected: ..."); a story rarely reads like one.
_PROBLEM = re.compile(
    r"\b(?:errors?|exceptions?|traceback|stack trace|bugs?|fail|fails|failed|failing"
    r"|crash|crashes|crashed|doesn't work|does not work|steps to reproduce"
    r"|expected (?:behaviou?r|output|result))\b")


def asks_for_work(text: str) -> bool:
    """Whether ``text`` has a request phrase, reads as a problem report, or has a sentence
    (or list item) that starts with a work verb, also after a lead-in ("so fix ...", "and
    then write ..."). Linear in the text's length: no pattern here scans ahead from every
    position."""
    text = text.replace("\u2019", "'").lower()
    if _REQUEST_PHRASE.search(text) or _PROBLEM.search(text):
        return True
    for piece in _BREAK.split(text):
        first = _FIRST_WORD.match(piece)
        if first is not None and first.group(1) in _VERBS:
            return True
    return any(word in _VERBS for word in _LEAD_IN.findall(text))
