"""Group runs by intent: what the requester asked for, not which tool the agent happened to use.

Each task (runs with one ``task_id``, else one task text) is a unit; its *intent text* is the
shorter of the first user message and the task statement (τ-bench's first message is the
request and its instruction a long persona; a SWE-agent task is the issue and its first message
a long template), cut to :data:`TEXT_CHARS`. Units are embedded with the router's offline
MiniLM model (TF-IDF over content words when the model is not installed) and merged by
average-linkage agglomerative clustering until no two clusters are :data:`THRESHOLD` similar.
Runs of one task therefore always share a group, and requests of different kinds (change a
flight, cancel one, ask for compensation) stay apart. Deterministic for a given input.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np

from .grouping import Group
from .model import Trajectory
from .textsim import idf, normalise, tfidf, top_terms, words

THRESHOLD = 0.55  # MiniLM cosine; tuned on the τ-bench training split only
TFIDF_THRESHOLD = 0.25  # the same for the TF-IDF fallback
TEXT_CHARS = 400
MAX_UNITS = 3000  # above this, units are first merged greedily (quadratic memory)

Embed = Callable[[list[str]], np.ndarray]


def intent_text(traj: Trajectory) -> str:
    """What the requester asked for, in their words (see the module doc)."""
    request, task = traj.request.strip(), traj.task.strip()
    text = min((t for t in (request, task) if t), key=len, default="")
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)[:TEXT_CHARS]


def unit_key(traj: Trajectory) -> str:
    if traj.task_id:
        return "id:" + traj.task_id
    text = " ".join(traj.task.lower().split())
    return "text:" + hashlib.sha1(text.encode("utf-8")).hexdigest()


def default_embed() -> tuple[Embed | None, float]:
    """The router's MiniLM embedder and its threshold, or (None, TF-IDF threshold)."""
    try:
        from ..route.dense import model_files, shared_embedder

        model_files()
    except Exception:  # noqa: BLE001 - no model installed: the documented TF-IDF path
        return None, TFIDF_THRESHOLD
    embedder = shared_embedder()
    return (lambda texts: embedder.embed(texts, max_tokens=128)), THRESHOLD


def _tfidf_matrix(texts: list[str]) -> np.ndarray:
    docs = [Counter(words(t)) for t in texts]
    weights = idf(docs)
    vocab = {term: i for i, term in enumerate(sorted(weights))}
    out = np.zeros((len(texts), max(len(vocab), 1)), dtype=np.float32)
    for row, doc in enumerate(docs):
        for term, value in normalise(tfidf(doc, weights)).items():
            out[row, vocab[term]] = value
    return out


def cluster(vectors: np.ndarray, threshold: float) -> list[list[int]]:
    """Average-linkage agglomerative clustering of unit vectors (rows L2-normalised)."""
    n = len(vectors)
    if n == 0:
        return []
    sim = (vectors @ vectors.T).astype(np.float64)
    np.fill_diagonal(sim, -np.inf)
    members: list[list[int]] = [[i] for i in range(n)]
    alive = np.ones(n, dtype=bool)
    while alive.sum() > 1:
        masked = np.where(alive[:, None] & alive[None, :], sim, -np.inf)
        flat = int(np.argmax(masked))
        a, b = divmod(flat, n)
        if masked[a, b] < threshold:
            break
        a, b = min(a, b), max(a, b)
        na, nb = len(members[a]), len(members[b])
        merged = (sim[a] * na + sim[b] * nb) / (na + nb)
        sim[a, :], sim[:, a] = merged, merged
        sim[a, a] = -np.inf
        sim[b, :], sim[:, b] = -np.inf, -np.inf
        alive[b] = False
        members[a] += members[b]
        members[b] = []
    return [sorted(m) for m in members if m]


def group_by_intent(trajectories: Sequence[Trajectory], threshold: float | None = None,
                    embed: Embed | None = None) -> list[Group]:
    """Groups of runs that ask for the same kind of thing, largest first."""
    units: dict[str, list[Trajectory]] = {}
    for traj in trajectories:
        units.setdefault(unit_key(traj), []).append(traj)
    keys = sorted(units, key=lambda k: (-len(units[k]), k))
    texts = [intent_text(units[k][0]) for k in keys]
    limit = threshold
    if embed is None:
        embed, fallback = default_embed()
        limit = fallback if threshold is None else threshold
    if limit is None:
        limit = THRESHOLD
    vectors = embed(texts) if embed is not None else _tfidf_matrix(texts)
    if len(keys) > MAX_UNITS:  # keep the quadratic step bounded: chunk by order
        clusters: list[list[int]] = []
        for start in range(0, len(keys), MAX_UNITS):
            part = cluster(vectors[start:start + MAX_UNITS], limit)
            clusters += [[start + i for i in c] for c in part]
    else:
        clusters = cluster(vectors, limit)
    unit_words = [set(words(t)) for t in texts]
    everywhere = Counter(w for ws in unit_words for w in ws)
    groups = []
    for members in clusters:
        runs = [t for i in members for t in units[keys[i]]]
        inside = Counter(w for i in members for w in unit_words[i])
        terms = top_terms(inside, everywhere - inside, len(members), len(keys) - len(members))
        group = Group("", runs, terms)
        group.requests = [texts[i] for i in members]
        groups.append(group)
    groups.sort(key=lambda g: (-len(g.trajectories), g.trajectories[0].id))
    for index, group in enumerate(groups, start=1):
        group.key = f"g{index}"
    return groups


def purity(groups: Sequence[Group], label: Callable[[Trajectory], str | None]
           ) -> dict[str, float]:
    """How well groups match known labels: purity (share of labelled tasks in their group's
    majority label), groups per task (mean) and groups per label (mean)."""
    labelled = 0
    majority = 0
    task_groups: dict[str, set[str]] = {}
    label_groups: dict[str, set[str]] = {}
    for group in groups:
        tasks: dict[str, str] = {}
        for traj in group.trajectories:
            task_groups.setdefault(unit_key(traj), set()).add(group.key)
            value = label(traj)
            if value is not None:
                tasks[unit_key(traj)] = value
                label_groups.setdefault(value, set()).add(group.key)
        if tasks:
            labelled += len(tasks)
            majority += Counter(tasks.values()).most_common(1)[0][1]
    return {
        "purity": majority / labelled if labelled else 0.0,
        "groups_per_task": (sum(len(g) for g in task_groups.values()) / len(task_groups)
                            if task_groups else 0.0),
        "groups_per_label": (sum(len(g) for g in label_groups.values()) / len(label_groups)
                             if label_groups else 0.0),
        "groups": float(len(groups)),
    }
