"""A fast exact scan of the library's static description vectors: int8 first, float32 where
it matters.

A query's cosine to every description is a matrix-vector product over the whole library
(60,000 x 256 float32 is 61 MB read per query, about 4 ms of one core). Here the matrix is
also kept quantized (7-bit weights per column, the query as unsigned 8-bit) and multiplied by
onnxruntime's ``MatMulInteger`` with the matrix pre-packed (about 0.7 ms at 60,000 skills).
Every approximate score comes with a proven bound on its error, so a caller can find the rows
that could still be among the best (``candidates``) and compute those exactly from the float32
rows: the results are those of the float32 scan, not an approximation of them. The build
keeps each scan in the index (``save_scan``), so opening one costs a checksum, not a pass
over the library.

Weights are 7-bit (|w| <= 63) because the AVX2 kernel adds pairs of u8 x s8 products in 16
bits; with 8-bit weights those sums saturate and the integer result is wrong.
"""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

WEIGHT_MAX = 63  # 7-bit weights: no 16-bit saturation in the AVX2 u8 x s8 kernel
QUERY_MAX = 127
BLOCK = 8192  # rows read at a time when preparing (memory does not grow with the library)
_FLOAT, _UINT8, _INT8, _INT32 = 1, 2, 3, 6  # ONNX TensorProto element types


# -- a minimal ONNX graph (protobuf wire format), so that no ``onnx`` package is needed -------
def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _int(field: int, value: int) -> bytes:
    return _varint(field << 3) + _varint(value)


def _bytes(field: int, value: bytes | str) -> bytes:
    data = value.encode() if isinstance(value, str) else value
    return _varint((field << 3) | 2) + _varint(len(data)) + data


def _value_info(name: str, elem: int, dims: tuple[int, ...]) -> bytes:
    shape = b"".join(_bytes(1, _int(1, d)) for d in dims)  # TensorShapeProto.dim.dim_value
    tensor_type = _int(1, elem) + _bytes(2, shape)  # TypeProto.Tensor
    return _bytes(1, name) + _bytes(2, _bytes(1, tensor_type))  # ValueInfoProto


def _tensor(name: str, array: np.ndarray, elem: int) -> bytes:
    dims = b"".join(_int(1, d) for d in array.shape)
    return dims + _int(2, elem) + _bytes(8, name) + _bytes(9, array.tobytes())  # raw_data


def _model(op: str, inputs: list[tuple[str, int, tuple[int, ...]]],
           constants: list[tuple[str, np.ndarray, int]], output: tuple[str, int, tuple[int, ...]]
           ) -> bytes:
    """A one-node ONNX model: ``output = op(*inputs, *constants)``."""
    names = [name for name, _, _ in inputs] + [name for name, _, _ in constants]
    node = b"".join(_bytes(1, name) for name in names) + _bytes(2, output[0]) + _bytes(4, op)
    graph = _bytes(1, node) + _bytes(2, "scan")
    graph += b"".join(_bytes(5, _tensor(*c)) for c in constants)
    graph += b"".join(_bytes(11, _value_info(*i)) for i in inputs)
    graph += _bytes(12, _value_info(*output))
    opset = _bytes(1, "") + _int(2, 13)
    return _int(1, 8) + _bytes(8, opset) + _bytes(7, graph)  # ir_version, opset_import, graph


def _session(model: bytes) -> Any:
    """One thread, no spinning: a query is small and the machine may be shared."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])


def matmul_integer_model(weights_t: np.ndarray) -> bytes:
    """Y[1, n] int32 = (A[1, d] uint8 - 128) @ B[d, n] int8, B a constant (pre-packed)."""
    d, n = weights_t.shape
    return _model("MatMulInteger", [("A", _UINT8, (1, d))],
                  [("B", weights_t, _INT8), ("zero", np.array(128, np.uint8), _UINT8)],
                  ("Y", _INT32, (1, n)))


def moments(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(column max of |x|, column sums, X^T X), a block of rows at a time. The products run
    in onnxruntime on one thread: numpy's BLAS spreads them over threads that stall on a busy
    machine (5 s instead of 0.2 s at 60,000 x 256 under load)."""
    n, d = matrix.shape
    session = _session(_model("MatMul", [("A", _FLOAT, (d, BLOCK)), ("B", _FLOAT, (BLOCK, d))],
                              [], ("Y", _FLOAT, (d, d))))
    colmax = np.zeros(d, np.float32)
    total = np.zeros(d, np.float64)
    gram = np.zeros((d, d), np.float64)
    for start in range(0, n, BLOCK):
        rows = np.zeros((BLOCK, d), np.float32)
        part = np.asarray(matrix[start:start + BLOCK], np.float32)
        rows[:len(part)] = part
        colmax = np.maximum(colmax, np.abs(part).max(axis=0))
        total += part.sum(axis=0, dtype=np.float64)
        gram += session.run(None, {"A": np.ascontiguousarray(rows.T), "B": rows})[0]
    return colmax, total, gram


# -- the scan ----------------------------------------------------------------------------------
@dataclass
class Approx:
    """Approximate scores of every row and a bound: |exact - scores| <= bound for every row."""

    scores: np.ndarray  # float32 [n]
    bound: float


@dataclass
class ScanStats:
    """What a scan needs besides its int8 matrix: the column scales, the largest quantized row
    norm (the error bound), and the column means and covariance (a query's mean and spread)."""

    scale: np.ndarray  # float32 [d]
    max_norm: float
    mean: np.ndarray  # float64 [d]
    cov: np.ndarray  # float64 [d, d]


def prepare(matrix: np.ndarray) -> tuple[bytes, ScanStats]:
    """The ``MatMulInteger`` model holding the int8 copy of ``matrix`` [n, d], and its stats."""
    n, d = matrix.shape
    colmax, total, gram = moments(matrix)
    scale = (np.maximum(colmax, 1e-12) / WEIGHT_MAX).astype(np.float32)
    weights_t = np.empty((d, n), np.int8)
    norms = np.empty(n, np.float32)
    for start in range(0, n, BLOCK):
        rows = np.asarray(matrix[start:start + BLOCK], np.float32)
        q = np.clip(np.rint(rows / scale), -WEIGHT_MAX, WEIGHT_MAX)
        weights_t[:, start:start + len(rows)] = q.T
        norms[start:start + len(rows)] = np.linalg.norm(q, axis=1)
    mean = total / max(n, 1)
    stats = ScanStats(scale, float(norms.max()) if n else 0.0, mean,
                      gram / max(n, 1) - np.outer(mean, mean))
    return matmul_integer_model(weights_t), stats


def save_scan(folder: Path, name: str, matrix: np.ndarray) -> None:
    """Keep the scan of ``matrix`` in an index generation (``<name>.scan.onnx`` and
    ``<name>.scan.npz``), so a process that opens the index does not quantize it again
    (about 1.7 s at 60,000 skills for the static and multilingual vectors together)."""
    model, stats = prepare(matrix)
    (folder / f"{name}.scan.onnx").write_bytes(model)
    np.savez(folder / f"{name}.scan.npz", shape=np.array(matrix.shape, np.int64),
             sha256=np.frombuffer(hashlib.sha256(model).digest(), np.uint8),
             scale=stats.scale, max_norm=np.float64(stats.max_norm), mean=stats.mean,
             cov=stats.cov)


def open_scan(folder: Path, name: str, matrix: np.ndarray) -> QuantizedScan:
    """The scan ``save_scan`` kept for ``matrix`` in ``folder``, else (an older index, one
    kept for a matrix of another shape, or a damaged one) ``matrix`` quantized now."""
    return _saved(folder, name, matrix) or QuantizedScan(matrix)


def _saved(folder: Path, name: str, matrix: np.ndarray) -> QuantizedScan | None:
    """The kept scan, if its stats match ``matrix``'s shape and its model its checksum: a
    changed weight would break the error bound, and with it the results."""
    try:
        with np.load(folder / f"{name}.scan.npz", allow_pickle=False) as data:
            if tuple(int(v) for v in data["shape"]) != tuple(matrix.shape):
                return None
            digest = data["sha256"].tobytes()
            stats = ScanStats(data["scale"], float(data["max_norm"]), data["mean"],
                              data["cov"])
        model = (folder / f"{name}.scan.onnx").read_bytes()
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None  # none kept (an older index), or unreadable
    if hashlib.sha256(model).digest() != digest:
        return None
    return QuantizedScan(matrix, (model, stats))


class QuantizedScan:
    """The int8 copy of a float32 [n, d] matrix (kept memory-mapped), with its column means
    and second moments so a query's mean and spread of scores come without a full scan.
    ``prepared`` is a model and its stats, as ``prepare`` makes them; without it the
    matrix is quantized here."""

    def __init__(self, matrix: np.ndarray,
                 prepared: tuple[bytes, ScanStats] | None = None) -> None:
        self.matrix = matrix
        model, stats = prepared if prepared is not None else prepare(matrix)
        self.scale = stats.scale
        self.max_norm = stats.max_norm  # of a quantized row (error bound)
        self.mean = stats.mean
        self.cov = stats.cov
        self._session = _session(model)
        self.dims = matrix.shape[1]

    def approx(self, query: np.ndarray) -> Approx:
        """Scores of every row for a float32 query [d], each within ``bound`` of exact."""
        a = np.asarray(query, np.float64) * self.scale
        step = float(np.abs(a).max()) / QUERY_MAX
        if step == 0.0:
            return Approx(np.zeros(self.matrix.shape[0], np.float32), 0.0)
        a /= step
        q8 = np.rint(a)
        residual = float(np.linalg.norm(a - q8))
        feed = (q8 + 128).astype(np.uint8)[None, :]
        raw = self._session.run(None, {"A": feed})[0][0]
        scores = np.multiply(raw, np.float32(step), dtype=np.float32)
        # exact - approx = step * sum_j (q8_j d_ij + e_j w_ij + e_j d_ij), with |d|, |e| <= 1/2
        # (d: weight rounding, e: query rounding); the middle sum is at most |e| |w_i| by
        # Cauchy-Schwarz. The slack covers float32 rounding (rows and query are unit vectors).
        bound = step * (0.5 * float(np.abs(q8).sum()) + residual * self.max_norm
                        + 0.25 * self.dims)
        return Approx(scores, bound + 1e-4)

    def stats(self, query: np.ndarray) -> tuple[float, float]:
        """Mean and standard deviation of the exact scores of all rows."""
        q = np.asarray(query, np.float64)
        mean = float(self.mean @ q)
        var = float(q @ self.cov @ q)
        return mean, float(np.sqrt(max(var, 0.0)))

    def exact(self, rows: np.ndarray, query: np.ndarray) -> np.ndarray:
        """float32 scores of ``rows`` from the float32 matrix."""
        if not len(rows):
            return np.zeros(0, np.float32)
        sub = np.asarray(self.matrix[rows], np.float32)
        return np.einsum("ij,j->i", sub, np.asarray(query, np.float32)).astype(np.float32)


def top_candidates(values: np.ndarray, slack: float, count: int) -> np.ndarray:
    """Rows that may be among the ``count`` best when each true value lies within ``slack``
    of ``values``: a row more than twice the slack below the count-th best value cannot be."""
    n = len(values)
    if count >= n:
        return np.arange(n)
    floor = np.partition(values, n - count)[n - count]
    return np.flatnonzero(values >= floor - np.float32(2 * slack))

