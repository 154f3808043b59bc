"""Group trajectories that solve the same kind of task.

Runs with the same ``task_id`` (or the same task text) always share a group. Units are then
clustered by the cosine similarity of a TF-IDF vector over the task's content words plus the
names of the tools used (tools every run uses weigh little). Clustering is single-pass leader
clustering against running centroids: linear in the number of runs times groups, and
deterministic for a given input. Tasks whose runs all failed are placed afterwards by their
words alone, so that a wrong tool does not separate a failure from the task it failed at.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from .actions import tool_of
from .model import Trajectory
from .textsim import Vector, add_into, cosine, idf, normalise, tfidf, top_terms, words

DEFAULT_THRESHOLD = 0.4
STRAY_RUNS = 2  # clusters this small ...
STRAY_FACTOR = 0.5  # ... join the closest bigger one at this share of the threshold
ACTION_WEIGHT = 0.6


@dataclass
class Group:
    """Trajectories judged to solve one kind of task."""

    key: str
    trajectories: list[Trajectory]
    terms: list[str] = field(default_factory=list)  # words that set this group apart
    requests: list[str] = field(default_factory=list)  # one intent text per task (see .intent)
    description: str | None = None  # set when a model rewrote the offline description

    @property
    def successes(self) -> list[Trajectory]:
        return [t for t in self.trajectories if t.succeeded]

    @property
    def failures(self) -> list[Trajectory]:
        return [t for t in self.trajectories if t.failed]


def _unit_key(traj: Trajectory) -> str:
    if traj.task_id:
        return "id:" + traj.task_id
    text = " ".join(traj.task.lower().split())
    return "text:" + hashlib.sha1(text.encode("utf-8")).hexdigest()


def _features(traj: Trajectory) -> Counter[str]:
    feats: Counter[str] = Counter(words(traj.task))
    for tool in sorted({tool_of(a.key) for a in traj.actions()}):
        feats["act:" + tool] += 1
    return feats


def _leader(keys: list[str], vectors: dict[str, Vector], threshold: float,
            clusters: list[tuple[Vector, list[str]]]) -> None:
    """Single-pass leader clustering of ``keys`` into ``clusters`` (in place)."""
    for key in keys:
        vec = vectors[key]
        best, best_sim = -1, threshold
        for index, (centroid, _members) in enumerate(clusters):
            sim = cosine(vec, normalise(centroid))
            if sim >= best_sim:
                best, best_sim = index, sim
        if best < 0:
            clusters.append((dict(vec), [key]))
        else:
            add_into(clusters[best][0], vec)
            clusters[best][1].append(key)


def group_by_task(
    trajectories: list[Trajectory],
    threshold: float = DEFAULT_THRESHOLD,
    action_weight: float = ACTION_WEIGHT,
) -> list[Group]:
    """Cluster trajectories into groups, largest first.

    Tasks with a run that did not fail are clustered first (request words and tools). Tasks
    whose runs all failed then join the group whose requests they resemble most (by words
    only: a failed run's wrong tools should not pull it away from its task), or form their own.
    """
    units: dict[str, list[Trajectory]] = {}
    for traj in trajectories:
        units.setdefault(_unit_key(traj), []).append(traj)
    feats = {key: sum((_features(t) for t in members), Counter())
             for key, members in units.items()}
    weights = idf(feats.values())
    vectors: dict[str, Vector] = {}
    texts: dict[str, Vector] = {}
    for key, counts in feats.items():
        text = Counter({t: c for t, c in counts.items() if not t.startswith("act:")})
        acts = Counter({t: c for t, c in counts.items() if t.startswith("act:")})
        texts[key] = tfidf(text, weights)
        vec = {t: v * (1.0 - action_weight) for t, v in texts[key].items()}
        add_into(vec, tfidf(acts, weights), action_weight)
        vectors[key] = normalise(vec)
    order = sorted(units, key=lambda k: (-len(units[k]), k))
    failed_only = {k for k in order if all(t.failed for t in units[k])}
    clusters: list[tuple[Vector, list[str]]] = []
    _leader([k for k in order if k not in failed_only], vectors, threshold, clusters)
    clusters = _absorb_strays(clusters, vectors, units, threshold * STRAY_FACTOR)
    text_centroids = [normalise(_sum(texts[k] for k in keys)) for _c, keys in clusters]
    leftovers: list[str] = []
    for key in (k for k in order if k in failed_only):
        sims = [(cosine(texts[key], c), i) for i, c in enumerate(text_centroids)]
        best = max(sims, default=(0.0, -1))
        if best[1] >= 0 and best[0] >= threshold:
            clusters[best[1]][1].append(key)
        else:
            leftovers.append(key)
    _leader(leftovers, vectors, threshold, clusters)
    unit_words = {key: set(words(members[0].task)) for key, members in units.items()}
    everywhere = Counter(w for ws in unit_words.values() for w in ws)
    groups = []
    for index, (_centroid, keys) in enumerate(clusters, start=1):
        members = [t for k in keys for t in units[k]]
        inside = Counter(w for k in keys for w in unit_words[k])
        terms = top_terms(inside, everywhere - inside, len(keys), len(units) - len(keys))
        groups.append(Group(f"g{index}", members, terms))
    groups.sort(key=lambda g: (-len(g.trajectories), int(g.key[1:])))
    for index, group in enumerate(groups, start=1):
        group.key = f"g{index}"
    return groups


def _sum(vectors: Iterable[Vector]) -> Vector:
    total: Vector = {}
    for vec in vectors:
        add_into(total, vec)
    return total


def _absorb_strays(clusters: list[tuple[Vector, list[str]]], vectors: dict[str, Vector],
                   units: dict[str, list[Trajectory]], floor: float
                   ) -> list[tuple[Vector, list[str]]]:
    """Tiny clusters (often runs that failed early, with few actions) join the most similar
    bigger cluster when they are at least ``floor`` similar to it."""
    def size(keys: list[str]) -> int:
        return sum(len(units[k]) for k in keys)

    big = [c for c in clusters if size(c[1]) > STRAY_RUNS]
    out = [(dict(v), list(k)) for v, k in big]
    for _centroid, keys in clusters:
        if size(keys) > STRAY_RUNS:
            continue
        stay: list[str] = []
        for key in keys:
            sims = [(cosine(vectors[key], normalise(c)), i) for i, (c, _k) in enumerate(big)]
            best = max(sims, default=(0.0, -1))
            if best[1] >= 0 and best[0] >= floor:
                out[best[1]][1].append(key)
            else:
                stay.append(key)
        if stay:
            out.append((_sum(vectors[k] for k in stay), stay))
    return out
