"""The 60K/200K synthetic scale of ``bench/routing.py``: a generation replicated from the built
11K one, and plain BM25 timed over the same replicated term counts; and the plain BM25
baseline the routing benches measure next to skillyard."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np


def replicate(db: str, target: int, workdir: Path) -> Any:
    """A generation of ``target`` skills made from the built one: every extra copy of a skill
    drops a random 10% of its terms, gets its description vector nudged (cosine ~0.97 to the
    original) and a MinHash signature with ~8% of its slots changed, so copies are near
    duplicates of the original (as forks in real corpora are) but not identical. The
    multilingual vectors are nudged the same way; the copies of a skill described in another
    language join the multilingual stand-in, and the glossary is the original's. The BM25F
    weights, groups and abstention thresholds are computed by the real build code.
    """
    from skillyard.route import bodies as body_store
    from skillyard.route import dedup, gloss, storage, xling
    from skillyard.route.calibrate import calibrate
    from skillyard.route.dense import fit_projection, project
    from skillyard.route.lexical import BM25FIndex, TermCounts
    from skillyard.route.scan import save_scan
    from skillyard.route.settings import PROJECTION_DIMS, RouteSettings

    src = storage.current(storage.index_dir(db))
    assert src is not None
    rng = np.random.default_rng(7)
    ids, names, descs = src.lines("ids"), src.lines("names"), src.lines("descs")
    colls = src.lines("collections")
    n = len(ids)
    counts = TermCounts(src.array("tc_ptr", mmap=False), src.array("tc_terms", mmap=False),
                        src.array("tc_tf", mmap=False), src.array("tc_len", mmap=False))
    has_model = (src.path / "desc.npy").is_file()
    sigs = src.array("minhash", mmap=False)
    desc = (src.array("desc", mmap=False) if has_model
            else np.zeros((n, 0), np.float32))
    sdesc = np.asarray(src.array("sdesc", mmap=False), np.float32)
    ml = src.array("ml_desc", mmap=False) if xling.in_index(src) else None
    ml_parts = [] if ml is None else [ml]
    stand_in = (src.array(xling.STAND_IN, mmap=False) if xling.in_stand_in(src)
                else np.zeros(0, np.int32))
    stand_in_parts = [stand_in]
    svecs = [sdesc]
    copies = [np.arange(n)]
    all_ids, all_names, all_descs, all_colls = list(ids), list(names), list(descs), list(colls)
    parts, vecs, sig_parts = [counts], [desc], [sigs]
    replica = 0
    while sum(len(c) for c in copies) < target:
        replica += 1
        take = np.arange(min(n, target - sum(len(c) for c in copies)))
        copies.append(take)
        sub = counts.take(take)
        keep = rng.random(len(sub.terms)) >= 0.1
        doc_of = np.repeat(np.arange(len(take)), np.diff(sub.ptr))
        kept = np.bincount(doc_of[keep], minlength=len(take))
        parts.append(TermCounts(np.concatenate(([0], np.cumsum(kept))).astype(np.int64),
                                sub.terms[keep], sub.tf[keep], sub.lengths * 0.9))
        if has_model:
            noise = rng.normal(0, 0.012, (len(take), desc.shape[1])).astype(np.float32)
            v = desc[take] + noise
            vecs.append(v / np.linalg.norm(v, axis=1, keepdims=True))
        sv = sdesc[take] + rng.normal(0, 0.012, (len(take), sdesc.shape[1])).astype(np.float32)
        svecs.append(sv / np.linalg.norm(sv, axis=1, keepdims=True))
        if ml is not None:
            mv = ml[take] + rng.normal(0, 0.012, (len(take), ml.shape[1])).astype(ml.dtype)
            ml_parts.append(mv / np.linalg.norm(mv, axis=1, keepdims=True))
        offset = sum(len(c) for c in copies[:-1])
        stand_in_parts.append(stand_in[stand_in < len(take)] + offset)
        s = sigs[take].copy()
        flip = rng.random(s.shape) < 0.08
        s[flip] = rng.integers(0, 2**32 - 1, int(flip.sum()), dtype=np.uint64).astype(np.uint32)
        sig_parts.append(s)
        all_ids += [f"{ids[i]}~r{replica}" for i in take]
        all_names += [names[i] for i in take]
        all_descs += [descs[i] for i in take]
        all_colls += [f"{colls[i]}~r{replica}" for i in take]
    merged = TermCounts.concat(parts)
    settings = RouteSettings()
    lexical = BM25FIndex.build(merged, settings.bm25f)
    signatures = np.concatenate(sig_parts)
    group_ids = dedup.groups(all_ids, all_names, signatures)
    static = np.concatenate(svecs)
    smean, sbasis = fit_projection(static, PROJECTION_DIMS)
    sproj = project(static, smean, sbasis)
    if has_model:
        vectors = np.concatenate(vecs)
        family_ids = dedup.families(all_ids, all_names, vectors, group_ids,
                                    settings.family_cosine)
    else:
        family_ids = dedup.families(all_ids, all_names, sproj, group_ids,
                                    settings.static_family_cosine)
    sizes: dict[str, int] = {}
    for key in all_colls:
        sizes[key] = sizes.get(key, 0) + 1
    root = workdir / f"scale-{target}.route"
    gen = storage.new_generation(root)
    gen.save_lines("ids", all_ids)
    gen.save_lines("digests", ["-"] * len(all_ids))
    gen.save_lines("names", all_names)
    gen.save_lines("descs", all_descs)
    gen.save_lines("groups", group_ids)
    gen.save_lines("families", family_ids)
    gen.save_lines("collections", all_colls)
    for name, arr in (("tc_ptr", merged.ptr), ("tc_terms", merged.terms), ("tc_tf", merged.tf),
                      ("sdesc", static.astype(np.float16)),
                      ("sdesc_proj", sproj), ("sproj_mean", smean),
                      ("sproj_basis", sbasis), ("static_idf", src.array("static_idf")),
                      ("lex_vocab", lexical.vocab), ("lex_indptr", lexical.indptr),
                      ("lex_docs", lexical.docs), ("lex_weights", lexical.weights),
                      ("collection_size", np.array([sizes[c] for c in all_colls], np.int32))):
        gen.save_array(name, arr)
    save_scan(gen.path, "sdesc_proj", sproj)  # as a build keeps it
    if body_store.in_index(src):  # every copy keeps its original's body
        opened = body_store.Bodies.open(src)
        assert opened is not None
        rows = [int(r) for r in np.concatenate(copies)]
        body_store.save_passages(gen, [opened.passages(r) for r in rows])
        body_store.save_vectors(gen, np.concatenate(
            [np.zeros((0, opened.vecs.shape[1]), np.float16),
             *(np.asarray(opened.vecs[opened.sptr[r]:opened.sptr[r + 1]]) for r in rows)]))
    if has_model:
        mean, basis = fit_projection(vectors, PROJECTION_DIMS)
        for name, arr in (("desc", vectors), ("desc_proj", project(vectors, mean, basis)),
                          ("proj_mean", mean), ("proj_basis", basis)):
            gen.save_array(name, arr)
    manifest = src.manifest()
    manifest["skills"] = len(all_ids)
    manifest["abstain"] = None
    if ml is not None:
        from skillyard.route.calibrate import offtopic_queries

        ml_all = np.concatenate(ml_parts)
        stand_in_rows = np.concatenate(stand_in_parts).astype(np.int32)
        gen.save_array("ml_desc", ml_all)
        save_scan(gen.path, "ml_desc", ml_all)
        gen.save_array(xling.STAND_IN, stand_in_rows)
        if gloss.in_index(src):
            gen.save_array(gloss.NAME, src.array(gloss.NAME, mmap=False))
            gen.save_lines(gloss.NAME, src.lines(gloss.NAME))
        manifest["multilingual"] = {
            **manifest.get("multilingual", {}), "stand_in_skills": len(stand_in_rows),
            "threshold": xling.calibrate(ml_all, offtopic_queries(),
                                         settings.abstain_quantile)}
    gen.save_manifest(manifest)
    manifest["abstain"] = calibrate(gen, settings, None)
    gen.save_manifest(manifest)
    storage.publish(root, gen)
    return gen


def scale_bm25(gen: Any, queries: list[dict[str, Any]], k: int) -> dict[str, list[float]]:
    """Plain BM25 (k1=1.2, b=0.75, every field as one text) over the replicated term counts:
    the baseline's latency at this scale."""
    from skillyard.route.lexical import BM25FIndex, BM25FParams, TermCounts

    ptr, tf = gen.array("tc_ptr", mmap=False), gen.array("tc_tf", mmap=False)
    sizes = np.diff(ptr)
    lengths = np.zeros((len(sizes), tf.shape[1]), np.float32)
    full = sizes > 0
    lengths[full] = np.add.reduceat(tf.astype(np.float32), ptr[:-1][full], axis=0)
    counts = TermCounts(ptr, gen.array("tc_terms", mmap=False), tf, lengths)
    merged = TermCounts(counts.ptr, counts.terms,
                        tf.sum(axis=1, dtype=np.uint32).clip(0, 65535).astype(np.uint16)
                        [:, None].repeat(tf.shape[1], axis=1) * np.array([1, 0, 0, 0],
                                                                          np.uint16),
                        lengths.sum(axis=1, keepdims=True).repeat(tf.shape[1], axis=1))
    index = BM25FIndex.build(merged, BM25FParams(weights=(1.0, 0.0, 0.0, 0.0),
                                                 b=(0.75, 0.0, 0.0, 0.0), k1=1.2))
    latency, cpu = [], []
    for q in queries:
        t0, c0 = time.perf_counter(), time.process_time()
        plain_top(index, q["query"], k)
        latency.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return {"wall": latency, "cpu": cpu}


def plain_bm25(docs: list[list[str]]) -> Any:
    """Plain BM25 (k1=1.2, b=0.75) over tokenized documents, each one text."""
    from skillyard.route.lexical import BM25FIndex, BM25FParams, TermCounts

    plain = BM25FParams(weights=(1.0, 0.0, 0.0, 0.0), b=(0.75, 0.0, 0.0, 0.0), k1=1.2)
    return BM25FIndex.build(TermCounts.from_fields([[d, [], [], []] for d in docs]), plain)


def plain_top(index: Any, query: str, k: int = 10) -> np.ndarray:
    """The rows of ``plain_bm25``'s ``k`` best documents for ``query``, best first."""
    from skillyard.route.text import tokenize

    scores = index.score(tokenize(query), max_terms=10**6)
    top = np.argpartition(-scores, k)[:k]
    return top[np.argsort(-scores[top], kind="stable")]
