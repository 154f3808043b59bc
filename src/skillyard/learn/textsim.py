"""Small sparse TF-IDF vectors and cosine similarity (pure Python, no numpy)."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable

_WORD = re.compile(r"[a-z][a-z'-]{2,}")
_STOP_TEXT = """
a about above after again against all also am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further had
has have having he her here hers herself him himself his how i if in into is it its itself just
me more most my myself no nor not now of off on once only or other our ours ourselves out over
own same she should so some such than that the their theirs them themselves then there these they
this those through to too under until up very was we were what when where which while who whom
why will with would you your yours yourself yourselves let lets let's want wants like please
you're you've you'll don't can't won't it's i'm i've one two also may might must shall
"""
STOPWORDS = frozenset(_STOP_TEXT.split())

Vector = dict[str, float]


def words(text: str) -> list[str]:
    """Lowercase content words (no stop words, no tokens with digits)."""
    return [w.strip("'-") for w in _WORD.findall(text.lower())
            if w not in STOPWORDS and len(w.strip("'-")) > 2]


def idf(docs: Iterable[Iterable[str]]) -> dict[str, float]:
    """Smoothed inverse document frequency over documents given as term collections."""
    counts: Counter[str] = Counter()
    total = 0
    for doc in docs:
        total += 1
        counts.update(set(doc))
    return {term: math.log((1 + total) / (1 + n)) + 1.0 for term, n in counts.items()}


def tfidf(terms: Counter[str] | dict[str, float], weights: dict[str, float]) -> Vector:
    """A unit-length TF-IDF vector (sublinear term frequency)."""
    vec = {t: (1.0 + math.log(c)) * weights.get(t, 1.0) for t, c in terms.items() if c > 0}
    return normalise(vec)


def normalise(vec: Vector) -> Vector:
    norm = math.sqrt(sum(v * v for v in vec.values()))
    return {t: v / norm for t, v in vec.items()} if norm else {}


def cosine(a: Vector, b: Vector) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(v * b.get(t, 0.0) for t, v in a.items())


def add_into(total: Vector, vec: Vector, scale: float = 1.0) -> None:
    for t, v in vec.items():
        total[t] = total.get(t, 0.0) + v * scale


def top_terms(inside: Counter[str], outside: Counter[str], n_in: int, n_out: int,
              limit: int = 6) -> list[str]:
    """Terms most over-represented in a set of documents compared with the rest."""
    scored = []
    for term, count in inside.items():
        p_in = count / max(n_in, 1)
        p_out = (outside.get(term, 0) + 0.5) / (max(n_out, 0) + 1.0)
        if count < 2 and n_in > 2:
            continue
        scored.append((p_in * math.log(1.0 + p_in / p_out), term))
    scored.sort(key=lambda x: (-x[0], x[1]))
    return [t for _, t in scored[:limit]]
