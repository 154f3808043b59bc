"""Privacy: scrub personal and secret data from runs before anything is mined, distilled or
sent to an LLM.

Two passes. **Harvest** walks every tool call's arguments and every JSON tool result and records
values held under telling keys (``email``, ``first_name``, ``user_id``, ``reservation_id``,
``address`` ...), so a name the runs' data knows is found again in free text. **Scrub** then
replaces, in every text, argument and result: the harvested values; e-mail addresses, phone
numbers, card-like numbers (Luhn), the auditor's secret patterns and ``key=value`` secrets, URLs,
IP addresses, host names, absolute paths, ``snake_case_123`` user ids, ids named by the words
around them ("reservation ID SI5UKW") and names introduced as names ("You are Mia Li"). Each
becomes a typed placeholder (``<user_id>``, ``<reservation_id>``); argument *names* and the
structure of arguments stay, so the miner sees the same steps.

Finally values that look like identifiers (a digit, or an upper-case code) and occur in the data
of only one task are generalised to ``<value>``. Every value replaced is kept in a
:class:`PrivateValues` set, which the gate and the benchmark use to prove that no learned skill
carries one.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from typing import Any

from .model import Step, ToolCall, Trajectory

# key name (lower case, exact or suffix) -> placeholder type
_KEY_TYPES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), t) for p, t in (
        (r"(^|_)e-?mail(_address)?$", "email"),
        (r"(^|_)(phone|mobile|telephone|tel|fax)(_number)?$", "phone"),
        (r"^(first|last|middle|full|given|family|sur|user|display|customer|passenger)_?name$",
         "name"),
        (r"^(dob|date_of_birth|birth_?date|birthday)$", "date_of_birth"),
        (r"^(user|customer|account|member|client|person|profile)_?id$", "user_id"),
        (r"^(reservation|booking|confirmation|pnr|ticket)(_?(id|number|code|no))?$",
         "reservation_id"),
        (r"^(order|invoice|transaction|receipt)_?(id|number|no)$", "order_id"),
        (r"^(payment|payment_method|card|credit_card|gift_card|certificate)s?_?(id|number)?s?$",
         "payment_id"),
        (r"^(last_?four|card_?last4|last4)$", "card_digits"),
        (r"(^|_)(address\d?|street|zip|zip_?code|postal_?code|postcode)$", "address"),
        (r"(^|_)(password|passwd|secret|token|api_?key|access_?key|private_?key|auth)$",
         "secret"),
        (r"(^|_)(ssn|passport(_number)?|national_id|tax_id|iban|account_number)$", "id"),
    ))
_ADDRESS_PARTS = frozenset({"city", "country", "province", "state", "region"})
_NOT_NAMES_TEXT = """
january february march april may june july august september october november december
monday tuesday wednesday thursday friday saturday sunday the and you your hi hello
"""
_NOT_NAMES = frozenset(_NOT_NAMES_TEXT.split())
_EMAIL = re.compile(r"\b[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+\b")
_URL = re.compile(r"\b(?:https?|ftp|ssh|git)://[^\s<>\"'`)\]]+")
_IP = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")
_HOST = re.compile(
    r"\b(?:[A-Za-z0-9-]+\.)+(?:com|net|org|io|dev|app|ai|co|uk|de|fr|local|internal|corp|lan|"
    r"cloud|example|invalid|test)\b(?![.\w])")
_PATH = re.compile(
    r"(?<![\w.~/<])(?:[A-Za-z]:\\(?:[^\s\\<>\"'`|]+\\)*[^\s\\<>\"'`|]*"
    r"|~/[^\s<>\"'`|,;)]+|/(?:[\w.@+-]+/)+[\w.@+-]*)")
_PHONE = re.compile(r"(?<![\w-])\+?\(?\d[\d ().-]{8,}\d(?![\w-])")
_CARD = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
_CARD_TAIL = re.compile(r"(?i)\b(ending|ends|last (?:four|4)(?: digits)?)"
                        r"(\s+(?:in|with|of|is|:)?\s*)(\d{4})\b")
_USER_ID = re.compile(r"\b[a-z]+(?:_[a-z]+)+_\d{2,}\b")
_CONTEXT_ID = re.compile(
    r"(?i)\b(reservation|booking|confirmation|order|invoice|ticket|case|account|member|"
    r"membership|customer|user)((?:\s+(?:id|number|no\.?|code|#))?(?:\s*(?:is|was|:|=|#))?"
    r"\s*\(?)([A-Z0-9][A-Za-z0-9-]{4,15})\b")
_KEY_VALUE = re.compile(
    r"(?i)\b((?:api[_-]?key|access[_-]?token|auth[_-]?token|token|secret|password|passwd)"
    r"[\"']?\s*[:=]\s*[\"']?)([^\s\"',;]{6,})")
_NAMED = re.compile(
    r"\b((?:[Mm]y name is|I am|I'm|[Yy]ou are|[Nn]amed|[Cc]alled|[Pp]assenger|[Ff]riend|"
    r"Mr\.?|Mrs\.?|Ms\.?|Dr\.?)\s+)([A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)\b")
_DOB = re.compile(r"(?i)\b(dob|date of birth|born on|birthday)(\s*(?:is|:)?\s*)"
                  r"(\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{2,4})")
_TOKEN_PREFIX = re.compile(
    r"\b(?:gh[pousr]_|github_pat_|glpat-|xox[abprs]-|sk-|sk_live_|sk_test_|pk_live_|rk_live_|"
    r"AKIA|ASIA|AIza|hf_|npm_)[A-Za-z0-9_\-]{12,}")
_MIXED_TOKEN = re.compile(r"(?<![\w/.-])(?=[A-Za-z0-9_\-]*[a-z])(?=[A-Za-z0-9_\-]*[A-Z])"
                          r"(?=[A-Za-z0-9_\-]*\d)[A-Za-z0-9_\-]{28,}(?![\w/.-])")
_UUID = re.compile(r"\b[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}\b")
_IDENT = re.compile(r"(?<![\w<])(?:[A-Za-z0-9][\w.-]*\d[\w.-]*|[A-Z]{3,}[A-Z0-9]*)(?![\w>])")
_PLACEHOLDER = re.compile(r"<[a-z_]+>")
_CAP_WORD = re.compile(r"\b[A-Z][a-z]+\b")
# a capitalised word and, when one follows, the next capitalised word (a surname)
_CAPITALISED = re.compile(r"(?<![\w<@./-])([A-Z][a-z]+)(?:(\s+)([A-Z][a-z]+(?:-[A-Z][a-z]+)?))?"
                          r"(?![\w>@])")
_WORD = re.compile(r"\w+")
_DIGIT = re.compile(r"\d")
_LONG_RUN = re.compile(r"[A-Za-z0-9_+/=-]{16,}")
_ORDINARY = re.compile(r"[a-z]+[_-]?\d{1,3}(?:[_.-]\d{1,3})?")
_LOWER_WORD = re.compile(r"(?<![\w])[a-z]{2,}(?![\w])")
ID_TYPES = {"reservation": "reservation_id", "booking": "reservation_id",
            "confirmation": "reservation_id", "ticket": "reservation_id", "order": "order_id",
            "invoice": "order_id", "account": "user_id", "member": "user_id",
            "membership": "user_id", "customer": "user_id", "user": "user_id", "case": "id"}


def placeholder(kind: str) -> str:
    return f"<{kind}>"


def _luhn(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


@functools.cache
def first_names() -> frozenset[str]:
    """Our own list of common given names (package data), as written in prose."""
    text = resources.files("skillyard.learn").joinpath("data/first_names.txt").read_text(
        encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines()
                     if line.strip() and not line.startswith("#"))


@functools.cache
def _secret_patterns() -> tuple[re.Pattern[str], ...]:
    """The auditor's secret patterns (detect-secrets' regex plugins) when installed, plus
    token prefixes and long mixed-case tokens."""
    try:
        from ..audit.secrets import detectors
        found = [regex for _kind, regex in detectors()]
    except Exception:  # noqa: BLE001 - the audit extra is optional; our patterns still apply
        found = []
    out = found
    return (*out, _TOKEN_PREFIX, _MIXED_TOKEN)


@functools.cache
def _secret_union() -> re.Pattern[str] | None:
    """All secret patterns as one alternation: one scan tells whether any of them can match,
    instead of ~35 scans of every long text (most texts hold no secret)."""
    parts = []
    for regex in _secret_patterns():
        flags = "".join(f for f, bit in (("i", re.IGNORECASE), ("m", re.MULTILINE),
                                          ("s", re.DOTALL)) if regex.flags & bit)
        parts.append(f"(?{flags}:{regex.pattern})" if flags else f"(?:{regex.pattern})")
    try:
        return re.compile("|".join(parts))
    except re.error:  # a pattern that cannot be combined: scan with each one
        return None


def _any_secret(text: str) -> bool:
    union = _secret_union()
    return union is None or union.search(text) is not None


@dataclass
class PrivateValues:
    """Every private value replaced in the runs, with its placeholder type."""

    values: dict[str, str] = field(default_factory=dict)

    def add(self, value: str, kind: str) -> None:
        value = value.strip()
        if len(value) >= 3 and not _PLACEHOLDER.fullmatch(value):
            self.values.setdefault(value, kind)

    def __len__(self) -> int:
        return len(self.values)

    def __contains__(self, value: object) -> bool:
        return value in self.values

    def found_in(self, text: str) -> list[tuple[str, str]]:
        """(type, masked value) for each private value ``text`` still contains."""
        out = []
        for value, kind in sorted(self.values.items()):
            if value in text and re.search(r"(?<![\w])" + re.escape(value) + r"(?![\w])", text):
                out.append((kind, mask(value)))
        return out


def mask(value: str) -> str:
    """A value shown without revealing it: first character and length."""
    return f"{value[:1]}…({len(value)} chars)"


class Scrubber:
    """Replaces private data with typed placeholders; remembers what it replaced."""

    def __init__(self) -> None:
        self.private = PrivateValues()
        self._known: dict[str, str] = {}
        self._index: dict[str, list[str]] | None = None
        self._cache: dict[str, str] = {}
        self._tool_cache: dict[str, str] = {}
        self.vocabulary: set[str] = set()  # words the runs also write in lower case
        # _generalise: whether a text holds a token seen in one task only, and those tokens
        self._touched: dict[str, bool] = {}
        self._single: set[str] = set()

    # -- harvest -----------------------------------------------------------------------------
    def harvest(self, trajectories: Iterable[Trajectory]) -> None:
        """Record values held under telling keys in the runs' tool calls and results."""
        for traj in trajectories:
            if traj.user:
                self._learn(traj.user, "user_id")
            for step in traj.steps:
                for call in step.tool_calls:
                    self._walk(call.arguments, None, None)
                if step.role == "tool" and step.text.lstrip()[:1] in "{[":
                    with contextlib.suppress(ValueError):
                        self._walk(json.loads(step.text), None, None)
        self._index = None
        self._cache.clear()
        self._tool_cache.clear()

    def learn_vocabulary(self, trajectories: Iterable[Trajectory]) -> None:
        """Words written in lower case somewhere in the runs: a capitalised one of them after
        "passenger" or "I am" is an ordinary word, not a name."""
        seen: set[str] = set()
        for traj in trajectories:
            for text in _run_texts(traj):
                if text not in seen:  # runs of one task repeat the prompt and tool results
                    seen.add(text)
                    self.vocabulary.update(_LOWER_WORD.findall(text))

    def _learn(self, value: str, kind: str) -> None:
        value = value.strip()
        if len(value) < 2 or _PLACEHOLDER.fullmatch(value):
            return
        if kind == "name":
            for part in value.split():
                if len(part) >= 2 and part.lower() not in _NOT_NAMES and part[:1].isupper():
                    self._known.setdefault(part, "name")
        self._known.setdefault(value, kind)

    def _walk(self, value: Any, key: str | None, parent: str | None) -> None:
        if isinstance(value, dict):
            if key is not None and _key_type(key, parent) == "payment_id":
                for k in value:  # payment methods and similar maps are keyed by their ids
                    if re.search(r"\d", str(k)):
                        self._learn(str(k), "payment_id")
            for k, v in value.items():
                self._walk(v, str(k), key)
            return
        if isinstance(value, list):
            for item in value:
                self._walk(item, key, parent)
            return
        if key is None or isinstance(value, bool) or not isinstance(value, (str, int)):
            return
        kind = _key_type(key, parent)
        if kind is not None and (kind != "name" or isinstance(value, str)):
            self._learn(str(value), kind)

    # -- scrub -------------------------------------------------------------------------------
    def replace_known(self, text: str, label: str | None = None) -> str:
        """Harvested values replaced (whole words only; longest value first)."""
        if not self._known or not text:
            return text
        if self._index is None:
            self._index = {}
            for value in sorted(self._known, key=lambda v: (-len(v), v)):
                head = _WORD.match(value)
                if head is not None:
                    self._index.setdefault(head.group(0), []).append(value)
        heads = self._index.keys() & set(_WORD.findall(text))
        if not heads:
            return text
        for value in sorted((v for h in heads for v in self._index[h]),
                            key=lambda v: (-len(v), v)):
            if value not in text:
                continue
            text = _replace_word(text, value, lambda v, k=label or self._known[value]:
                                 self._hit(v, k))
        return text

    def text(self, text: str) -> str:
        """``text`` with every private value replaced by its typed placeholder."""
        if not text:
            return text
        cached = self._cache.get(text)
        if cached is not None:
            return cached
        original = text
        digits = _DIGIT.search(text) is not None
        if _LONG_RUN.search(text) and _any_secret(text):  # every secret pattern needs a
            for regex in _secret_patterns():                  # long run of token characters
                text = regex.sub(lambda m: self._hit(m.group(0), "secret"), text)
        text = _KEY_VALUE.sub(lambda m: m.group(1) + self._hit(m.group(2), "secret"), text)
        if "://" in text:
            text = _URL.sub(lambda m: self._hit(m.group(0), "url"), text)
        if "@" in text:
            text = _EMAIL.sub(lambda m: self._hit(m.group(0), "email"), text)
        if digits:
            text = _CARD.sub(self._card, text)
            text = _PHONE.sub(self._phone, text)
        text = self.replace_known(text)
        if "/" in text or "\\" in text:
            text = _PATH.sub(lambda m: self._hit(m.group(0), "path"), text)
        if "." in text:
            text = _HOST.sub(lambda m: self._hit(m.group(0), "host"), text)
            if digits:
                text = _IP.sub(lambda m: self._hit(m.group(0), "ip"), text)
        if digits:
            text = _UUID.sub(lambda m: self._hit(m.group(0), "id"), text)
            text = _DOB.sub(lambda m: m.group(1) + m.group(2)
                            + self._hit(m.group(3), "date_of_birth"), text)
            text = _CARD_TAIL.sub(lambda m: m.group(1) + m.group(2)
                                  + self._hit(m.group(3), "card_digits"), text)
            text = _USER_ID.sub(lambda m: self._hit(m.group(0), "user_id"), text)
        text = _CONTEXT_ID.sub(self._context_id, text)
        text = _NAMED.sub(self._named, text)
        if not first_names().isdisjoint(_CAP_WORD.findall(text)):
            text = _CAPITALISED.sub(self._given_name, text)
        if len(original) > 24:
            self._cache[original] = text
        return text

    def _hit(self, value: str, kind: str) -> str:
        self.private.add(value, kind)
        return placeholder(kind)

    def _card(self, match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group(0))
        if 13 <= len(digits) <= 19 and _luhn(digits):
            return self._hit(match.group(0), "card_number")
        return match.group(0)

    def _phone(self, match: re.Match[str]) -> str:
        value = match.group(0)
        digits = re.sub(r"\D", "", value)
        if not 10 <= len(digits) <= 15 or re.fullmatch(r"\d{4}-\d{2}-\d{2}.*", value.strip()) \
                or "  " in value or " - " in value:
            return value
        if re.fullmatch(r"[\d.]+", value) and value.count(".") != 2:
            return value  # a plain or decimal number, not a phone number
        return self._hit(value, "phone")

    def _context_id(self, match: re.Match[str]) -> str:
        value = match.group(3)
        looks_like_id = re.search(r"\d", value) or (value.isupper() and len(value) >= 5)
        if not looks_like_id or _PLACEHOLDER.fullmatch(value):
            return match.group(0)
        kind = ID_TYPES.get(match.group(1).lower(), "id")
        return match.group(1) + match.group(2) + self._hit(value, kind)

    def _named(self, match: re.Match[str]) -> str:
        words = match.group(2).split()
        if words[0].lower() in _NOT_NAMES or any(w.lower() in _STOP_NAMES for w in words) \
                or any(w.lower() in self.vocabulary for w in words):
            return match.group(0)
        return match.group(1) + self._hit(match.group(2), "name")

    def _given_name(self, match: re.Match[str]) -> str:
        """A given name from our list ("Sophia", "Sophia Silva") becomes ``<name>``, unless the
        runs also write it in lower case (then it is an ordinary word there)."""
        first, gap, last = match.group(1), match.group(2), match.group(3)
        if first not in first_names() or first.lower() in self.vocabulary:
            return match.group(0)
        if last is None or last.lower() in self.vocabulary or last.lower() in _STOP_NAMES \
                or last.lower() in _NOT_NAMES:
            return self._hit(first, "name") + (gap or "") + (last or "")
        self.private.add(first, "name")
        return self._hit(f"{first}{gap}{last}", "name")

    def value(self, value: Any, key: str | None = None, parent: str | None = None) -> Any:
        """A JSON value with private strings replaced; keys and structure kept."""
        if isinstance(value, dict):
            out: dict[Any, Any] = {}
            for k, v in value.items():
                name = str(k)
                if _DIGIT.search(name):  # maps keyed by ids (payment methods, accounts ...)
                    name = base = self.text(name)
                    number = 2
                    while name in out and name != str(k):
                        name = f"{base} {number}"
                        number += 1
                out[name] = self.value(v, str(k), key)
            return out
        if isinstance(value, list):
            return [self.value(v, key, parent) for v in value]
        kind = _key_type(key, parent) if key else None
        if isinstance(value, str):
            if kind is not None and len(value.strip()) >= 2 \
                    and not _PLACEHOLDER.fullmatch(value.strip()):
                return self._hit(value, kind)
            return self.text(value)
        if isinstance(value, int) and not isinstance(value, bool) and kind is not None \
                and kind not in ("name", "address"):
            return self._hit(str(value), kind)
        return value

    def tool_text(self, text: str) -> str:
        """A tool result: scrubbed as JSON when it is JSON (keys kept), else as text."""
        stripped = text.lstrip()
        if stripped[:1] not in "{[":
            return self.text(text)
        cached = self._tool_cache.get(text)
        if cached is None:
            try:
                data = json.loads(text)
            except ValueError:
                return self.text(text)
            cached = self._tool_cache[text] = json.dumps(self.value(data), ensure_ascii=False)
        return cached

    def trajectory(self, traj: Trajectory) -> Trajectory:
        """One run, scrubbed; its source is the file name and record index only."""
        steps = []
        for step in traj.steps:
            calls = tuple(ToolCall(c.name, self.value(c.arguments) if isinstance(
                c.arguments, (dict, list)) else self.text(c.arguments) if isinstance(
                c.arguments, str) else c.arguments, c.id) for c in step.tool_calls)
            text = self.tool_text(step.text) if step.role == "tool" else self.text(step.text)
            steps.append(replace(step, text=text, tool_calls=calls,
                                 thought=self.text(step.thought),
                                 error=self.text(step.error) if step.error else step.error))
        user = pseudonym(traj.user) if traj.user else None
        return replace(traj, task=self.text(traj.task), steps=tuple(steps), user=user,
                       source=local_source(traj.source), metadata=self.value(traj.metadata),
                       agent=traj.agent)


_STOP_NAMES_TEXT = """
a an the to for with in on at of and or not it this that is are be looking trying going
sure happy sorry here there able also just very really currently still now
"""
_STOP_NAMES = frozenset(_STOP_NAMES_TEXT.split())


@functools.lru_cache(maxsize=4096)
def _key_type(key: str | None, parent: str | None) -> str | None:
    if key is None:
        return None
    low = key.lower().replace("-", "_")
    if parent is not None and _key_type(parent, None) == "address" and low in _ADDRESS_PARTS:
        return "address"
    if parent is not None and parent.lower() == "name" and low in ("first_name", "last_name"):
        return "name"
    for regex, kind in _KEY_TYPES:
        if regex.search(low):
            return kind
    return None


def pseudonym(user: str) -> str:
    """A stable stand-in for a user id: runs of one user stay together, the id is gone."""
    return "user-" + hashlib.sha256(user.encode("utf-8")).hexdigest()[:10]


def local_source(source: str) -> str:
    """``/home/me/runs/x.json#3`` -> ``x.json#3``: provenance without local paths."""
    where, hash_, index = source.partition("#")
    name = re.split(r"[\\/]", where.rstrip("/\\"))[-1] or where
    return name + hash_ + index


def unit_of(traj: Trajectory) -> str:
    """The task a run belongs to (runs of one task share their data)."""
    if traj.task_id:
        return "id:" + traj.task_id
    return "text:" + hashlib.sha1(" ".join(traj.task.lower().split()).encode()).hexdigest()


def _run_texts(traj: Trajectory) -> Iterable[str]:
    yield traj.task
    for step in traj.steps:
        yield step.text
        for call in step.tool_calls:
            if isinstance(call.arguments, str):
                yield call.arguments
            elif call.arguments is not None:
                yield json.dumps(call.arguments, ensure_ascii=False)


def _generalise(trajectories: Sequence[Trajectory], private: PrivateValues
                ) -> list[Trajectory]:
    """Identifier-like tokens seen in only one task's data become ``<value>`` (and are
    recorded as private): a value from one run's data must not reach a shared skill."""
    units: dict[str, set[str]] = {}
    tokens_of: dict[str, set[str]] = {}
    for traj in trajectories:
        unit = unit_of(traj)
        for text in _run_texts(traj):
            tokens = tokens_of.get(text)
            if tokens is None:
                tokens = tokens_of[text] = {t.strip(".-") for t in _IDENT.findall(text)}
            for token in tokens:
                units.setdefault(token, set()).add(unit)
    single = {t for t, u in units.items() if len(u) == 1 and _identifier(t)}
    if not single:
        return list(trajectories)
    for token in single:
        private.add(token, "value")
    scrub = Scrubber()
    scrub._known = {t: "value" for t in single}
    # only texts holding one of the tokens need a pass; the rest are kept as they are
    scrub._touched = {text: bool(tokens & single) for text, tokens in tokens_of.items()}
    scrub._single = single
    out = []
    for traj in trajectories:
        steps = tuple(_sub_step(scrub, s) for s in traj.steps)
        out.append(replace(traj, task=_sub_known(scrub, traj.task), steps=steps))
    return out


def _sub_step(scrub: Scrubber, step: Step) -> Step:
    text, thought = _sub_known(scrub, step.text), _sub_known(scrub, step.thought)
    calls = tuple(ToolCall(c.name, _sub_value(scrub, c.arguments), c.id)
                  for c in step.tool_calls)
    if text is step.text and thought is step.thought and calls == step.tool_calls:
        return step  # dataclasses.replace is a large share of the pass; skip unchanged steps
    return replace(step, text=text, thought=thought, tool_calls=calls)


def _word_char(char: str) -> bool:
    return char.isalnum() or char == "_"


def _replace_word(text: str, value: str, repl: Callable[[str], str]) -> str:
    """``value`` replaced where it stands as a whole word (``(?<!\\w)value(?!\\w)``) without
    compiling a pattern per value: the harvested values number in the thousands."""
    parts: list[str] = []
    start = 0
    at = text.find(value)
    while at >= 0:
        end = at + len(value)
        if (at == 0 or not _word_char(text[at - 1])) and (
                end == len(text) or not _word_char(text[end])):
            parts.append(text[start:at])
            parts.append(repl(value))
            start = end
            at = text.find(value, end)
        else:
            at = text.find(value, at + 1)
    if not parts:
        return text
    parts.append(text[start:])
    return "".join(parts)


def _identifier(token: str) -> bool:
    if _ORDINARY.fullmatch(token):
        return False  # base64, sha256, python3, x86_64: words, not identifiers
    if re.fullmatch(r"\d{1,4}([.,]\d+)?", token):
        return False  # small numbers, years and prices are not identifying
    if re.fullmatch(r"\d{1,2}(am|pm|st|nd|rd|th|h|m|s|k)", token, re.IGNORECASE):
        return False
    return len(token) >= 3


def _sub_known(scrub: Scrubber, text: str) -> str:
    touched = scrub._touched.get(text)
    if touched is None:  # a text the counting pass did not see (an argument, a thought)
        touched = scrub._touched[text] = bool(
            {t.strip(".-") for t in _IDENT.findall(text)} & scrub._single)
    if not touched:
        return text
    done = scrub._cache.get(text)
    if done is None:
        done = scrub._cache[text] = scrub.replace_known(text)
    return done


def _sub_value(scrub: Scrubber, value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sub_value(scrub, v) for k, v in value.items()}
    if isinstance(value, list):
        return [_sub_value(scrub, v) for v in value]
    return _sub_known(scrub, value) if isinstance(value, str) else value


@dataclass
class Scrubbed:
    trajectories: list[Trajectory]
    private: PrivateValues


def scrub(trajectories: Sequence[Trajectory], *, generalise: bool = True) -> Scrubbed:
    """Every run scrubbed of private data (see the module doc), with the values replaced."""
    scrubber = Scrubber()
    scrubber.learn_vocabulary(trajectories)
    scrubber.harvest(trajectories)
    out = [scrubber.trajectory(t) for t in trajectories]
    if generalise:
        out = _generalise(out, scrubber.private)
    return Scrubbed(out, scrubber.private)


__all__ = ["PrivateValues", "Scrubbed", "Scrubber", "local_source", "mask", "placeholder",
           "pseudonym", "scrub", "unit_of"]
