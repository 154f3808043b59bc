"""Build or update the routing index from a library store, touching only what changed.

A skill whose digest is unchanged since the last generation keeps its term counts, MinHash
signature and vectors; a changed or new skill is read, tokenized and hashed again, and its
passages are embedded only when their text (keyed by content digest) has no cached vector in
the previous generation or in the library's embedding store (shared by every process that
builds over the same library; see :mod:`.vectors`).
Global parts (BM25F weights, near-duplicate groups, abstention threshold) are recomputed from
those per-skill parts in vectorised passes, which takes seconds.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ..errors import SkillyardError
from ..library.store import Store
from ..progress import Progress, counter
from ..skill import Skill, SkillFile
from . import bodies as body_store
from . import dedup, gloss, memory, storage, xling
from .dense import DIM, MODEL_ID, Embedder, fit_projection, project, text_key
from .encode_ahead import EncodeAhead
from .lexical import BM25FIndex, TermCounts
from .scan import save_scan
from .settings import DENSE_MAX_TOKENS, PROJECTION_DIMS, TEXT_VERSION, RouteSettings
from .static import StaticEncoder, idf_weights, shared_static
from .text import FIELDS, TEXT_SUFFIXES, collection, skill_text, tokenize
from .vectors import LocalEmbedding, VectorMaker, stored

MAX_RESOURCE_BYTES = 256 * 1024
# Passages embedded per skill (SkillText.dense_<kind>). An outline of the body was tried as a
# second passage and did not pay on the development set (see bench/routing.py).
DENSE_KINDS = ("desc",)


@dataclass
class BuildReport:
    """What a routing index build did."""

    path: str
    skills: int = 0
    read: int = 0  # skills (re)read and tokenized because they were new or changed
    reused: int = 0  # skills whose parts came from the previous generation
    embedded: int = 0  # passages run through the model
    cached: int = 0  # passages whose vectors came from a cache (previous index or store)
    from_store: int = 0  # ... of which from the library's embedding store
    dropped: int = 0  # skills in the old index no longer in the library
    groups: int = 0  # near-duplicate groups with more than one member
    up_to_date: bool = False
    seconds: float = 0.0
    stages: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _config(model: bool) -> dict[str, Any]:
    return {"format": storage.FORMAT, "text_version": TEXT_VERSION, "model": MODEL_ID,
            "dense_max_tokens": DENSE_MAX_TOKENS, "docs": DOCS_MODEL if model else DOCS_STATIC}


def with_resource_text(store: Store, skill: Skill) -> Skill:
    """The skill with the content of its small text resources loaded (for their headings)."""
    files = []
    for entry in skill.files:
        if (entry.data is None and entry.kind == "file" and entry.size <= MAX_RESOURCE_BYTES
                and entry.path.lower().endswith(TEXT_SUFFIXES)):
            with contextlib.suppress(SkillyardError):  # a missing blob only costs headings
                entry = SkillFile(entry.path, entry.size, entry.sha256,
                                  data=store.read_blob(entry.sha256))
        files.append(entry)
    return Skill(skill.id, skill.name, skill.description, skill.frontmatter, skill.body,
                 tuple(files), skill.provenance, skill.diagnostics, skill.parse_method)


READ_CHUNK = 512  # skills read, tokenized and counted at a time (memory stays flat)
# The static idf weights and the projections are kept from the previous generation while the
# library stays within this fraction of the size they were fitted on; an update then touches
# only the vectors of changed skills. A full build, or drift past this, fits them again.
REFIT_DRIFT = 0.25
DOCS_MODEL, DOCS_STATIC = "model", "static"
# Files every generation has (the up-to-date check only looks that they are there).
LINES = ("ids", "digests", "names", "descs", "groups", "families", "collections")
ARRAYS = ("collection_size", "sd_ptr", "sd_ids", "static_idf", "sdesc", "sdesc_proj",
          "sproj_mean", "sproj_basis", "tc_ptr", "tc_terms", "tc_tf", "tc_len", "minhash",
          "lex_vocab", "lex_indptr", "lex_docs", "lex_weights", *body_store.ARRAYS)
MODEL_ARRAYS = ("proj_mean", "proj_basis", "desc_proj", *DENSE_KINDS,
                *(f"{k}_keys" for k in DENSE_KINDS))


def _complete(gen: storage.Generation, model: bool) -> bool:
    names = [f"{n}.txt" for n in LINES] + [f"{n}.npy" for n in ARRAYS]
    if model:
        names += [f"{n}.npy" for n in MODEL_ARRAYS]
    return all((gen.path / n).is_file() for n in names)


class _Previous:
    """The parts of the last generation that a build may reuse (loaded only when needed)."""

    def __init__(self, gen: storage.Generation | None, config: dict[str, Any]) -> None:
        self.rows: dict[str, int] = {}
        self.settings: Any = None
        self.digests: list[str] = []
        self.keys: dict[bytes, tuple[str, int]] = {}
        self.manifest: dict[str, Any] = {}
        self.gen = gen
        if gen is None:
            return
        try:
            self.manifest = gen.manifest()
            if self.manifest.get("config") != config:
                self.gen = None
                return
            if not _complete(gen, config["docs"] == DOCS_MODEL):
                self.gen = None  # damaged: rebuild everything
                return
            self.settings = self.manifest.get("settings")
            ids = gen.lines("ids")
            self.digests = gen.lines("digests")
            self.rows = {sid: i for i, sid in enumerate(ids)}
        except (OSError, ValueError, storage.RouteIndexError):
            self.gen = None  # unusable: rebuild everything
        if self.gen is None or len(self.digests) != len(self.rows):
            self.gen, self.rows, self.digests = None, {}, []

    def load(self, model: bool) -> None:
        """Read the per-skill parts an update reuses (after the up-to-date check)."""
        gen = self.gen
        if gen is None:
            return
        try:
            self._load(gen, model)
        except (OSError, ValueError, storage.RouteIndexError):
            self.gen, self.rows, self.digests, self.keys = None, {}, [], {}

    def _load(self, gen: storage.Generation, model: bool) -> None:
        if model:
            for kind in DENSE_KINDS:
                for i, key in enumerate(gen.array(f"{kind}_keys", mmap=False).tolist()):
                    # numpy drops trailing NUL bytes of "S16" items; keys are 16 bytes long
                    self.keys.setdefault(key.ljust(16, b"\0"), (kind, i))
        self.names = gen.lines("names")
        self.descs = gen.lines("descs")
        self.collections = gen.lines("collections")
        self.counts = TermCounts(
            gen.array("tc_ptr", mmap=False), gen.array("tc_terms", mmap=False),
            gen.array("tc_tf", mmap=False), gen.array("tc_len", mmap=False),
        )
        self.minhash = gen.array("minhash", mmap=False)
        self.sd_ptr = gen.array("sd_ptr", mmap=False)
        self.sd_ids = gen.array("sd_ids", mmap=False)
        self.bodies = body_store.Bodies.open(gen)

    def static_ids(self, row: int) -> np.ndarray:
        return np.asarray(self.sd_ids[self.sd_ptr[row]:self.sd_ptr[row + 1]], np.int64)

    def vector(self, key: bytes) -> np.ndarray | None:
        hit = self.keys.get(key)
        if hit is None or self.gen is None:
            return None
        return np.asarray(self.gen.array(hit[0])[hit[1]])

    def fit(self, n: int) -> bool:
        """Whether the previous idf and projections may be kept for a library of ``n``."""
        fitted = int(self.manifest.get("fitted_on") or 0)
        return self.gen is not None and fitted > 0 and abs(n - fitted) <= REFIT_DRIFT * fitted


def previous_docs(store: Store) -> str | None:
    """How the live generation encoded descriptions (``model`` or ``static``), if any."""
    try:
        gen = storage.current(storage.index_dir(store.path))
        return None if gen is None else gen.manifest().get("config", {}).get("docs")
    except (OSError, storage.RouteIndexError):
        return None


def build_index(
    store: Store,
    *,
    full: bool = False,
    full_model: bool | None = None,
    settings: RouteSettings | None = None,
    embedder: Embedder | None = None,
    progress: Progress | None = None,
    vectors: VectorMaker | None = None,
    static: StaticEncoder | None = None,
    multilingual: bool | None = None,
) -> BuildReport:
    """Bring the routing index of ``store`` up to date; ``full`` ignores the previous one and
    the stored vectors (everything is embedded again). Descriptions are encoded by the static
    (distilled) encoder alone unless ``full_model`` is set, which also runs the MiniLM model
    over every description (needed only for the ``desc_weight`` signal); None keeps what the
    live generation used. ``vectors`` makes the missing model vectors (default: this process,
    in chunks; ``skillyard.batch`` spreads them over Ray workers). ``multilingual`` True also
    encodes names and descriptions with the multilingual encoder (route/xling.py), False
    drops those vectors, None keeps what the live generation has."""
    with storage.build_lock(storage.index_dir(store.path)):
        if full_model is None:
            full_model = previous_docs(store) == DOCS_MODEL
        chosen_off = multilingual is False or (multilingual is None
                                               and _chose_monolingual(store))
        if multilingual is None:
            multilingual = not chosen_off and xling.available()
        if multilingual:
            xling.require()  # before any work: a missing package must not cost a build
        return _build(store, full, full_model, settings or RouteSettings(), embedder, progress,
                      vectors, static or shared_static(), multilingual, chosen_off)


def _chose_monolingual(store: Store) -> bool:
    """Whether the live index was built with ``multilingual=False`` (``--monolingual``); the
    multilingual vectors are on by default, so only that choice turns them off."""
    live = storage.current(storage.index_dir(store.path))
    if live is None or xling.in_index(live):
        return False
    try:
        return bool(live.manifest().get("monolingual"))
    except storage.RouteIndexError:  # an unreadable or older index is rebuilt with the defaults
        return False


@dataclass
class _Read:
    """What the streaming pass over new or changed skills keeps (no skill text)."""

    counts: TermCounts
    dense: dict[int, str]  # row -> description passage (only when the model encodes them)


def _read(store: Store, ids: list[str], fresh: list[int], model: bool, static: StaticEncoder,
          names: list[str], descs: list[str], collections: list[str], signatures: np.ndarray,
          static_ids: list[np.ndarray], openings: list[body_store.Passages],
          progress: Progress | None, ahead: EncodeAhead | None = None) -> _Read:
    """Read, tokenize, count and hash the ``fresh`` skills a chunk at a time, so memory holds
    one chunk of skill text, not the corpus; each chunk's multilingual passages go to
    ``ahead`` as soon as it is read."""
    parts: list[TermCounts] = []
    dense: dict[int, str] = {}
    for start in range(0, len(fresh), READ_CHUNK):
        chunk = fresh[start:start + READ_CHUNK]
        tokens: list[list[list[str]]] = []
        passages: list[str] = []
        chunk_bodies: list[str] = []
        for i in chunk:
            skill = with_resource_text(store, store.get(ids[i]))
            text = skill_text(skill)
            names[i] = skill.name
            descs[i] = skill.description
            collections[i] = collection(skill)
            chunk_bodies.append(skill.body)
            tokens.append([tokenize(text.field(f)) for f in FIELDS])
            signatures[i] = dedup.minhash(skill.body)
            passages.append(text.dense_desc)
            if model:
                dense[i] = text.dense_desc
        if ahead is not None:
            ahead.submit(chunk, [xling.passage(names[i], descs[i]) for i in chunk])
        parts.append(TermCounts.from_fields(tokens))
        for i, row in zip(chunk, static.token_ids(passages), strict=True):
            static_ids[i] = row
        for i, cut in zip(chunk, body_store.encode(static, chunk_bodies), strict=True):
            openings[i] = cut
        memory.release()  # the chunk's tokens and temporaries, so reading stays flat
        if progress is not None:
            progress("reading", start + len(chunk), len(fresh))
    return _Read(TermCounts.concat(parts), dense)


def _build(store: Store, full: bool, model: bool, settings: RouteSettings,
           embedder: Embedder | None, progress: Progress | None, maker: VectorMaker | None,
           static: StaticEncoder, multilingual: bool = False, monolingual: bool = False
           ) -> BuildReport:
    with contextlib.ExitStack() as cleanup:
        return _build_in(cleanup, store, full, model, settings, embedder, progress, maker,
                         static, multilingual, monolingual)


def _build_in(cleanup: contextlib.ExitStack, store: Store, full: bool, model: bool,
              settings: RouteSettings, embedder: Embedder | None, progress: Progress | None,
              maker: VectorMaker | None, static: StaticEncoder, multilingual: bool,
              monolingual: bool) -> BuildReport:
    started = time.perf_counter()
    root = storage.index_dir(store.path)
    report = BuildReport(path=str(root))
    config = _config(model)
    prev = _Previous(None if full else storage.current(root), config)
    listed = store.digests()
    ids = [sid for sid, _ in listed]
    digests = [dig for _, dig in listed]
    del listed
    report.skills = len(ids)
    report.dropped = len(set(prev.rows) - set(ids))
    settings_key = settings.build_key()
    if (prev.gen is not None and prev.digests == digests and list(prev.rows) == ids
            and prev.settings == settings_key and xling.in_index(prev.gen) == multilingual
            and (not multilingual or (gloss.in_index(prev.gen) and xling.in_stand_in(prev.gen)))):
        report.up_to_date = True
        report.seconds = time.perf_counter() - started
        return report
    prev.load(model)

    def stage(name: str, t0: float) -> float:
        now = time.perf_counter()
        report.stages[name] = round(now - t0, 3)
        return now

    reuse = [prev.rows.get(sid) if prev.gen is not None and prev.rows.get(sid) is not None
             and prev.digests[prev.rows[sid]] == dig else None
             for sid, dig in zip(ids, digests, strict=True)]
    fresh = [i for i, r in enumerate(reuse) if r is None]
    report.read = len(fresh)
    report.reused = len(ids) - len(fresh)

    t0 = time.perf_counter()
    names = [""] * len(ids)
    descs = [""] * len(ids)
    collections = [""] * len(ids)
    openings: list[body_store.Passages] = [[] for _ in ids]
    signatures = np.zeros((len(ids), dedup.PERMS), np.uint32)
    static_ids = [prev.static_ids(r) if r is not None else np.zeros(0, np.int64) for r in reuse]
    for i, r in enumerate(reuse):
        if r is not None:
            names[i] = prev.names[r]
            descs[i] = prev.descs[r]
            collections[i] = prev.collections[r]
            signatures[i] = prev.minhash[r]
            openings[i] = prev.bodies.passages(r) if prev.bodies is not None else []
    if progress is not None:
        progress("static encoder", 0, 1)
    table_rows = len(static.table)  # distilled once per machine (about a minute), then cached
    if progress is not None:
        progress("static encoder", 1, 1)
    ahead = EncodeAhead.start(len(fresh), str(root)) if multilingual else None
    if ahead is not None:
        cleanup.callback(ahead.close)  # however the build ends
    read = _read(store, ids, fresh, model, static, names, descs, collections, signatures,
                 static_ids, openings, progress, ahead)
    t0 = stage("read", t0)

    reused_rows = [r for r in reuse if r is not None]
    old_counts = prev.counts.take(reused_rows) if reused_rows else TermCounts.empty()
    prev.counts = TermCounts.empty()  # the previous generation's counts are done with
    combined = TermCounts.concat([old_counts, read.counts])
    del old_counts, read.counts
    order = np.empty(len(ids), np.int64)
    order[[i for i, r in enumerate(reuse) if r is not None]] = np.arange(len(reused_rows))
    order[fresh] = len(reused_rows) + np.arange(len(fresh))
    counts = combined.take(order) if len(ids) else TermCounts.empty()
    del combined
    memory.release()  # what the read's per-chunk counts held before they were joined
    gen = storage.new_generation(root)
    lexical = BM25FIndex.build(counts, settings.bm25f)
    # The counts and postings are the largest arrays: written and let go before anything
    # else is made (the build's peak memory).
    for name, arr in (("tc_ptr", counts.ptr), ("tc_terms", counts.terms), ("tc_tf", counts.tf),
                      ("tc_len", counts.lengths), ("lex_vocab", lexical.vocab),
                      ("lex_indptr", lexical.indptr), ("lex_docs", lexical.docs),
                      ("lex_weights", lexical.weights)):
        gen.save_array(name, arr)
    del counts, lexical
    memory.release()
    t0 = stage("lexical", t0)

    vectors: dict[str, np.ndarray] = {}
    keys: dict[str, np.ndarray] = {}
    if model:
        maker = maker or LocalEmbedding(embedder)
        vectors, keys = _dense(store, ids, reuse, read.dense, prev, maker, report, progress,
                               full)
    t0 = stage("embed", t0)

    refit = not prev.fit(len(ids))
    fitted_on = len(ids) if refit else int(prev.manifest["fitted_on"])
    # Static description vectors: idf and projection fitted now, or kept from the previous
    # generation (then only new and changed skills are encoded and projected).
    if refit:
        idf = idf_weights(static_ids, table_rows)
        sdesc = static.encode_ids(static_ids, idf)
        smean, sbasis = fit_projection(sdesc, PROJECTION_DIMS)
        sproj = project(sdesc, smean, sbasis)
    else:
        assert prev.gen is not None
        idf = prev.gen.array("static_idf", mmap=False)
        smean = prev.gen.array("sproj_mean", mmap=False)
        sbasis = prev.gen.array("sproj_basis", mmap=False)
        sdesc, sproj = _keep_rows(prev.gen, "sdesc", "sdesc_proj", reuse, sbasis.shape[1])
        if fresh:
            made = static.encode_ids([static_ids[i] for i in fresh], idf)
            sdesc[fresh] = made
            sproj[fresh] = project(made, smean, sbasis)
    memory.release()
    group_ids = dedup.groups(ids, names, signatures)
    # Versions are told apart by description meaning: the model's vectors when it ran, else
    # the static ones in the library's centred space (where a cosine means as much).
    family_ids = dedup.families(
        ids, names, vectors["desc"] if model else _centred(sdesc, sproj), group_ids,
        settings.family_cosine if model else settings.static_family_cosine)
    report.groups = _multi_groups(group_ids)
    sizes: dict[str, int] = {}
    for key in collections:
        sizes[key] = sizes.get(key, 0) + 1
    t0 = stage("index", t0)

    gen.save_lines("ids", ids)
    gen.save_lines("digests", digests)
    gen.save_lines("names", names)
    gen.save_lines("descs", descs)
    gen.save_lines("groups", group_ids)
    gen.save_lines("families", family_ids)
    gen.save_lines("collections", collections)
    body_store.save_passages(gen, openings)
    body_store.save_vectors(gen, body_store.vectors(
        static.table, idf, openings, reuse, None if refit else prev.bodies))
    # An update's reused passages were read through the previous generation's memory maps:
    # unmapped now, so the pages they touched leave this process's resident size.
    del openings
    prev.bodies = None
    gen.save_array("collection_size", np.array([sizes[c] for c in collections], np.int32))
    if model:
        if refit or prev.gen is None or not (prev.gen.path / "proj_basis.npy").is_file():
            mean, basis = fit_projection(vectors["desc"], PROJECTION_DIMS)
        else:
            mean = prev.gen.array("proj_mean", mmap=False)
            basis = prev.gen.array("proj_basis", mmap=False)
        gen.save_array("proj_mean", mean)
        gen.save_array("proj_basis", basis)
        gen.save_array("desc_proj", project(vectors["desc"], mean, basis))
    sd_ptr = np.concatenate(([0], np.cumsum([len(r) for r in static_ids]))).astype(np.int64)
    gen.save_array("sd_ptr", sd_ptr)
    gen.save_array("sd_ids", np.concatenate([np.zeros(0, np.int32), *static_ids]).astype(np.int32))
    gen.save_array("static_idf", idf)
    gen.save_array("sdesc", sdesc.astype(np.float16))
    gen.save_array("sdesc_proj", sproj)
    save_scan(gen.path, "sdesc_proj", sproj)  # kept: no process that opens it quantizes it
    gen.save_array("sproj_mean", smean)
    gen.save_array("sproj_basis", sbasis)
    gen.save_array("minhash", signatures)
    for kind in vectors:
        gen.save_array(kind, vectors[kind])
        gen.save_array(f"{kind}_keys", keys[kind])
    # Saved: not held while the multilingual encoder runs (the build's peak memory).
    del sdesc, sproj, signatures, static_ids, sd_ptr, vectors, keys
    memory.release()
    manifest = {"format": storage.FORMAT, "config": config, "settings": settings_key,
                "skills": len(ids), "fitted_on": fitted_on,
                "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "abstain": None}
    if monolingual:
        manifest["monolingual"] = True  # chosen: later updates keep it (_chose_monolingual)
    if multilingual:
        t1 = time.perf_counter()
        ml, encoded = xling.build_vectors(names, descs, prev.gen.path if prev.gen else None,
                                          reuse, progress=progress, ahead=ahead)
        gen.save_array("ml_desc", ml)
        save_scan(gen.path, "ml_desc", ml)
        foreign = [xling.is_foreign(desc) for desc in descs]  # told apart once, for both
        stand_in = xling.stand_in_rows(names, descs, ml, foreign)
        gen.save_array(xling.STAND_IN, stand_in)
        words, word_vecs, words_encoded = gloss.build(
            names, descs, prev.gen.path if prev.gen else None, progress=progress,
            foreign=foreign)
        gen.save_array(gloss.NAME, word_vecs)
        gen.save_lines(gloss.NAME, words)
        from .calibrate import offtopic_queries

        manifest["multilingual"] = {
            "model": xling.MODEL_ID, "encoded": encoded,
            "glossary": {"words": len(words), "encoded": words_encoded},
            "stand_in_skills": len(stand_in),
            "threshold": xling.calibrate(ml, offtopic_queries(), settings.abstain_quantile)}
        report.stages["multilingual"] = round(time.perf_counter() - t1, 3)
        t0 += time.perf_counter() - t1  # its own stage, not part of "write"
    gen.save_manifest(manifest)
    memory.release()
    from .calibrate import calibrate  # the router needs this generation's files

    manifest["abstain"] = calibrate(gen, settings, embedder, static=static)
    gen.save_manifest(manifest)
    storage.publish(root, gen)
    _store_groups(store, ids, group_ids)
    stage("write", t0)
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def _centred(raw: np.ndarray, proj: np.ndarray) -> np.ndarray:
    """The projected static vectors, or, in a library too small to fit a projection (kept
    as it is), the raw ones centred on the library: uncentred static vectors all look alike."""
    if proj.shape[1] < raw.shape[1] or not len(raw):
        return proj
    out = raw - raw.mean(axis=0)
    return out / np.clip(np.linalg.norm(out, axis=1, keepdims=True), 1e-9, None)


def _keep_rows(gen: storage.Generation, raw: str, proj: str, reuse: list[int | None],
               dims: int) -> tuple[np.ndarray, np.ndarray]:
    """The previous generation's rows of two arrays, in the new order (zeros for new rows)."""
    old_raw, old_proj = gen.array(raw), gen.array(proj)
    out_raw = np.zeros((len(reuse), DIM), np.float32)
    out_proj = np.zeros((len(reuse), dims), np.float32)
    at = [i for i, r in enumerate(reuse) if r is not None]
    rows = np.asarray([r for r in reuse if r is not None], np.int64)
    if len(rows):
        out_raw[at] = np.asarray(old_raw[rows], np.float32)
        out_proj[at] = np.asarray(old_proj[rows], np.float32)
    return out_raw, out_proj


def _dense(
    store: Store, ids: list[str], reuse: list[int | None], texts: dict[int, str],
    prev: _Previous, maker: VectorMaker, report: BuildReport, progress: Progress | None,
    full: bool,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    vectors = {k: np.zeros((len(ids), DIM), np.float32) for k in DENSE_KINDS}
    keys = {k: np.zeros(len(ids), "S16") for k in DENSE_KINDS}
    todo: list[tuple[str, int, bytes]] = []
    wanted: dict[bytes, str] = {}  # one entry per distinct passage
    for kind in DENSE_KINDS:
        old_keys = prev.gen.array(f"{kind}_keys") if prev.gen is not None else None
        old_vecs = prev.gen.array(kind) if prev.gen is not None else None
        for i, r in enumerate(reuse):
            if r is not None and old_keys is not None and old_vecs is not None:
                keys[kind][i] = old_keys[r]
                vectors[kind][i] = old_vecs[r]
                continue
            text = texts[i]  # the description passage (the only kind today)
            key = bytes.fromhex(text_key(text, DENSE_MAX_TOKENS))
            keys[kind][i] = key
            cached = prev.vector(key)
            if cached is not None:
                vectors[kind][i] = cached
                report.cached += 1
            else:
                todo.append((kind, i, key))
                wanted.setdefault(key, text)
    if not todo:
        return vectors, keys
    found = {} if full else stored(store, list(wanted))
    missing = [(key, text) for key, text in wanted.items() if key not in found]
    if missing:
        made = maker(store, missing, counter(progress, "embedding", len(missing)))
        lost = [key for key, _ in missing if key not in made]
        if lost:
            raise SkillyardError(f"embedding returned no vector for {len(lost)} of "
                                 f"{len(missing)} passages")
        found = {**found, **made}
    fresh = {key for key, _ in missing}
    for kind, i, key in todo:
        vectors[kind][i] = found[key]
        if key not in fresh:
            report.from_store += 1
    report.cached += report.from_store
    report.embedded = len(missing)
    return vectors, keys


def _multi_groups(group_ids: list[str]) -> int:
    seen: dict[str, int] = {}
    for g in group_ids:
        seen[g] = seen.get(g, 0) + 1
    return sum(1 for n in seen.values() if n > 1)


def _store_groups(store: Store, ids: list[str], group_ids: list[str]) -> None:
    """Record the near-duplicate groups in the library (one row per skill in a group)."""
    sizes: dict[str, int] = {}
    for g in group_ids:
        sizes[g] = sizes.get(g, 0) + 1
    with store.transaction():
        store.execute("DELETE FROM route_groups")
        for sid, g in zip(ids, group_ids, strict=True):
            if sizes[g] > 1:
                store.execute(
                    "INSERT INTO route_groups (skill_id, group_id, size) VALUES (?, ?, ?)",
                    (sid, g, sizes[g]),
                )
