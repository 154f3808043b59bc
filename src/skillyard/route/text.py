"""What the router reads from a skill: field texts for lexical search and passages to embed.

Fields (BM25F): ``name`` (name and folder name, hyphens split), ``desc`` (description),
``head`` (markdown headings of the body and of reference files, plus reference file names) and
``body`` (the whole body). Dense passage: the name with the description (the body is searched
lexically; embedding an outline of it did not pay on the development set).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import Stemmer

from ..skill import Skill

FIELDS = ("name", "desc", "head", "body")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
_FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.MULTILINE | re.DOTALL)
TEXT_SUFFIXES = (".md", ".markdown", ".txt", ".rst")

STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself
    yourselves also may might must shall us via etc e g ie eg s t""".split()  # noqa: SIM905
)


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


WORD_CACHE = 1 << 16  # distinct words whose tokens are kept: about 20 MB, 97-99% found there
CACHED_WORD_CHARS = 64  # longer words (hashes, blobs) are worked out each time, never kept


def tokenize(text: str) -> list[str]:
    """Lowercased, stemmed word tokens without stopwords; CJK text gives one token a character.

    camelCase words are split as well as kept whole, so ``useState`` matches "use state".
    A word's tokens depend on the word alone, so they are worked out once per distinct word
    (the build tokenizes every body: most of its words are ones seen before).
    """
    return [token for word in _WORD.findall(normalize(text))
            for token in (_cached_word_tokens(word) if len(word) <= CACHED_WORD_CHARS
                          else _word_tokens(word))]


def _word_tokens(word: str) -> tuple[str, ...]:
    if _CJK.search(word):
        parts = _split_cjk(word)
    else:
        parts = []
        if not word.islower():  # an all-lowercase word has no camelCase boundary
            split = _CAMEL.split(word)
            if len(split) > 1:
                parts.extend(p.lower() for p in split)
        parts.append(word.lower())
    kept = [w for w in parts if w not in STOPWORDS and len(w) < 40]
    return tuple(_stemmer().stemWords(kept)) if kept else ()


_cached_word_tokens = lru_cache(maxsize=WORD_CACHE)(_word_tokens)


def _split_cjk(word: str) -> list[str]:
    out: list[str] = []
    run = ""
    for char in word:
        if _CJK.match(char):
            if run:
                out.append(run.lower())
                run = ""
            out.append(char)
        else:
            run += char
    if run:
        out.append(run.lower())
    return out


def headings(markdown: str) -> list[str]:
    """Markdown ATX headings outside fenced code blocks."""
    return [m.group(1) for m in _HEADING.finditer(_FENCE.sub("", markdown))]


def folder_name(skill: Skill) -> str:
    tail = skill.id.rstrip("/").rsplit("/", 1)[-1]
    return tail.split("@", 1)[-1].split(":")[-1]


def resource_paths(skill: Skill) -> list[str]:
    """Paths of the skill's other files: its inventory, or a corpus record's file listing."""
    paths = [f.path for f in skill.resources]
    listed = skill.provenance.extra.get("files")
    if isinstance(listed, list):
        paths.extend(str(item.get("path")) for item in listed
                     if isinstance(item, dict) and item.get("path"))
    return sorted(set(paths))


def collection(skill: Skill) -> str:
    """The source collection a skill came from: its repository for corpus records and git,
    the indexed root for folders (used to prefer a focused source's copy of a forked skill)."""
    prov = skill.provenance
    repo = prov.extra.get("source_repo")
    if isinstance(repo, str) and repo:
        return repo
    if prov.kind == "corpus" and "@" in skill.id.split("/", 1)[0]:
        return skill.id.split("/", 1)[0]
    return f"{prov.kind}:{prov.source}"


def _path_words(path: str) -> str:
    return re.sub(r"[/_.\-]+", " ", path.rsplit(".", 1)[0] if "." in path else path)


def resource_headings(skill: Skill, limit: int = 200) -> list[str]:
    """Headings of the text files kept with the skill (reference .md files)."""
    out: list[str] = []
    for entry in skill.resources:
        if entry.data is None or not entry.path.lower().endswith(TEXT_SUFFIXES):
            continue
        try:
            out.extend(headings(entry.data.decode("utf-8")))
        except UnicodeDecodeError:
            continue
        if len(out) >= limit:
            break
    return out[:limit]


@dataclass(frozen=True, slots=True)
class SkillText:
    """Everything the router indexes for one skill."""

    name: str
    desc: str
    head: str
    body: str
    dense_desc: str

    def field(self, name: str) -> str:
        return str(getattr(self, name))


def skill_text(skill: Skill) -> SkillText:
    folder = folder_name(skill)
    name_words = f"{skill.name} {skill.name.replace('-', ' ')}"
    if folder and folder != skill.name:
        name_words += f" {folder} {folder.replace('-', ' ')}"
    paths = resource_paths(skill)
    head_parts = headings(skill.body) + resource_headings(skill) + [_path_words(p) for p in paths]
    description = skill.description or ""
    dense_desc = f"{skill.name.replace('-', ' ')}: {description}".strip()
    return SkillText(
        name=name_words,
        desc=description,
        head="\n".join(head_parts),
        body=skill.body,
        dense_desc=dense_desc,
    )
