#!/usr/bin/python3
"""Reference values for tests/eval/tst_mauve.cpp: the steps of MAUVE as krishnap25/mauve's compute_mauve runs them.

  pca:    sklearn.decomposition.PCA(n_components=None, whiten=False) on a fixed L2-normalised matrix, checked
          against numpy's SVD: explained variance (ratio), components kept for several thresholds by mauve's
          rule argmax(cumsum >= t) + 1, projections.
  kmeans: Lloyd's algorithm in numpy from fixed initial centres until the assignment is stable, checked against
          sklearn.cluster.KMeans(init=those centres, n_init=1, algorithm="lloyd", tol=0).
  curve:  get_divergence_curve_for_multinomials + the MAUVE area (sklearn.metrics.auc over argsort'ed points)
          written out in numpy on fixed histograms.
  blobs:  the whole pipeline (stack [q; p], normalise, PCA 0.9, k-means, histograms, curve, area) on three
          well-separated blobs, where every k-means run finds the same partition, so faiss's random
          initialisation does not matter; sklearn KMeans stands in for faiss.Kmeans.
Needs numpy and python3-sklearn. Writes mauve_reference.json next to this script.
Run: /usr/bin/python3 tests/data/eval/make_mauve_reference.py
"""
import json
import os

import numpy as np
import sklearn
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.metrics import auc
from sklearn.preprocessing import normalize

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.RandomState(1234)


def mauve_components(ratio, t):
    return int(np.argmax(np.cumsum(ratio) >= t)) + 1


def pca_case():
    x = rng.randn(40, 12) @ np.diag(np.linspace(3.0, 0.1, 12)) + 0.5
    x = normalize(x, norm="l2", axis=1)
    pca = PCA(n_components=None, whiten=False).fit(x)
    # Independent check with numpy's SVD of the centred matrix.
    centred = x - x.mean(0)
    s = np.linalg.svd(centred, compute_uv=False)
    var = s ** 2 / (x.shape[0] - 1)
    assert np.allclose(var, pca.explained_variance_, rtol=1e-10, atol=1e-14)
    assert np.allclose(var / var.sum(), pca.explained_variance_ratio_, rtol=1e-10, atol=1e-14)
    thresholds = [0.5, 0.9, 0.99]
    kept = [mauve_components(pca.explained_variance_ratio_, t) for t in thresholds]
    k = kept[1]
    projected = pca.transform(x)[:, :k]
    return {"data": x.tolist(), "explained_variance": pca.explained_variance_.tolist(),
            "explained_variance_ratio": pca.explained_variance_ratio_.tolist(),
            "components": pca.components_.tolist(), "thresholds": thresholds, "kept": kept,
            "projected": projected.tolist()}


def lloyd(x, centres, max_iter):
    prev = None
    it = 0
    for it in range(1, max_iter + 1):
        d = ((x[:, None, :] - centres[None, :, :]) ** 2).sum(-1)
        labels = d.argmin(1)
        if prev is not None and np.array_equal(labels, prev):
            it -= 1
            break
        assert len(np.unique(labels)) == len(centres), "an empty cluster: choose other data"
        centres = np.stack([x[labels == j].mean(0) for j in range(len(centres))])
        prev = labels
    d = ((x[:, None, :] - centres[None, :, :]) ** 2).sum(-1)
    labels = d.argmin(1)
    return centres, labels, float(d.min(1).sum()), it


def kmeans_case():
    # Four loose, overlapping groups, so that Lloyd needs several iterations.
    means = np.array([[0, 0, 0], [2, 0, 1], [0, 2, -1], [2, 2, 0.5]], dtype=float)
    x = np.concatenate([m + 0.9 * rng.randn(20, 3) for m in means])
    init_rows = [0, 1, 2, 3]  # all from the first group: a poor start
    init = x[init_rows].copy()
    centres, labels, objective, iterations = lloyd(x, init.copy(), 500)
    km = KMeans(n_clusters=4, init=init.copy(), n_init=1, max_iter=500, tol=0.0, algorithm="lloyd").fit(x)
    assert np.allclose(km.cluster_centers_, centres, atol=1e-10)
    assert np.array_equal(km.labels_, labels)
    assert iterations >= 3
    return {"data": x.tolist(), "init_rows": init_rows, "centroids": centres.tolist(),
            "labels": labels.tolist(), "objective": objective, "iterations": iterations}


def kl_multinomial(p, q):
    if np.logical_and(p != 0, q == 0).any():
        return np.inf
    idxs = np.logical_and(p != 0, q != 0)
    return np.sum(p[idxs] * np.log(p[idxs] / q[idxs]))


def divergence_curve(p, q, points=25, c=5.0):
    curve = [[0, np.inf]]
    for w in np.sort(np.linspace(1e-6, 1 - 1e-6, points)):
        r = w * p + (1 - w) * q
        curve.append([kl_multinomial(q, r), kl_multinomial(p, r)])
    curve.append([np.inf, 0])
    return np.exp(-c * np.asarray(curve))


def mauve_area(curve):
    x, y = curve.T
    i1, i2 = np.argsort(x), np.argsort(y)
    return 0.5 * (auc(x[i1], y[i1]) + auc(y[i2], x[i2]))


def curve_cases():
    cases = []
    hists = [
        (np.array([0.1, 0.2, 0.3, 0.4]), np.array([0.4, 0.3, 0.2, 0.1])),
        (np.array([0.5, 0.5, 0.0]), np.array([0.2, 0.3, 0.5])),  # p has a zero bin that q fills
        (np.array([0.6, 0.4]), np.array([0.55, 0.45])),          # close
        (np.array([1.0, 0.0]), np.array([0.0, 1.0])),            # disjoint
    ]
    h = rng.dirichlet(np.ones(12), size=2)
    hists.append((h[0], h[1]))
    for p, q in hists:
        for points, c in ((25, 5.0), (10, 2.0)):
            curve = divergence_curve(p, q, points, c)
            cases.append({"p": p.tolist(), "q": q.tolist(), "points": points, "scaling": c,
                          "x": curve[:, 0].tolist(), "y": curve[:, 1].tolist(), "mauve": float(mauve_area(curve))})
    return cases


def blobs_case():
    centres = 6.0 * np.eye(16)[:3] + 1.0
    def sample(counts):
        return np.concatenate([centres[j] + 0.05 * rng.randn(n, 16) for j, n in enumerate(counts)])
    p = sample([15, 10, 5])
    q = sample([10, 10, 20])
    k = max(2, int(round(min(len(p), len(q)) / 10)))
    data = normalize(np.vstack([q, p]), norm="l2", axis=1)
    pca = PCA(n_components=None, whiten=False).fit(data)
    kept = mauve_components(pca.explained_variance_ratio_, 0.9)
    reduced = pca.transform(data)[:, :kept].astype(np.float32)
    labels = KMeans(n_clusters=k, n_init=5, max_iter=500, random_state=27).fit(reduced).labels_
    q_hist = np.histogram(labels[:len(q)], bins=k, range=[0, k], density=True)[0]
    p_hist = np.histogram(labels[len(q):], bins=k, range=[0, k], density=True)[0]
    p_hist, q_hist = p_hist / p_hist.sum(), q_hist / q_hist.sum()
    curve = divergence_curve(p_hist, q_hist)
    return {"p": p.tolist(), "q": q.tolist(), "clusters": k, "pca_components": kept,
            "hist_pairs_sorted": sorted([[a, b] for a, b in zip(p_hist.tolist(), q_hist.tolist())]),
            "mauve": float(mauve_area(curve))}


def main():
    out = {"numpy": np.__version__, "sklearn": sklearn.__version__, "pca": pca_case(), "kmeans": kmeans_case(),
           "curves": curve_cases(), "blobs": blobs_case()}
    with open(os.path.join(HERE, "mauve_reference.json"), "w") as f:
        json.dump(out, f)
    print("pca kept", out["pca"]["kept"], "kmeans iterations", out["kmeans"]["iterations"],
          "blobs mauve", out["blobs"]["mauve"], "(p, q) per cluster", out["blobs"]["hist_pairs_sorted"])


if __name__ == "__main__":
    main()
