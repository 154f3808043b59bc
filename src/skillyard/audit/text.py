"""Text analyzer: pattern rules from the data files, hidden HTML comments, URL exfiltration in
markdown images and links, and URL hosts (raw IPs, paste/tunnel services, trusted installers)."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from .content import DATA_LANGS, FENCE_LANGS, TextUnit
from .mdparse import LineIndex, Segment, is_quoted, segment_at
from .model import Hit, clip
from .rules import PATTERN_FILES, Rule, RuleSet

MAX_HITS_PER_RULE = 5
_COMMENT = re.compile(r"<!--(.{0,20000}?)-->", re.S)
_AGENT = re.compile(
    r"\b(?:ignore|disregard|override)\b[^.\n]{0,40}\b(?:instructions?|rules|above|previous)\b|"
    r"\b(?:you\s+are\s+now|as\s+an\s+ai\b|do\s+not\s+(?:tell|mention|reveal|inform)|secretly|"
    r"silently|without\s+telling)|^\s*(?:assistant|system|ai)\s*:|\b(?:send|upload|post|"
    r"exfiltrate|copy)\b[^.\n]{0,40}\b(?:credentials|secrets|keys|tokens|passwords|\.env)\b",
    re.I | re.M)
_COMMAND = re.compile(r"\b(?:curl|wget|bash|sh\s+-c|powershell|iex|nc\s)\b|https?://", re.I)
_MD_URL = re.compile(r"(!?)\[[^\]\n]{0,300}\]\(\s*<?(https?://[^)\s>]+)")
_PLACEHOLDER = re.compile(
    r"[?&][^=&#\s]{1,40}=(\{\{?[^}]{1,60}\}?\}|<[^>]{1,60}>|\$\{?[A-Za-z_]\w*\}?|\[[A-Z_ ]{2,40}\]|"
    r"%7B[^%]{1,60}%7D|\.\.\.|[A-Z_]{4,})")
_DATA_WORDS = re.compile(
    r"conversation|chat|histor|messages|secret|passw|credential|api[_ -]?key|access[_ -]?token|"
    r"system[_ -]?prompt|memory|environ|\benv\b|cookie|session|summary|transcript|context", re.I)
_URL = re.compile(r"(?i)\b(?:https?|ftp|wss?)://[^\s)\]>\"'`|]+")


_AUTOMATA: dict[str, object] = {}
_LAST: list[object] = [None, "", {}]  # the text last scanned, the rules digest, its literals


def _automaton(rules: RuleSet) -> object:
    """One Aho-Corasick automaton over the prefilter literals of every pattern rule."""
    if rules.digest not in _AUTOMATA:
        import ahocorasick

        owners: dict[str, list[str]] = {}
        for group in PATTERN_FILES:
            for rule in rules.group(group):
                for literal in rule.any:
                    owners.setdefault(literal, []).append(rule.id)
        automaton = ahocorasick.Automaton()
        for literal, ids in owners.items():
            automaton.add_word(literal, (len(literal), tuple(ids)))
        automaton.make_automaton()
        _AUTOMATA[rules.digest] = automaton
    return _AUTOMATA[rules.digest]


def _literal_hits(text: str, rules: RuleSet) -> dict[str, list[tuple[int, int]]]:
    """Rule id -> (start, end) of each of its prefilter literals in ``text``, in order. One
    pass for all rules; the last text's answer is kept, as each unit is scanned by several
    pattern groups in a row."""
    if _LAST[0] is text and _LAST[1] == rules.digest:
        return _LAST[2]  # type: ignore[return-value]
    found: dict[str, list[tuple[int, int]]] = {}
    for end, (length, ids) in _automaton(rules).iter(same_length_lower(text)):  # type: ignore[attr-defined]
        for rule_id in ids:
            found.setdefault(rule_id, []).append((end - length + 1, end + 1))
    for spans in found.values():
        spans.sort()
    _LAST[:] = [text, rules.digest, found]
    return found


def _windows(text: str, places: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Spans (a line holding a prefilter literal, plus the next line) worth running a rule on."""
    spans: list[tuple[int, int]] = []
    for lit_start, lit_end in places:
        if spans and lit_start < spans[-1][1]:
            continue
        start = text.rfind("\n", 0, lit_start) + 1
        end = text.find("\n", lit_end)
        end = len(text) if end < 0 else text.find("\n", end + 1)
        end = len(text) if end < 0 else end
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return spans


def same_length_lower(text: str) -> str:
    """Lower-case without changing offsets ('İ'.lower() is two characters long)."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text)


def _hit(rule: Rule, unit: TextUnit, index: LineIndex, match: re.Match[str],
         seg: Segment | None, severity: str = "", detail: str = "") -> Hit:
    """A hit for a pattern match; with a severity it is softened and never correlated."""
    return Hit(rule.id, unit.path, index.line(match.start()) + unit.line_offset,
               clip(match.group(0)), flow=unit.flow or (seg.flow if seg else unit.path),
               detail=detail, skill_scope=rule.skill_scope and not severity,
               severity=severity, inert=bool(severity))


def run_patterns(unit: TextUnit, group: str, rules: RuleSet, index: LineIndex,
                 segs: list[Segment] | None) -> list[Hit]:
    """Apply one group of pattern rules (text, shell or javascript) to a unit.

    A rule with prefilter literals runs only on the lines (and the line after) where one of
    them occurs; the literals are chosen so that every match contains one."""
    text = unit.text
    literals = _literal_hits(text, rules)
    prose_unit = unit.lang in ("markdown", "text") and unit.origin != "decoded"
    hits: list[Hit] = []
    for rule in rules.group(group):
        assert rule.pattern is not None
        spans = _windows(text, literals.get(rule.id, [])) if rule.any else [(0, len(text))]
        count = 0
        seen: set[int] = set()
        for span_start, span_end in spans:
            for match in rule.pattern.finditer(text, span_start, span_end):
                if match.start() in seen:
                    continue
                seen.add(match.start())
                seg = segment_at(segs, match.start()) if segs else None
                if rule.where == "prose" and seg is not None and seg.kind == "code":
                    continue
                in_code = (seg.kind == "code") if seg is not None else not prose_unit
                shell_code = in_code and (unit.lang == "shell" if seg is None
                                          else FENCE_LANGS.get(seg.lang) == "shell")
                if in_code and seg is not None and seg.lang in DATA_LANGS and \
                        rule.group != "text":
                    # logs, queries, detection rules and config shown as data are not run
                    hits.append(_hit(rule, unit, index, match, seg, "medium" if
                                     rule.severity in ("high", "critical") else "info",
                                     "in a data block (not executed)"))
                    count += 1
                    continue
                # In shell code, quotes are command syntax; in other code they delimit string
                # data; in prose they mark examples. Runnable critical code stays critical.
                quoted = (rule.quoted is not None and (rule.group == "text" or not shell_code)
                          and not (in_code and rule.severity == "critical")
                          and is_quoted(text, match.start(), match.end(), seg))
                if quoted:
                    hits.append(_hit(rule, unit, index, match, seg, rule.quoted or "",
                                     "quoted or given as an example"))
                else:
                    hits.append(_hit(rule, unit, index, match, seg))
                count += 1
                if count >= MAX_HITS_PER_RULE:
                    break
            if count >= MAX_HITS_PER_RULE:
                break
    return hits


def html_comments(unit: TextUnit, index: LineIndex, segs: list[Segment] | None) -> list[Hit]:
    """Comments are invisible once rendered, except inside code (shown verbatim)."""
    hits = []
    for match in _COMMENT.finditer(unit.text):
        seg = segment_at(segs, match.start()) if segs else None
        line_start = unit.text.rfind("\n", 0, match.start()) + 1
        if (seg is not None and seg.kind == "code") or \
                unit.text[line_start:match.start()].count("`") % 2:
            continue
        body = match.group(1)
        line = index.line(match.start()) + unit.line_offset
        flow = unit.flow or f"{unit.path}#c{line}"
        if _AGENT.search(body):
            hits.append(Hit("html-comment-instructions", unit.path, line, clip(body), flow=flow))
        elif _COMMAND.search(body):
            hits.append(Hit("html-comment-command", unit.path, line, clip(body), flow=flow))
    return hits


_REF_DEF = re.compile(r"^ {0,3}\[([^\]\n]{1,100})\]:[ \t]*<?(https?://[^\s>]+)", re.M)
_HTML_IMG = re.compile(r"<img\b[^>]{0,300}?\bsrc\s*=\s*[\"']?(https?://[^\"'\s>]+)", re.I)
_BARE_HOLDER = re.compile(r"[?&][^=&#\s]{1,40}=([A-Z][A-Z0-9_]{0,39})(?:&|$)")


def _candidates(text: str) -> list[tuple[int, int, bool, str]]:
    """(start, end, is_image, url) of inline links and images, reference-style images (the
    definition ``[id]: url`` used by ``![alt][id]``) and HTML ``<img src=...>``."""
    out = [(m.start(), m.end(), m.group(1) == "!", m.group(2)) for m in _MD_URL.finditer(text)]
    if "]:" in text:
        for m in _REF_DEF.finditer(text):
            label = re.escape(m.group(1))
            image = re.search(rf"!\[[^\]\n]{{0,300}}\]\[{label}\]", text, re.I) is not None
            out.append((m.start(), m.end(), image, m.group(2)))
    if "<img" in text or "<IMG" in text:
        out += [(m.start(), m.end(), True, m.group(1)) for m in _HTML_IMG.finditer(text)]
    return out


def _explained(text: str, start: int, token: str) -> str:
    """A bare capitalised placeholder (``?q=Q``) that the prose around it defines as
    conversation data ("where Q is the user's previous messages", "replacing Q with the chat
    history"): the data words, or ''."""
    around = text[max(0, start - 600):start + 600]
    tok = re.escape(token)
    defined = re.compile(
        rf"(?:\bwhere\s+|\breplac\w*\s+|\bsubstitut\w*\s+|\bfill\w*\s+in\s+)[`'\"]?{tok}\b|"
        rf"(?<![\w=/]){tok}[`'\"]?\s+(?:is|=|stands\s+for|means|with|by)\b")
    for m in defined.finditer(around):
        sentence = around[m.start():m.end() + 120]
        if found := _DATA_WORDS.search(sentence):
            return found.group(0)
    return ""


def markdown_urls(unit: TextUnit, index: LineIndex, segs: list[Segment] | None) -> list[Hit]:
    """Images (and links) whose query string is filled from conversation data."""
    hits = []
    for start, end, image, url in _candidates(unit.text):
        holder = _PLACEHOLDER.search(url)
        words = holder.group(1) if holder else ""
        if not holder:
            bare = _BARE_HOLDER.search(url)
            words = _explained(unit.text, start, bare.group(1)) if bare and image else ""
            if not words:
                continue
        seg = segment_at(segs, start) if segs else None
        flow = unit.flow or (seg.flow if seg else unit.path)
        line = index.line(start) + unit.line_offset
        evidence = clip(unit.text[start:end])
        if not (image or _DATA_WORDS.search(words)):
            continue
        if is_quoted(unit.text, start, end, seg) or (
                seg is not None and seg.kind == "code" and seg.lang in DATA_LANGS):
            hits.append(Hit("image-exfiltration", unit.path, line, evidence,
                            flow=flow, detail="quoted or given as an example", severity="info",
                            inert=True))
        elif _DATA_WORDS.search(words):
            hits.append(Hit("image-exfiltration", unit.path, line, evidence, flow=flow))
        elif image:
            hits.append(Hit("url-template", unit.path, line, evidence, flow=flow))
    return hits


def host_of(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


_LOCAL_NETS = tuple(ipaddress.ip_network(n) for n in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "169.254.0.0/16",
    "0.0.0.0/8", "100.64.0.0/10", "::1/128", "fc00::/7", "fe80::/10", "::/128"))


def public_ip(host: str) -> bool:
    """A bare IP that is not local or private. Documentation ranges (192.0.2.0/24 ...) count
    as public: they stand for real addresses in examples and in our inert fixtures."""
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return not any(address in net for net in _LOCAL_NETS if net.version == address.version)


def host_listed(url: str, entries: list[str]) -> bool:
    """True when the URL's host (and path, for entries with one) matches a listed entry."""
    host = host_of(url)
    if not host:
        return False
    rest = urlsplit(url).path if "/" in url[8:] else ""
    target = host + rest
    for entry in entries:
        entry_host, _, entry_path = entry.partition("/")
        same_host = host == entry_host or host.endswith("." + entry_host)
        if same_host and (not entry_path
                          or target[len(host):].lstrip("/").startswith(entry_path)):
            return True
    return False


def url_hosts(unit: TextUnit, index: LineIndex, segs: list[Segment] | None,
              rules: RuleSet) -> list[Hit]:
    """Raw public IPs and shady services in any URL of the unit."""
    hits: list[Hit] = []
    shady = rules.hosts.get("shady", [])
    seen: set[tuple[str, str]] = set()
    for match in _URL.finditer(unit.text):
        url = match.group(0)
        host = host_of(url)
        rule = "raw-ip-host" if public_ip(host) else (
            "shady-host" if host_listed(url, shady) else "")
        if not rule or (rule, host) in seen:
            continue
        seen.add((rule, host))
        seg = segment_at(segs, match.start()) if segs else None
        hits.append(Hit(rule, unit.path, index.line(match.start()) + unit.line_offset,
                        clip(url), flow=unit.flow or (seg.flow if seg else unit.path)))
    return hits


def soften_trusted_installers(hits: list[Hit], rules: RuleSet) -> list[Hit]:
    """Piping a well-known installer (astral.sh, rustup ...) to a shell is reported as info."""
    trusted = rules.hosts.get("trusted_installers", [])
    out = []
    for hit in hits:
        if hit.rule in ("remote-pipe-to-shell", "download-and-run"):
            urls = _URL.findall(hit.evidence)
            if urls and all(host_listed(u, trusted) for u in urls):
                hit = Hit(hit.rule, hit.file, hit.line, hit.evidence, hit.flow,
                          "the host is a well-known installer", severity="info", inert=True)
        out.append(hit)
    return out
