"""An English gloss of a request in another language, for the router's English signals.

The multilingual encoder (route/xling.py) compares a whole request with whole descriptions;
it finds the right neighbourhood but is a coarse judge between siblings. The English signals
(BM25F, the static encoder, the learned second stage) are sharp but read English words only.
The gloss joins them: every word of the request (for Chinese, Japanese and Korean, which do
not separate words, every pair of characters) is encoded by the multilingual
encoder and replaced by the closest English word of the library's own vocabulary, when it is
close enough; the English words then stand for the request in the English signals, while the
multilingual signal still reads the request itself.

The vocabulary (``GLOSS_WORDS`` most frequent words of the skills' names and descriptions) and
its vectors are made when the index is built with ``--multilingual`` and kept in the index
(``ml_gloss.npy``, ``ml_gloss.txt``); words already encoded by the previous generation are
copied, not encoded again.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..progress import Progress, counter
from .text import STOPWORDS
from .xling import DIM, MultilingualEncoder, foreign_function_word, is_foreign, shared_encoder

GLOSS_WORDS = 30_000  # vocabulary cap (the most frequent): the query-side product grows with it
MIN_SIMILARITY = 0.5  # below this, a request's word has no English counterpart worth using
MAX_UNITS = 64  # words or character runs of one request that are looked up
CJK_SPANS = (2,)  # lengths of the character runs looked up inside CJK text
NAME = "ml_gloss"  # ml_gloss.npy (vectors) and ml_gloss.txt (words) in a generation

_ENGLISH_WORD = re.compile(r"[a-z][a-z0-9+#]*(?:[.-][a-z0-9+#]+)*")
_CJK_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]+")
# Within CJK text, by script: Han characters form words of one or two characters, so they
# are looked up in pairs; a katakana run is one loanword (スキャン, レイアウト), a Hangul run one
# Korean word; hiragana is mostly grammar (particles, verb endings) and is not looked up.
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")
_WHOLE = re.compile(r"[\u30a0-\u30ff]+|[\uac00-\ud7af]+")
_WORD = re.compile(r"[^\W_]+(?:[.+#-][^\W_]+)*", re.UNICODE)


def in_index(gen: object | None) -> bool:
    """Whether a generation (storage.Generation, or None) holds a glossary."""
    path = getattr(gen, "path", None)
    return path is not None and (Path(path) / f"{NAME}.npy").is_file()


def vocabulary(names: Sequence[str], descs: Sequence[str],
               foreign: Sequence[bool] | None = None) -> list[str]:
    """The most frequent words of the library's English names and descriptions, by document
    frequency; stopwords and one-letter words left out. Descriptions in another language
    (``foreign``, when the caller has already told them apart) are skipped: their
    Latin-script words (Spanish "haz", Italian "mio") would otherwise stand in for
    themselves in a gloss."""
    df: Counter[str] = Counter()
    other = foreign if foreign is not None else [is_foreign(d) for d in descs]
    for name, desc, skip in zip(names, descs, other, strict=True):
        if skip:
            continue
        text = f"{name.replace('-', ' ')} {desc}".lower()
        df.update(set(_ENGLISH_WORD.findall(text)))
    # ties in alphabetical order: the same library gives the same glossary in every process
    ranked = sorted(df.items(), key=lambda item: (-item[1], item[0]))
    return [w for w, _ in ranked if len(w) > 1 and w not in STOPWORDS][:GLOSS_WORDS]


def build(names: Sequence[str], descs: Sequence[str], previous: Path | None,
          encoder: MultilingualEncoder | None = None,
          progress: Progress | None = None, foreign: Sequence[bool] | None = None
          ) -> tuple[list[str], np.ndarray, int]:
    """(words, float32 [len(words), DIM] vectors, how many were encoded now)."""
    words = vocabulary(names, descs, foreign)
    vecs = np.zeros((len(words), DIM), np.float32)
    known: dict[str, int] = {}
    old = None
    if previous is not None and (previous / f"{NAME}.npy").is_file():
        old_words = (previous / f"{NAME}.txt").read_text("utf-8").split("\n")
        old = np.load(previous / f"{NAME}.npy", mmap_mode="r")
        known = {w: i for i, w in enumerate(old_words) if i < len(old)}
    fresh = [i for i, w in enumerate(words) if w not in known]
    for i, w in enumerate(words):
        if old is not None and w in known:
            vecs[i] = old[known[w]]
    if fresh:
        vecs[fresh] = (encoder or shared_encoder()).encode(
            [words[i] for i in fresh], counter(progress, "multilingual glossary", len(fresh)))
    return words, vecs, len(fresh)


def units(query: str) -> list[str]:
    """What is looked up: each word (lowercased; not a function word of English or another
    Latin-script language; a hyphenated compound also in its parts); inside runs of Han
    characters, every run of ``CJK_SPANS`` characters (pairs: single characters and triples
    added noise on the tune split); each katakana or Hangul run whole."""
    out: list[str] = []
    for run in _HAN.findall(query):
        if len(run) == 1:
            out.append(run)
        for n in CJK_SPANS:
            out.extend(run[i:i + n] for i in range(len(run) - n + 1))
    out.extend(run for run in _WHOLE.findall(query) if run.strip("ー・"))  # not marks alone
    for word in _WORD.findall(_CJK_RUN.sub(" ", query)):
        low = word.lower()
        # a compound's parts ("Meeting-Transkript"); a code whole as well ("ERC-20")
        parts = low.split("-")
        if len(parts) > 1 and any(ch.isdigit() for ch in low):
            parts.append(low)
        out.extend(part for part in parts if part and part not in STOPWORDS
                   and not foreign_function_word(part) and not part.isdigit())
    return list(dict.fromkeys(out))[:MAX_UNITS]


class Glossary:
    """The index's vocabulary and its multilingual vectors."""

    def __init__(self, words: list[str], vectors: np.ndarray) -> None:
        self.words = words
        self.vectors = vectors

    @classmethod
    def open(cls, path: Path) -> Glossary | None:
        """The glossary stored in a generation folder, if it has one."""
        if not (path / f"{NAME}.npy").is_file():
            return None
        words = (path / f"{NAME}.txt").read_text("utf-8").split("\n")
        vectors = np.load(path / f"{NAME}.npy", mmap_mode="r", allow_pickle=False)
        return cls(words, vectors) if len(words) == len(vectors) else None

    def gloss(self, query: str, encoder: MultilingualEncoder | None = None) -> str:
        """The English words that stand for ``query`` (empty when none is close enough)."""
        looked = units(query)
        if not looked or not len(self.words):
            return ""
        return self._words(looked, (encoder or shared_encoder()).encode(looked))

    def read(self, query: str, encoder: MultilingualEncoder | None = None
             ) -> tuple[str, np.ndarray]:
        """The gloss of ``query`` and the request's own multilingual vector: the request is
        encoded in one call with the units looked up (the encoder then reads its weights
        once for both: about 1.5 ms less a request)."""
        looked = units(query)
        vecs = (encoder or shared_encoder()).encode([*looked, query])
        return self._words(looked, vecs[:-1]), vecs[-1]

    def _words(self, looked: list[str], vecs: np.ndarray) -> str:
        if not looked or not len(self.words):
            return ""
        sims = (self.vectors @ vecs.T).T  # the same products; BLAS is faster this way round
        best = sims.argmax(axis=1)
        close = sims[np.arange(len(looked)), best] >= MIN_SIMILARITY
        words = []
        for unit, word, keep in zip(looked, best, close, strict=True):
            if unit.isascii() and any(ch.isdigit() for ch in unit):
                words.append(unit)  # codes (TP53, ERC-20, S3) read the same in English...
            elif keep:
                words.append(self.words[word])  # ... and their neighbours are other codes
        return " ".join(dict.fromkeys(words))
