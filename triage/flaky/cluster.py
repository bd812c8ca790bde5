"""Grouping flaky tests that share a cause.

Three views of each flaky test, each turned into a similarity between tests:
- co-failure: the builds it failed in (Jaccard over the build sets);
- signature: TF-IDF over the words of its failure messages and their signature
  ids (cosine);
- upstream: the upstream hosts, endpoints and services in the errors logged
  while it failed (Jaccard; no shared errors means no similarity).
Their weighted sum becomes a distance for agglomerative clustering (average
linkage, a fixed threshold), which has no randomness. Co-failure weighs most:
two tests that time out the same way but never in the same builds lose the
same race independently, so they stay apart.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.cluster import AgglomerativeClustering
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import cosine_similarity

WEIGHTS = {"co_failure": 0.6, "signature": 0.2, "upstream": 0.2}
DISTANCE_THRESHOLD = 0.5
WORDS = r"(?u)\b[A-Za-z][A-Za-z_]{2,}\b|\bsig-[0-9a-f]+\b"


@dataclass
class FlakyClusterer:
    """Clusters flaky tests (scikit-learn estimator conventions).

    ``fit(bad_runs, upstreams)`` takes the failing or retried runs of the flaky
    tests (columns ``key``, ``build``, ``message``, ``signature``) and each
    test's upstream tokens; afterwards ``keys_``, ``labels_`` and the three
    similarity matrices are set. Labels are numbered by cluster size (largest
    first), then by the first key, so the same input always gives the same ids.
    """

    weights: dict[str, float] = field(default_factory=lambda: dict(WEIGHTS))
    distance_threshold: float = DISTANCE_THRESHOLD

    def fit(self, bad_runs: pd.DataFrame, upstreams: dict[str, set[str]]) -> "FlakyClusterer":
        self.keys_ = sorted(bad_runs["key"].unique())
        self.co_failure_ = co_failure_similarity(bad_runs, self.keys_)
        self.signature_ = signature_similarity(bad_runs, self.keys_)
        self.upstream_ = set_similarity([upstreams.get(k, set()) for k in self.keys_])
        similarity = (self.weights["co_failure"] * self.co_failure_ + self.weights["signature"]
                      * self.signature_ + self.weights["upstream"] * self.upstream_)
        self.distance_ = np.clip(1.0 - similarity, 0.0, 1.0)
        np.fill_diagonal(self.distance_, 0.0)
        if len(self.keys_) < 2:
            raw = np.zeros(len(self.keys_), dtype=int)
        else:
            model = AgglomerativeClustering(n_clusters=None, metric="precomputed", linkage="average",
                                            distance_threshold=self.distance_threshold)
            raw = model.fit(self.distance_).labels_
        self.labels_ = _renumber(raw, self.keys_)
        return self

    def groups(self) -> list[list[str]]:
        """The clusters as lists of keys, in label order."""
        count = int(self.labels_.max()) + 1 if len(self.labels_) else 0
        return [[k for k, label in zip(self.keys_, self.labels_) if label == i] for i in range(count)]


def co_failure_similarity(bad_runs: pd.DataFrame, keys: list[str]) -> np.ndarray:
    """Jaccard similarity of the sets of builds each test failed in."""
    matrix = pd.crosstab(bad_runs["key"], bad_runs["build"]).reindex(keys).fillna(0).to_numpy() > 0
    return _jaccard(matrix.astype(float))


def signature_similarity(bad_runs: pd.DataFrame, keys: list[str]) -> np.ndarray:
    """Cosine similarity of TF-IDF vectors over each test's failure messages and signatures."""
    first_lines = bad_runs["message"].fillna("").str.split("\n").str[0]
    text = (first_lines + " " + bad_runs["signature"].fillna("")).groupby(bad_runs["key"]).agg(" ".join)
    docs = [text.get(k, "") for k in keys]
    try:
        vectors = TfidfVectorizer(token_pattern=WORDS, lowercase=True).fit_transform(docs)
    except ValueError:  # no words at all (every message empty)
        return np.eye(len(keys))
    return cosine_similarity(vectors)


def set_similarity(sets: list[set[str]]) -> np.ndarray:
    """Jaccard similarity of token sets; two empty sets share nothing."""
    vocabulary = sorted(set().union(*sets)) if sets else []
    index = {token: i for i, token in enumerate(vocabulary)}
    matrix = np.zeros((len(sets), len(vocabulary)))
    for row, tokens in enumerate(sets):
        for token in tokens:
            matrix[row, index[token]] = 1.0
    return _jaccard(matrix)


def _jaccard(matrix: np.ndarray) -> np.ndarray:
    inter = matrix @ matrix.T
    sizes = matrix.sum(axis=1)
    union = sizes[:, None] + sizes[None, :] - inter
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def _renumber(labels: np.ndarray, keys: list[str]) -> np.ndarray:
    members: dict[int, list[str]] = {}
    for key, label in zip(keys, labels):
        members.setdefault(int(label), []).append(key)
    order = sorted(members, key=lambda label: (-len(members[label]), members[label][0]))
    mapping = {label: i for i, label in enumerate(order)}
    return np.array([mapping[int(label)] for label in labels], dtype=int)
