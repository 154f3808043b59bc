"""Group trajectories that solve the same kind of task.

Runs with the same ``task_id`` (or the same task text) always share a group. Units are then
clustered by the cosine similarity of a TF-IDF vector over the task's content words plus the
names of the tools used (tools every run uses weigh little). Clustering is single-pass leader
clustering against running centroids: linear in the number of runs times groups, and
deterministic for a given input order.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field

from .actions import tool_of
from .model import Trajectory
from .textsim import Vector, add_into, cosine, idf, normalise, tfidf, top_terms, words

DEFAULT_THRESHOLD = 0.45
ACTION_WEIGHT = 0.6


@dataclass
class Group:
    """Trajectories judged to solve one kind of task."""

    key: str
    trajectories: list[Trajectory]
    terms: list[str] = field(default_factory=list)  # words that set this group apart

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
    for tool in {tool_of(a.key) for a in traj.actions()}:
        feats["act:" + tool] += 1
    return feats


def group_by_task(
    trajectories: list[Trajectory],
    threshold: float = DEFAULT_THRESHOLD,
    action_weight: float = ACTION_WEIGHT,
) -> list[Group]:
    """Cluster trajectories into groups, largest first."""
    units: dict[str, list[Trajectory]] = {}
    for traj in trajectories:
        units.setdefault(_unit_key(traj), []).append(traj)
    feats = {key: sum((_features(t) for t in members), Counter())
             for key, members in units.items()}
    weights = idf(feats.values())
    vectors: dict[str, Vector] = {}
    for key, counts in feats.items():
        text = Counter({t: c for t, c in counts.items() if not t.startswith("act:")})
        acts = Counter({t: c for t, c in counts.items() if t.startswith("act:")})
        vec = {t: v * (1.0 - action_weight) for t, v in tfidf(text, weights).items()}
        add_into(vec, tfidf(acts, weights), action_weight)
        vectors[key] = normalise(vec)
    order = sorted(units, key=lambda k: (-len(units[k]), k))
    clusters: list[tuple[Vector, list[str]]] = []
    for key in order:
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

