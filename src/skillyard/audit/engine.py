"""The audit pipeline for one skill: inventory -> per-unit analyzers -> signatures ->
consistency -> correlation -> policy -> verdict and tier."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..skill import Skill
from . import envchain
from .combine import correlate
from .consistency import check_consistency
from .content import DATA_LANGS, FENCE_LANGS, TextUnit
from .decode import decoded_units
from .deep import flow_hits, guarded, unit_hits
from .docctx import (
    DocContext,
    data_lines,
    doc_context,
    example_block,
    heading_marks,
    recreated_target,
    section_path,
)
from .graph import Effects, effects_of
from .inventory import BlobReader, take_inventory
from .mdparse import LineIndex, Segment, is_quoted, segment_at, segments
from .model import AuditResult, Finding, Hit, sort_findings
from .policy import Policy
from .prose import bad_section_marks, in_bad_section
from .provenance import check_for_policy, signature_findings
from .pycode import analyze_python
from .rules import RuleSet, load_rules
from .secrets import scan_secrets
from .signatures import scan_signatures
from .text import (
    host_of,
    html_comments,
    markdown_urls,
    run_patterns,
    soften_trusted_installers,
    url_hosts,
)
from .tiers import tier_for
from .unicode import scan_unicode

_GROUPS = {
    "markdown": ("text", "shell"), "text": ("text", "shell"), "python": ("text", "shell"),
    "shell": ("text", "shell"), "javascript": ("text", "shell", "javascript"),
}


@dataclass
class Analysis:
    """Everything the analyzers found for one skill, before the policy."""

    findings: list[Finding]
    effects: Effects
    units: list[TextUnit]
    unseen_scripts: int


def _code_blocks(unit: TextUnit, segs: list[Segment], index: LineIndex) -> list[TextUnit]:
    out = []
    for seg in segs:
        if seg.kind != "code":
            continue
        lang = FENCE_LANGS.get(seg.lang)
        if lang not in ("python", "javascript"):
            continue
        block = unit.text[seg.start:seg.end]
        lines = block.split("\n")
        body = lines[1:]
        if body and body[-1].strip().startswith(("```", "~~~")):
            body = body[:-1]
        elif len(body) > 1 and body[-2].strip().startswith(("```", "~~~")) and not body[-1]:
            body = body[:-2]
        out.append(TextUnit(unit.path, "\n".join(body), lang,
                            line_offset=index.line(seg.start) + unit.line_offset,
                            flow=seg.flow, origin="code-block"))
    return out


def analyze_unit(unit: TextUnit, rules: RuleSet,
                 segs: list[Segment] | None = None) -> list[Hit]:
    index = LineIndex(unit.text)
    hits = scan_unicode(unit, index)
    if segs is None and unit.lang == "markdown":
        segs = segments(unit.text, unit.path)
    for group in _GROUPS.get(unit.lang, ("text", "shell")):
        hits += run_patterns(unit, group, rules, index, segs)
    hits += url_hosts(unit, index, segs, rules)
    if unit.lang == "markdown":
        hits += html_comments(unit, index, segs)
        hits += markdown_urls(unit, index, segs)
        for block in _code_blocks(unit, segs, index):
            if block.lang == "python":
                hits += analyze_python(block, rules, report_syntax=False)
            else:
                hits += run_patterns(block, "javascript", rules, LineIndex(block.text), None)
    elif unit.lang == "python":
        hits += analyze_python(unit, rules, report_syntax=unit.origin in ("file", "member"))
    hits += scan_secrets(unit, index)
    hits += unit_hits(unit, rules, index, segs)
    for child in decoded_units(unit, index, segs):
        child_index = LineIndex(child.text)
        for group in ("text", "shell", "javascript"):
            for hit in run_patterns(child, group, rules, child_index, None):
                if group == "text" and child.origin == "decoded-data":
                    hits.append(Hit(hit.rule, hit.file, hit.line, hit.evidence, hit.flow,
                                    "in encoded sample data", False, "info", True))
                    continue
                hits.append(Hit(hit.rule, hit.file, hit.line, hit.evidence, hit.flow,
                                "found in base64/hex-decoded text", hit.skill_scope,
                                hit.severity, hit.inert))
        hits += url_hosts(child, child_index, None, rules)
    return soften_trusted_installers(hits, rules)


def analyze(skill: Skill, *, rules: RuleSet | None = None,
            read_blob: BlobReader | None = None) -> Analysis:
    """Run every analyzer on one skill and correlate the hits (no policy yet)."""
    rules = rules or load_rules()
    inv = take_inventory(skill, read_blob)
    hits = list(inv.hits)
    cache: dict[int, list[Segment]] = {}
    for unit in inv.units:
        if unit.lang == "markdown":
            cache[id(unit)] = segments(unit.text, unit.path)
        hits += guarded("patterns", unit.path, unit.flow or unit.path,
                        lambda u=unit: analyze_unit(u, rules, cache.get(id(u))))

    def segments_of(unit: TextUnit) -> list[Segment]:
        if id(unit) not in cache:
            cache[id(unit)] = segments(unit.text, unit.path)
        return cache[id(unit)]

    found, ctx = flow_hits(inv.units, rules, _credential(rules), _memory(rules), segments_of)
    hits += found
    hits += scan_signatures(inv.blobs, rules)
    hits = contextualise(skill, hits, inv.units, rules)
    hits += check_consistency(skill, hits, rules)
    tag_of = {h.rule: rules.get(h.rule).tag for h in hits}
    effects = effects_of(inv.units, hits, tag_of)
    for path, flow in ctx.writes.items():
        effects.collects.setdefault(path, flow)
    for path, flow in ctx.sends.items():
        effects.sends.setdefault(path, flow)
    env_collects, env_sends = envchain.effects(ctx)
    for path, flow in env_collects.items():
        effects.collects.setdefault(path, flow)
    for path, flow in env_sends.items():
        effects.sends.setdefault(path, flow)
    return Analysis(correlate(hits, rules), effects, inv.units, inv.unseen_scripts)


_PATTERNS: dict[str, tuple[re.Pattern[str], re.Pattern[str]]] = {}


def _patterns(rules: RuleSet) -> tuple[re.Pattern[str], re.Pattern[str]]:
    if rules.digest not in _PATTERNS:
        _PATTERNS[rules.digest] = (re.compile(rules.fragments["credential_path"], re.I),
                                   re.compile(rules.fragments["memory_file"], re.I))
    return _PATTERNS[rules.digest]


def _credential(rules: RuleSet) -> re.Pattern[str]:
    return _patterns(rules)[0]


def _memory(rules: RuleSet) -> re.Pattern[str]:
    return _patterns(rules)[1]


_WARNED = re.compile(r"\b(?:never|don'?t|do\s+not|avoid|dangerous|danger|destructive|forbidden|"
                     r"blocked?|deny|denied|prevent\w*|careful|warning|caution|unsafe|bad|wrong|"
                     r"anti-?patterns?|red\s+flags?|guard\w*|refuse\w*|prohibit\w*)\b|❌|⚠", re.I)


def _soften(hit: Hit, severity: str, detail: str) -> Hit:
    return Hit(hit.rule, hit.file, hit.line, hit.evidence, hit.flow, detail, False, severity,
               True)


_NOT_DOCUMENTATION = ("html-comment", "unicode", "zero-width", "bidi", "variation", "homoglyph",
                      "punycode", "hardcoded-secret", "analyzer-", "yara-")


def _documented(hit: Hit, docs: dict[str, TextUnit], rules: RuleSet,
                parsed: dict[str, tuple[list, LineIndex]], marks: dict[str, tuple],
                intent: str = "") -> Hit:
    """A hit in the prose (or a data block) of a section about what not to do is documentation:
    reported, never correlated, never blocking. A hit in a code block that the document gives
    as an example (docctx) is a warning at most, never correlated."""
    if hit.inert or hit.file not in docs or not hit.line or rules.get(hit.rule).fail_closed \
            or (hit.rule.startswith(_NOT_DOCUMENTATION) and not hit.rule.startswith("yara-")):
        return hit
    unit = docs[hit.file]
    if hit.file not in parsed:
        parsed[hit.file] = (segments(unit.text, unit.path), LineIndex(unit.text))
    if hit.file not in marks:
        marks[hit.file] = bad_section_marks(unit.text, rules)
    segs, index = parsed[hit.file]
    offset = index.start(hit.line - unit.line_offset)
    seg = segment_at(segs, offset)
    if seg is not None and seg.kind == "code" and (reason := data_lines(unit.text, segs, seg,
                                                                          offset)):
        return _cap(hit, rules, f"data in a code block ({reason})")
    if seg is not None and seg.kind == "code" and seg.lang not in DATA_LANGS:
        end = unit.text.find("\n", offset)
        line = unit.text[offset:end if end >= 0 else len(unit.text)].strip()
        if line.startswith(("#", "//")) and _WARNED.search(line):
            return _soften(hit, "low", "in a code comment that warns against it")
        return _example(hit, unit, segs, seg, rules, marks, intent)
    if hit.rule.startswith("yara-"):
        return hit  # the signature branch of contextualise judges prose and data blocks
    if in_bad_section(marks[hit.file], offset):
        return _soften(hit, "info", "in a section about what not to do")
    return hit


_RANK = {"info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}


def _example(hit: Hit, unit: TextUnit, segs: list[Segment], seg: Segment, rules: RuleSet,
             marks: dict[str, tuple], intent: str) -> Hit:
    key = f"{hit.file}\0headings"
    if key not in marks:
        marks[key] = (heading_marks(unit.text, segs), doc_context(unit.path, intent))
    heads, ctx = marks[key]
    assert isinstance(ctx, DocContext)
    reason = example_block(unit.text, segs, seg, section_path(heads, seg.start), ctx)
    if not reason:
        return hit
    return _cap(hit, rules, f"shown as an example in documentation ({reason})")


def _cap(hit: Hit, rules: RuleSet, detail: str) -> Hit:
    """The hit at medium at most, never correlated."""
    severity = hit.severity or rules.get(hit.rule).severity
    return _soften(hit, "medium" if _RANK[severity] > _RANK["medium"] else severity, detail)


def contextualise(skill: Skill, hits: list[Hit], units: list[TextUnit],
                  rules: RuleSet | None = None) -> list[Hit]:
    """Context the pattern engines cannot see: a shady-looking service that the description
    names is the skill's declared purpose; a signature quoted in documentation prose (inline
    code, tables, examples) documents a technique rather than performing it."""
    intent = f"{skill.name} {skill.description}".lower()
    docs = {u.path: u for u in units if u.lang == "markdown" and u.origin != "decoded"}
    scripts = {u.path: u for u in units if u.lang == "shell" and u.origin in ("file", "member")}
    parsed: dict[str, tuple[list, LineIndex]] = {}
    marks: dict[str, tuple] = {}
    out = []
    for hit in hits:
        if rules is not None:
            hit = _documented(hit, docs, rules, parsed, marks, intent)
        if hit.inert:
            pass
        elif hit.rule == "shady-host":
            labels = [x for x in host_of(hit.evidence).split(".")[:-1] if len(x) >= 4]
            if any(label in intent for label in labels):
                hit = _soften(hit, "low", "the description names this service")
        elif hit.rule == "destructive-targeted" and hit.file in docs and hit.line \
                and not hit.inert:
            unit = docs[hit.file]
            if hit.file not in parsed:
                parsed[hit.file] = (segments(unit.text, unit.path), LineIndex(unit.text))
            segs, index = parsed[hit.file]
            offset = index.start(hit.line)
            seg = segment_at(segs, offset)
            line = unit.text[offset:unit.text.find("\n", offset) if "\n" in unit.text[offset:]
                             else len(unit.text)]
            if seg is None or seg.kind == "prose":
                hit = _soften(hit, "medium", "mentioned in prose, not given as a command")
            elif _WARNED.search(line) or _WARNED.search(seg.heading):
                hit = _soften(hit, "low", "shown as something not to do")
            elif reason := recreated_target(hit.evidence, unit.text[seg.start:seg.end]):
                hit = _soften(hit, "medium", reason)
        elif hit.rule == "destructive-targeted" and hit.file in scripts and not hit.inert:
            if reason := recreated_target(hit.evidence, scripts[hit.file].text):
                hit = _soften(hit, "medium", reason)
        elif hit.rule.startswith("yara-") and hit.file in docs and hit.line:
            unit = docs[hit.file]
            if hit.file not in parsed:
                parsed[hit.file] = (segments(unit.text, unit.path), LineIndex(unit.text))
            segs, index = parsed[hit.file]
            offset = index.start(hit.line)
            seg = segment_at(segs, offset)
            line = unit.text[offset:unit.text.find("\n", offset) if "\n" in unit.text[offset:]
                             else len(unit.text)]
            if seg is not None and seg.kind == "prose" and (
                "`" in line or is_quoted(unit.text, offset, offset, seg)
            ):
                hit = _soften(hit, "medium", "quoted in documentation prose")
            elif seg is not None and seg.kind == "code" and seg.lang in DATA_LANGS:
                hit = _soften(hit, "medium", "in a data block (not executed)")
        out.append(hit)
    return out


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[object, ...]] = set()
    out = []
    for f in findings:
        key = (f.rule, f.file, f.line, f.evidence)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def decide(skill: Skill, findings: list[Finding], policy: Policy, *,
           unseen_scripts: int = 0, read_blob: BlobReader | None = None
           ) -> tuple[list[Finding], str, int]:
    """Apply the policy: the findings kept, the verdict and the tier. The skill's signature is
    checked here (it depends on the policy's allowed signers): a bad one blocks, and a signer's
    ceiling applies only to a verified signature."""
    check = check_for_policy(skill, policy, read_blob)
    findings = findings + signature_findings(check, policy)
    kept = sort_findings(_dedupe(policy.apply(findings)))
    verdict = policy.verdict(kept)
    tier = tier_for(verdict, policy.ceiling(skill, check.principal if check.verified else None),
                    unseen_scripts=unseen_scripts)
    return kept, verdict, tier


def audit_skill(skill: Skill, *, policy: Policy | None = None, rules: RuleSet | None = None,
                read_blob: BlobReader | None = None, location: str = "") -> AuditResult:
    """Audit one skill with its own content (or content read through ``read_blob``)."""
    rules = rules or load_rules()
    policy = policy or Policy()
    analysis = analyze(skill, rules=rules, read_blob=read_blob)
    findings, verdict, tier = decide(skill, analysis.findings, policy,
                                     unseen_scripts=analysis.unseen_scripts, read_blob=read_blob)
    return AuditResult(
        skill=skill.id, name=skill.name, digest=skill.digest, verdict=verdict,  # type: ignore[arg-type]
        tier=tier, findings=findings, rules_digest=rules_digest(rules, policy),
        effects=analysis.effects.to_dict(), location=location,
        signer=check_for_policy(skill, policy, read_blob).signer(),
    )


def rules_digest(rules: RuleSet, policy: Policy) -> str:
    import hashlib

    return hashlib.sha256(f"{rules.digest}:{policy.digest}".encode()).hexdigest()
