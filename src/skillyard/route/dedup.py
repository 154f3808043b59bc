"""Near-duplicate groups: forks of one skill (same normalised name, nearly the same body).

Two skills are linked when their normalised names are equal and the Jaccard similarity of
their bodies' word 5-shingle sets is at least ``threshold``, estimated from MinHash signatures
(kept per skill, so an update only hashes new or changed skills). Groups are the connected
components; a group's id is its smallest skill id.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections import defaultdict
from collections.abc import Sequence

import numpy as np

PERMS = 128
SHINGLE = 5
THRESHOLD = 0.8
_WORDS = re.compile(r"[^\W_]+|[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]", re.UNICODE)
_rng = np.random.default_rng(20260411)
_A = (_rng.integers(1, 2**63 - 1, PERMS, dtype=np.int64).astype(np.uint64) | np.uint64(1))
_B = _rng.integers(0, 2**63 - 1, PERMS, dtype=np.int64).astype(np.uint64)
_MIX = np.uint64(0x9E3779B97F4A7C15)


def normal_name(name: str) -> str:
    text = unicodedata.normalize("NFKC", name).lower()
    return re.sub(r"[^0-9a-z\u00c0-\uffff]+", "-", text).strip("-")


def _find(parent: dict[int, int], i: int) -> int:
    """Union-find root with path halving."""
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def minhash(body: str) -> np.ndarray:
    """A MinHash signature (uint32 [PERMS]) of the body's word 5-shingles."""
    words = _WORDS.findall(unicodedata.normalize("NFKC", body).lower())
    if not words:
        return np.full(PERMS, np.iinfo(np.uint32).max, np.uint32)
    hashed = np.fromiter(map(zlib.crc32, map(str.encode, words)), np.uint64, len(words))
    span = min(SHINGLE, len(hashed))
    count = len(hashed) - span + 1
    shingles = np.zeros(count, np.uint64)
    with np.errstate(over="ignore"):
        for k in range(span):
            shingles = shingles * _MIX + hashed[k : k + count]
        mixed = shingles[None, :] * _A[:, None] + _B[:, None]
    return (mixed >> np.uint64(32)).min(axis=1).astype(np.uint32)


def groups(
    ids: Sequence[str], names: Sequence[str], signatures: np.ndarray,
    threshold: float = THRESHOLD,
) -> list[str]:
    """The group id of each skill (the smallest id among its near-duplicates)."""
    parent = dict(enumerate(range(len(ids))))

    def find(i: int) -> int:
        return _find(parent, i)

    by_name: dict[str, list[int]] = defaultdict(list)
    for i, name in enumerate(names):
        by_name[normal_name(name)].append(i)
    empty = np.iinfo(np.uint32).max
    for members in by_name.values():
        if len(members) < 2:
            continue
        sigs = signatures[members]
        blank = (sigs == empty).all(axis=1)
        for a in range(len(members) - 1):
            if blank[a]:
                continue
            same = (sigs[a + 1 :] == sigs[a]).mean(axis=1) >= threshold
            for b in np.flatnonzero(same & ~blank[a + 1 :]) + a + 1:
                ra, rb = find(members[a]), find(members[int(b)])
                if ra != rb:
                    parent[max(ra, rb)] = min(ra, rb)
    smallest: dict[int, str] = {}
    for i, sid in enumerate(ids):
        root = find(i)
        if root not in smallest or sid < smallest[root]:
            smallest[root] = sid
    return [smallest[find(i)] for i in range(len(ids))]


def families(
    ids: Sequence[str], names: Sequence[str], vectors: np.ndarray, group_ids: Sequence[str],
    cosine: float,
) -> list[str]:
    """Versions of one skill: same normalised name and descriptions at least ``cosine``
    similar (or already near-duplicates). Looser than groups; a family id is its smallest id."""
    by_name: dict[str, list[int]] = defaultdict(list)
    for i, name in enumerate(names):
        by_name[normal_name(name)].append(i)
    out = list(group_ids)
    for members in by_name.values():
        if len(members) < 2:
            continue
        parent = {m: m for m in members}

        def find(i: int, parent: dict[int, int] = parent) -> int:
            return _find(parent, i)

        vecs = np.asarray(vectors[members], np.float32)
        for a in range(len(members) - 1):
            close = vecs[a + 1 :] @ vecs[a] >= cosine
            for b in np.flatnonzero(close) + a + 1:
                parent[find(members[int(b)])] = find(members[a])
        by_group: dict[str, int] = {}
        for m in members:  # near-duplicates are always one family
            if group_ids[m] in by_group:
                parent[find(m)] = find(by_group[group_ids[m]])
            by_group.setdefault(group_ids[m], m)
        smallest: dict[int, str] = {}
        for m in members:
            root = find(m)
            if root not in smallest or ids[m] < smallest[root]:
                smallest[root] = ids[m]
        for m in members:
            out[m] = smallest[find(m)]
    return out
