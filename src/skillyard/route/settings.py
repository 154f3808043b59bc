"""Routing knobs in one place, with the values chosen on the development set (bench/routing.py)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from .lexical import BM25FParams

# Bump when tokenization or passage extraction changes: cached per-skill parts are then rebuilt.
TEXT_VERSION = 1
# Passages are cut at this many WordPiece tokens (cost grows with the square of it).
DENSE_MAX_TOKENS = 128
# Queries may be long task statements; the dense side reads their first this-many tokens
# (128 and 256 gave the same ranking on the development set; 128 costs half).
QUERY_MAX_TOKENS = 128
# Dense vectors are centred on the library and projected onto its top principal axes.
PROJECTION_DIMS = 256


@dataclass(frozen=True)
class RouteSettings:
    """How signals are weighted and how many candidates each stage sees."""

    bm25f: BM25FParams = field(
        default_factory=lambda: BM25FParams(
            weights=(3.0, 3.0, 1.0, 1.0), b=(0.3, 0.5, 0.6, 0.9), k1=2.0
        )
    )
    # Fusion: z-scores (over the whole library) of each signal, weighted and summed.
    lexical_weight: float = 1.0
    # The static (distilled) encoder's description cosine: cheap, on by default.
    static_weight: float = 1.25
    # The full MiniLM model's description cosine: costs a transformer pass per query, so it
    # is off (0) in the default fast mode.
    desc_weight: float = 0.0
    candidates: int = 100  # fused candidates kept before grouping and reranking
    # Libraries of at least this many skills scan the static vectors in int8 first and
    # compute in float32 only the rows that can still make the candidates (route/scan.py;
    # same results, about 6x less work per query at 60,000 skills). 0 turns it off.
    quantized_scan_rows: int = 8192
    # The learned second stage (route/stage2.py) re-scores this many of them.
    stage2: bool = True
    stage2_depth: int = 40
    rerank_depth: int = 20  # how many of them a reranker sees
    # Versions of one skill (same name, descriptions with cosine >= family_cosine) show as one
    # result. Among versions within family_margin of the best fused score, the one from the
    # smallest source collection is shown first (a project's own copy before a marketplace
    # mirror's); set prefer_focused_sources=False to rank versions by score alone.
    family_cosine: float = 0.8
    # The same for an index whose descriptions were encoded by the static encoder alone (its
    # centred, projected vectors). On the 11K corpus 0.6 matches the model's families best
    # (precision 0.85, recall 0.84 over same-family pairs) but routed worse; 0.8 (0.97, 0.55)
    # gave the best held-out Hit@1 of 0.6 / 0.8 / 0.9 (bench/routing.py).
    static_family_cosine: float = 0.8
    family_margin: float = 2.0
    prefer_focused_sources: bool = False
    # Abstain when the closest description (cosine) is below the calibrated threshold: this
    # quantile of the same value for off-topic calibration queries on this library. On the
    # 11K corpus, 0.9 abstained on 16% of the real dev tasks, 0.8 on 3%.
    abstain_quantile: float = 0.8
    # That cosine grows with a request's length (a long personal story comes as close to some
    # skill as a task statement does), so a long English request (at least long_request[0]
    # terms) that asks for no work at all (route/asks.py) is abstained on too. On our 64 long
    # chat messages it abstains on 36; on our 161 task descriptions and 89 requests with
    # pasted material, on none.
    abstain_without_ask: bool = True
    # Long requests (task statements) lean on BM25F: between these numbers of query terms
    # (tokenize: stemmed, no stopwords) the static signal's weight, in the fusion and in the
    # second stage, falls linearly from full to none. The static cosine of a whole task
    # statement to a short description is a poor judge: on our long task descriptions
    # (bench/data/routing/tasks.jsonl, tune) it ranked the right skill 782nd (median), BM25F
    # 1st; on requests of up to 30 terms it adds 9-10 points to BM25F's first-stage Hit@1
    # (development queries, tune).
    long_request: tuple[int, int] = (30, 70)
    # Search a request without its pasted material: fenced code blocks and quotations of 80
    # characters or more (route/pasted.py).
    leave_out_pasted: bool = True
    # ... and the whole request, material included, beside it: its fused scores are added to
    # the ask's at this weight (0: the material is not searched at all). The ask says what to
    # do, the material in what domain; searched whole, the material outweighs the ask (our
    # pasted requests, tune, Hit@1: whole 24.2, ask alone 27.3, both at 1.0 33.3).
    pasted_weight: float = 1.0

    def build_key(self) -> dict[str, object]:
        """The settings the index build reads (BM25F, families, the abstention quantile), as
        the manifest records them: changing any other setting does not make an index stale."""
        return {name: json.loads(json.dumps(asdict(self)[name])) for name in BUILD_SETTINGS}


BUILD_SETTINGS = ("bm25f", "family_cosine", "static_family_cosine", "abstain_quantile")
