"""The library projection: covariance eigenvectors, equal to the principal axes of an SVD."""

from __future__ import annotations

import numpy as np

from skillyard.route.dense import fit_projection, project


def test_projection_spans_the_principal_axes_of_the_rows() -> None:
    rng = np.random.default_rng(3)
    scales = np.linspace(3.0, 0.1, 32)  # distinct variances: a unique top-8 subspace
    rows = (rng.normal(size=(600, 32)) * scales + 5.0).astype(np.float32)
    mean, basis = fit_projection(rows, 8, block=97)  # blocks that do not divide the rows
    assert np.allclose(mean, rows.mean(axis=0), atol=1e-4)
    assert basis.shape == (32, 8)
    assert np.allclose(basis.T @ basis, np.eye(8), atol=1e-4)
    _, _, vt = np.linalg.svd(rows - rows.mean(axis=0), full_matrices=False)
    expected = vt[:8].T @ vt[:8]
    assert np.allclose(basis @ basis.T, expected, atol=1e-3)
    projected = project(rows, mean, basis)
    assert projected.shape == (600, 8)
    assert np.allclose(np.linalg.norm(projected, axis=1), 1.0, atol=1e-4)


def test_a_small_library_keeps_its_vectors() -> None:
    rows = np.random.default_rng(0).normal(size=(10, 16)).astype(np.float32)
    mean, basis = fit_projection(rows, 8)
    assert not mean.any() and np.array_equal(basis, np.eye(16, dtype=np.float32))
