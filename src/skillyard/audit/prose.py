"""Instruction analysis of prose: each sentence is read as action + object + destination.

An instruction to read a secret (a credential file, a token, the conversation) together with a
destination outside the user's view (a URL, a tool parameter, the answer, a commit) is an
exfiltration instruction; so are writes of lasting rules into agent memory files, changes of
where the model's traffic goes, "retry until the output shows the key" coercion and notes to
the security reviewer. Lexicons for several languages are data (``rules/prose.yaml``).

Documentation is not an instruction: a negated action ("never read"), an example or quotation
(backticks or quotes around the verb, "such as", "attackers may"), and anything under a
"what not to do" / "red flags" heading are skipped.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from .content import TextUnit
from .docctx import section_path
from .mdparse import LineIndex, Segment
from .model import Hit, clip
from .rules import RuleSet

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=\S)|(?<=[。！？])|\n\s*(?=[-*+>]\s|\d+[.)]\s)|\n{2,}")
_HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*)$", re.M)
_URL = re.compile(r"https?://[^\s)>\]\"'`]+")
MAX_SENTENCE = 1200
_CODEISH = re.compile(r"\$\{\{|\$\(|\bcurl\s+-|\bwget\s+|=>|\bfetch\(|\brun:\s*\||"
                      r"\s--?[a-z][\w-]*=|\bonly\s+(?:send|share|give|paste)\b", re.I)
# "message de commit": the commit is where the text goes, not where it comes from
_MESSAGE_OF = re.compile(
    r"\b(?:message|mensaje|messaggio|mensagem|Nachricht)\s+(?:de|di|do|der)\s*$", re.I)
_ENGLISH_DEST = re.compile(r"^(?:parameter|param|field|argument|input|payload|tool|call|function|"
                           r"your|the|my|commit|pull|push|webhook|issue|query|`)", re.I)


def _mask(text: str) -> str:
    """URLs blanked out (same length), so words inside host names are not read as prose."""
    return _URL.sub(lambda m: "_" * len(m.group(0)), text) if "://" in text else text
MAX_HITS = 6


@dataclass(frozen=True)
class Lexicon:
    read: re.Pattern[str]
    send: re.Pattern[str]
    secret: re.Pattern[str]
    context: re.Pattern[str]
    destination: re.Pattern[str]
    conceal: re.Pattern[str]
    negation: re.Pattern[str]
    negation_after: re.Pattern[str]
    descriptive: re.Pattern[str]
    bad_sections: re.Pattern[str]
    lasting: re.Pattern[str]
    write: re.Pattern[str]
    memory_file: re.Pattern[str]
    coercion: re.Pattern[str]
    reviewer: re.Pattern[str]
    endpoint: re.Pattern[str]
    endpoint_ok: re.Pattern[str]
    credential: re.Pattern[str]
    gates: tuple[tuple[str, tuple[frozenset[str], ...]], ...] = ()
    endpoint_triggers: tuple[str, ...] = ()
    automaton: object = None  # Aho-Corasick over every gate literal


def _alt(value: list[str] | str) -> re.Pattern[str]:
    text = value if isinstance(value, str) else "|".join(f"(?:{v})" for v in value)
    return re.compile(text, re.I)


_CACHE: dict[str, Lexicon] = {}


def _lexicon(rules: RuleSet) -> Lexicon:
    data = rules.prose
    cred = rules.fragments["credential_path"]
    return Lexicon(
        **{key: _alt(data[key]) for key in (
            "read", "send", "secret", "context", "destination", "conceal", "negation",
            "negation_after", "descriptive", "bad_sections", "lasting", "write", "memory_file",
            "coercion", "reviewer", "endpoint", "endpoint_ok")},
        credential=re.compile(rf"{cred}|(?<![\w.-])\.env\b|\.config/gh/hosts\.ya?ml", re.I),
        gates=tuple((kind, tuple(frozenset(str(t).lower() for t in group) for group in groups))
                    for kind, groups in data["gates"].items()),
        endpoint_triggers=tuple(str(t).lower() for t in data["endpoint_triggers"]),
        automaton=_automaton(data["gates"], data["endpoint_triggers"]),
    )


def _automaton(gates: dict[str, list[list[str]]], extra: list[str]) -> object:
    import ahocorasick

    automaton = ahocorasick.Automaton()
    for groups in gates.values():
        for group in groups:
            for literal in group:
                literal = str(literal).lower()
                automaton.add_word(literal, literal)
    for literal in extra:
        automaton.add_word(str(literal).lower(), str(literal).lower())
    automaton.make_automaton()
    return automaton


def lexicon(rules: RuleSet) -> Lexicon:
    """The compiled lexicons of a rule set (compiled once per rules digest)."""
    if rules.digest not in _CACHE:
        _CACHE[rules.digest] = _lexicon(rules)

    return _CACHE[rules.digest]


def _headings(text: str) -> list[tuple[int, int, str]]:
    return [(m.start(), len(m.group(1)), m.group(2).strip()) for m in _HEADING.finditer(text)]


class _Reader:
    def __init__(self, unit: TextUnit, rules: RuleSet, index: LineIndex) -> None:
        self.unit = unit
        self.lex = lexicon(rules)
        self.index = index
        self.hits: list[Hit] = []
        self.keys: set[tuple[str, int]] = set()

    def line(self, offset: int) -> int:
        return self.index.line(offset) + self.unit.line_offset

    def add(self, rule: str, offset: int, evidence: str, flow: str,
            trace: tuple[tuple[str, int, str], ...] = (), **extra: object) -> None:
        line = self.line(offset)
        if (rule, line) in self.keys or len(self.hits) >= MAX_HITS * 3:
            return
        self.keys.add((rule, line))
        self.hits.append(Hit(rule, self.unit.path, line, clip(evidence, 240), flow=flow,
                             trace=trace, **extra))  # type: ignore[arg-type]

    def negated(self, sentence: str, verb: re.Match[str]) -> bool:
        sentence = _mask(sentence)
        lead = sentence[:verb.start()]
        opening = re.match(r"[\s*_>#-]*(\w+(?:\s+\w+)?)", lead)
        if opening and re.match(r"(?:never|don't|do\s+not|avoid|no)\b", opening.group(1), re.I):
            return True
        clause = re.split(r"[,;:()]|\band\b|\bthen\b|、|，", lead)[-1]
        if self.lex.negation.search(clause):
            return True
        return bool(self.lex.negation_after.search(sentence[verb.end():verb.end() + 12]))

    def documented(self, text: str, start: int, end: int, sentence: str,
                   seg: Segment | None) -> bool:
        if self.lex.descriptive.search(_mask(sentence)):
            return True
        line_start = text.rfind("\n", 0, start) + 1
        before = text[line_start:start]
        return before.count("`") % 2 == 1 or before.count('"') % 2 == 1 or \
            before.count("“") > before.count("”") or before.count("«") > before.count("»") \
            or text[line_start:line_start + 2].lstrip().startswith(("|",))

    def sentence(self, text: str, start: int, end: int, seg: Segment | None, flow: str,
                 section_bad: bool, paragraph: str, kinds: set[str]) -> None:
        sentence = text[start:end]
        if len(sentence) > MAX_SENTENCE:
            return
        lex = self.lex
        reviewer = lex.reviewer.search(sentence) if "reviewer" in kinds else None
        if reviewer and not section_bad and not self.documented(
                text, start + reviewer.start(), start + reviewer.end(), sentence, seg):
            self.add("prose-reviewer-manipulation", start + reviewer.start(), sentence, flow)
        coercion = lex.coercion.search(sentence) if "coercion" in kinds else None
        if coercion and not section_bad and not self.negated(sentence, coercion):
            self.add("prose-coercion", start + coercion.start(), sentence, flow)
        if section_bad:
            return
        if any(k.startswith("exfiltration") for k in kinds):
            self._exfiltration(text, start, sentence, seg, flow, paragraph)
        if "memory" in kinds:
            self._memory(text, start, end, sentence, seg, flow)
        conceal = lex.conceal.search(sentence) if "conceal" in kinds else None
        if conceal and not lex.descriptive.search(_mask(sentence)):
            self.add("prose-concealment", start + conceal.start(), sentence, flow)

    def _exfiltration(self, text: str, start: int, sentence: str, seg: Segment | None,
                      flow: str, paragraph: str) -> None:
        lex = self.lex
        plain = _mask(sentence)  # objects named inside a URL are not the object of a sentence
        strong = lex.credential.search(plain)
        weak = None if strong else lex.secret.search(plain)
        leak = None if strong or weak else lex.context.search(plain)
        target = strong or weak or leak
        if target is None:
            return
        masked = _mask(sentence)  # no verbs inside URLs
        if strong:
            verb = lex.read.search(masked) or lex.send.search(masked)
        else:
            verb = lex.send.search(masked) or (lex.read.search(masked) if leak else None)
        if verb is None:
            return
        dest = _URL.search(sentence, verb.end()) or lex.destination.search(
            sentence, verb.end()) or (lex.destination.search(sentence) if strong else None)
        if dest is None:
            return
        if re.match(r"\s*(?:the|this|your)\s+user\b", masked[verb.end():], re.I):
            return  # "send the user this link": the user is the recipient, not a third party
        lead = sentence[max(dest.start() - 12, 0):dest.start()].lower()
        if re.search(r"\b(?:from|von|de|desde|из|从|から)\s*$", lead) and not \
                _MESSAGE_OF.search(lead):
            return  # "get your key from https://..." names where a secret comes from
        if _ENGLISH_DEST.search(dest.group(0)) and not re.search(
                r"\b(?:to|into|in|inside|within|as|via|through|à|au|aux|dans|en|zu|zum|zur|"
                r"im|al|a|na|no|nel|nella|nei)\b",
                sentence[max(dest.start() - 18, 0):dest.start()], re.I) and \
                not _MESSAGE_OF.search(lead):
            return  # "before the first commit" is not a destination
        if dest.group(0).lower().startswith(("your", "the", "my")) and not re.search(
                r"\b(?:contents?|full|entire|verbatim|whole|raw|its\s+text|in\s+full)\b",
                sentence, re.I):
            return  # summarising into the answer is the job; dumping a secret file is not
        if leak and not re.search(r"system\s*prompt|hidden\s+instructions|系统提示|"
                                  r"システムプロンプト|Systemprompt|prompt\s+système",
                                  sentence, re.I) and not re.search(
                                      r"https?://\S*\?[^\s]*" + re.escape(leak.group(0)[:6]),
                                      sentence, re.I) and "<" not in sentence:
            return
        if self.negated(sentence, verb) or self.documented(
                text, start + verb.start(), start + verb.end(), sentence, seg):
            return
        if self.lex.negation.search(_mask(sentence)[max(dest.start() - 14, 0):dest.start()]):
            return  # "(never commit this file)"
        if _CODEISH.search(sentence):
            return  # code pasted into prose: the flow analyzers judge code
        concealed = bool(lex.conceal.search(paragraph))
        rule = "prose-context-leak" if leak else "prose-secret-exfiltration"
        trace = ((self.unit.path, self.line(start + target.start()),
                  f"object: {clip(target.group(0), 60)}"),
                 (self.unit.path, self.line(start + dest.start()),
                  f"destination: {clip(dest.group(0), 80)}"))
        self.add(rule, start + verb.start(), sentence, flow, trace,
                 detail="with an instruction to hide it from the user" if concealed else "")

    def _memory(self, text: str, start: int, end: int, sentence: str, seg: Segment | None,
                flow: str) -> None:
        lex = self.lex
        target = lex.memory_file.search(sentence)
        verb = lex.write.search(sentence)
        if target is None or verb is None or self.negated(sentence, verb):
            return
        if self.documented(text, start + verb.start(), start + verb.end(), sentence, seg):
            return
        if re.search(r"\bpoison\w*|^\W*instructions\s+to\b", text[max(start - 300, 0):start]
                     .rsplit("\n\n", 1)[-1] + "\n" + sentence, re.I | re.M):
            return  # a checklist item naming the technique ("Instructions to modify CLAUDE.md")
        following = text[end:end + 300]
        said = sentence + "\n" + following
        if lex.lasting.search(said) and not re.search(
                r"\b(?:show|propose|ask|approve[sd]?\s+by|after\s+the\s+user|confirm)\b",
                sentence, re.I):
            self.add("prose-memory-poisoning", start + verb.start(), said.strip(), flow)

    def endpoints(self, text: str, segs: list[Segment] | None, heads: list) -> None:
        lex = self.lex
        for match in lex.endpoint.finditer(text):
            url = match.group(2)
            host = re.sub(r"^[a-z0-9]+://", "", url.lower()).split("/")[0].split("@")[-1]
            host = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
            if lex.endpoint_ok.match(host) or "$" in host or "{" in host or "<" in host or \
                    not re.search(r"[a-z0-9-]\.[a-z0-9-]", host):
                continue
            if _section_bad(lex, heads, match.start()):
                continue
            line_start = text.rfind("\n", 0, match.start()) + 1
            line = text[line_start:text.find("\n", match.end()) if "\n" in text[
                match.end():] else len(text)]
            if lex.descriptive.search(_mask(line)) or self.negated(line, re.search(
                    re.escape(match.group(1)), line) or match):
                continue
            flow = self.unit.flow or self.unit.path
            self.add("prose-endpoint-redirect", match.start(), match.group(0), flow)


def _section_bad(lex: Lexicon, heads: list, offset: int) -> bool:
    return bool(lex.bad_sections.search(section_path(heads, offset)))


def _bad_marks(lex: Lexicon, heads: list[tuple[int, int, str]]) -> tuple[list[int], list[bool]]:
    """For each heading: where it starts and whether the section path under it documents
    what not to do."""
    starts, bad = [], []
    stack: list[tuple[int, bool]] = []
    for start, level, title in heads:
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, bool(lex.bad_sections.search(title))))
        starts.append(start)
        bad.append(any(flag for _l, flag in stack))
    return starts, bad


def analyze_prose(unit: TextUnit, rules: RuleSet, index: LineIndex,
                  segs: list[Segment] | None) -> list[Hit]:
    """Instruction findings for a markdown or plain-text unit (documents included)."""
    if not rules.prose or not unit.text:
        return []
    reader = _Reader(unit, rules, index)
    text = unit.text
    heads = _headings(text) if unit.lang == "markdown" else []
    lowered = text.lower()
    pieces = [s for s in segs if s.kind == "prose"] if segs is not None else [
        Segment(0, len(text), "prose", "", unit.flow or unit.path, "")]
    marks: tuple[list[int], list[bool]] | None = None
    found = [(end - len(lit) + 1, lit) for end, lit in reader.lex.automaton.iter(lowered)]
    starts = [pos for pos, _lit in found]
    everywhere = {lit for _pos, lit in found}

    def within(start: int, end: int) -> set[str]:
        return {lit for _pos, lit in found[bisect.bisect_left(starts, start):
                                           bisect.bisect_left(starts, end)]}

    gates = [(kind, groups) for kind, groups in reader.lex.gates
             if all(not everywhere.isdisjoint(group) for group in groups)]
    for seg in pieces if gates else ():
        low = within(seg.start, seg.end)
        kinds = [(kind, groups) for kind, groups in gates
                 if all(not low.isdisjoint(group) for group in groups)]
        if not kinds:
            continue
        if marks is None:
            marks = _bad_marks(reader.lex, heads)
        where = bisect.bisect_right(marks[0], seg.start) - 1
        section_bad = where >= 0 and marks[1][where]
        paragraph = text[seg.start:seg.end]
        flow = unit.flow or seg.flow
        pos = seg.start
        for cut in [*_SENTENCE.finditer(paragraph), None]:
            end = seg.start + (cut.start() if cut else len(paragraph))
            if end > pos:
                said = within(pos, end)
                wanted = {kind for kind, groups in kinds
                          if all(not said.isdisjoint(group) for group in groups)}
                if wanted:
                    reader.sentence(text, pos, end, seg if segs is not None else None, flow,
                                    section_bad, paragraph, wanted)
            pos = seg.start + cut.end() if cut else end
    if any(t in everywhere for t in reader.lex.endpoint_triggers):
        reader.endpoints(text, segs, heads)
    return reader.hits


def endpoint_hits(unit: TextUnit, rules: RuleSet, index: LineIndex) -> list[Hit]:
    """Model-traffic redirection written in code or config (``export OPENAI_BASE_URL=...``,
    ``os.environ["ANTHROPIC_BASE_URL"] = ...``, a JSON ``"HTTPS_PROXY"`` key)."""
    if not rules.prose or not unit.text:
        return []
    lex = lexicon(rules)
    lowered = unit.text.lower()
    if not any(t in lowered for t in lex.endpoint_triggers):
        return []
    reader = _Reader(unit, rules, index)
    reader.endpoints(unit.text, None, [])
    return reader.hits


def bad_section_marks(text: str, rules: RuleSet) -> tuple[list[int], list[bool]]:
    """Heading offsets of a markdown text and whether each opens a "what not to do" section."""
    return _bad_marks(lexicon(rules), _headings(text))


def in_bad_section(marks: tuple[list[int], list[bool]], offset: int) -> bool:
    where = bisect.bisect_right(marks[0], offset) - 1
    return where >= 0 and marks[1][where]
