"""Modus-operandi and profile patterns among cases, and hotspots of incidents on the route.

Three tools, each a claim that can be checked:

* :class:`PatternClusters` groups cases (one row a person, codes of the case data standard) by how
  they were recruited and exploited and by who they are. It is a scikit-learn estimator. Unknown
  values never make a group of their own: an unknown field is left out of every distance, not
  treated as a value. Each cluster is explained by :class:`ClusterProfiles`: the traits that are
  over-represented in it (lift, one-sided hypergeometric test, Benjamini–Hochberg ``q``), a short
  label in English and Spanish, how stable it is under bootstrap refits and, when events are
  given, where its people passed.
* :func:`hotspots` finds places where incidents of *many distinct people* concentrate (DBSCAN
  whose core condition counts people, not rows, optionally in space and time).
* :func:`hex_hotspots` counts distinct people per H3 hexagon and tests each hexagon with the local
  Getis-Ord Gi* statistic, so a "hotspot" is a significance statement, not a colour.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from numbers import Integral, Real
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd
from scipy import sparse, stats
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.utils._param_validation import Interval, InvalidParameterError, StrOptions
from sklearn.utils.metaestimators import available_if

from routes import schema
from routes._i18n import LANGUAGES, PATTERN, in_language, join
from routes.errors import CaseDataError, ParameterError, PolicyError, Problem

if TYPE_CHECKING:
    import geopandas as gpd
    from sklearn.utils import Tags

EARTH_RADIUS_M = 6_371_008.8
MAX_PUBLISHABLE_H3_RESOLUTION = 6
GI_PERMUTATIONS = 999
"""Conditional permutations of the hotspot test (esda ``G_Local``)."""
GI_SEED = 2022
"""Seed of those permutations: the same counts give the same classes."""

LABEL_MIN_SHARE = 0.6
"""A trait enters a cluster's label only when at least this share of the cluster's people hold it.

People whose field is unknown count in the denominator: a trait held by 31 % of a cluster, with 37 %
unknown, is held by 31 % and names nothing. Each trait of a label is printed with its share
(``label_traits``); a label naming a group of people ("girls 9–17") counts the people holding every part
of it at once (``sex=female & age_group=9-17``)."""
MIN_STABILITY = 0.6
"""A cluster whose bootstrap stability (``stability_``) is under this, or was not measured
(``n_bootstrap=0``), is labelled :data:`MIXED_LABEL` in every product: it is not a finding."""
MIXED_LABEL = dict(PATTERN.texts["mixed"])
"""The label of a cluster that is not a finding: unstable, or with no trait held by
:data:`LABEL_MIN_SHARE` of its people."""

_CLUSTERED_KINDS = (schema.Kind.CATEGORY, schema.Kind.BOOL, schema.Kind.MULTI)
# Fields that describe how a person was recruited, controlled and exploited, and who the person is.
FEATURE_SETS: dict[str, tuple[str, ...]] = {
    "modus_operandi": tuple(
        f.name
        for f in schema.CASE_FIELDS
        if f.role is schema.Role.MODUS_OPERANDI and f.kind in _CLUSTERED_KINDS
    ),
    "profile": tuple(
        f.name
        for f in schema.CASE_FIELDS
        if f.role in (schema.Role.QUASI_IDENTIFIER, schema.Role.SENSITIVE) and f.kind in _CLUSTERED_KINDS
    ),
}
FEATURE_SETS["both"] = FEATURE_SETS["modus_operandi"] + FEATURE_SETS["profile"]
PLACES_FIELD = "places"  # the optional field built from an events table: gazetteer ids a person passed

_INFORMATIVE_SHARE = 0.5  # a case takes part in the density step when at least this share of fields is known
_SVD_COMPONENTS = 12  # HDBSCAN runs on this many TruncatedSVD components of the encoded cases
_MAX_MIN_SAMPLES = 15  # HDBSCAN's min_samples: smoothing of the density estimate, not the cluster size
_K_RANGE = (2, 12)  # k-based methods choose k in this range by silhouette
_SILHOUETTE_SAMPLE = 2_000  # cases used to compute silhouettes and agglomerative trees
_K_SAMPLE = 10_000  # k-based methods choose k on a sample of this many cases
_BIC_SAMPLE = 5_000  # cases used to choose the number of latent classes
_SELECTION_INITS = 8  # EM starts per candidate number of latent classes (local optima are common)
_BIC_ELBOW = 0.02  # one more latent class must improve the BIC by this share of the gain so far
_REPRODUCED_JACCARD = 0.75  # a latent class is reproduced when split-half fits agree this well on it
_BOOTSTRAP_SAMPLE = 10_000  # m-out-of-n bootstrap: each stability refit sees at most this many cases
_TOP_TRAIT_Q = 0.05
#: The clustering methods of PatternClusters (``method=``), the default first.
METHODS = ("latent_class", "onehot_kmeans", "hdbscan", "agglomerative")
_DEPRECATED_METHODS = {"kmodes": "onehot_kmeans"}  # old name → new name, accepted with a FutureWarning
_TOP_TRAIT_SHARE = 0.3


# --------------------------------------------------------------------------------------------------
# Encoding: case table → unit-norm field blocks plus a mask of known fields
# --------------------------------------------------------------------------------------------------


# How a column's values are modelled: one level of a single-valued field, one code of a multi-valued
# field (present/absent), or a number.
_CATEGORY, _MULTI_CODE, _NUMBER = 0, 1, 2


@dataclass(frozen=True)
class _Encoded:
    """Cases as numbers: ``values`` (n × p, 0 where unknown), ``known`` (n × fields), column → field and kind.

    For case tables ``values`` are 0/1 indicators of codes; for numeric input the numbers given.
    """

    values: np.ndarray
    known: np.ndarray
    column_field: np.ndarray
    column_kind: np.ndarray

    @cached_property
    def n_known(self) -> np.ndarray:
        return self.known.sum(axis=1)

    @cached_property
    def column_known(self) -> np.ndarray:
        """Known mask per column (n × p, float)."""
        return self.known[:, self.column_field].astype(np.float64)

    @cached_property
    def unit(self) -> np.ndarray:
        """Values with each case table field scaled to unit norm, so every known field weighs the same
        however many levels it has or codes it holds (numeric columns are left as given)."""
        scaled = self.values.copy()
        coded = self.column_kind != _NUMBER
        if coded.any():
            squares = sparse.csr_matrix(
                (np.ones(coded.sum()), (np.flatnonzero(coded), self.column_field[coded])),
                shape=(len(self.column_field), self.known.shape[1]),
            )
            norm = np.sqrt(np.asarray(self.values**2 @ squares))[:, self.column_field]
            np.divide(self.values, norm, out=scaled, where=coded[None, :] & (norm > 0))
        return scaled

    @cached_property
    def sq_norms(self) -> np.ndarray:
        return np.einsum("ij,ij->i", self.unit, self.unit)

    @cached_property
    def numeric(self) -> bool:
        """True for numeric input (every column a number), False for case tables (every column a code)."""
        return bool((self.column_kind == _NUMBER).all())

    @cached_property
    def multi_columns(self) -> np.ndarray:
        return np.flatnonzero(self.column_kind == _MULTI_CODE)

    @cached_property
    def slots(self) -> np.ndarray:
        """Outcomes per column for smoothing: the levels of its field, or 2 (present/absent) for a code."""
        levels = np.bincount(self.column_field, minlength=self.known.shape[1])[self.column_field]
        return np.where(self.column_kind == _CATEGORY, levels, 2)

    @cached_property
    def variance_floor(self) -> np.ndarray:
        return 1e-3 * np.var(self.values, axis=0) + 1e-9

    def take(self, rows: np.ndarray) -> _Encoded:
        return _Encoded(self.values[rows], self.known[rows], self.column_field, self.column_kind)


@dataclass(frozen=True)
class _CaseEncoder:
    """Which levels of which fields become columns; learned on the cases given to ``fit``."""

    fields: tuple[str, ...]
    levels: tuple[tuple[str, ...], ...]

    @classmethod
    def learn(cls, cases: pd.DataFrame, fields: Sequence[str]) -> _CaseEncoder:
        levels = []
        for name in fields:
            present = set(_codes_of(cases[name], _kind(name)).columns)
            order = _vocabulary_codes(name) if name != PLACES_FIELD else sorted(present)
            levels.append(tuple(code for code in order if code in present))
        kept = [(f, lv) for f, lv in zip(fields, levels, strict=True) if lv]
        return cls(tuple(f for f, _ in kept), tuple(lv for _, lv in kept))

    @property
    def feature_names(self) -> np.ndarray:
        return np.array(
            [f"{f}={code}" for f, lv in zip(self.fields, self.levels, strict=True) for code in lv],
            dtype=object,
        )

    def transform(self, cases: pd.DataFrame) -> _Encoded:
        blocks, column_field, column_kind = [], [], []
        for i, (name, levels) in enumerate(zip(self.fields, self.levels, strict=True)):
            block = _codes_of(cases[name], _kind(name)).reindex(columns=list(levels), fill_value=0)
            blocks.append(block.to_numpy(dtype=np.float64))
            column_field.append(np.full(len(levels), i))
            column_kind.append(
                np.full(len(levels), _MULTI_CODE if _kind(name) is schema.Kind.MULTI else _CATEGORY)
            )
        known = np.column_stack([block.any(axis=1) for block in blocks])
        return _Encoded(np.hstack(blocks), known, np.concatenate(column_field), np.concatenate(column_kind))


def _kind(name: str) -> schema.Kind:
    return schema.Kind.MULTI if name == PLACES_FIELD else schema.get_field("cases", name).kind


def _vocabulary_codes(name: str) -> tuple[str, ...]:
    vocab = schema.get_field("cases", name).vocab
    return tuple(code for code in vocab.codes if code != schema.UNKNOWN) if vocab else ()


def _codes_of(values: pd.Series, kind: schema.Kind) -> pd.DataFrame:
    """0/1 indicators of the codes a column holds; ``unknown`` and blanks give no indicator."""
    text = values.astype("string").fillna("")
    if kind is schema.Kind.MULTI:
        dummies = text.str.get_dummies(sep=schema.MULTI_SEPARATOR)
    else:
        dummies = pd.get_dummies(text, dtype=np.uint8)
    return dummies.drop(columns=[c for c in ("", schema.UNKNOWN) if c in dummies.columns])


def _check_codes(cases: pd.DataFrame, fields: Sequence[str]) -> None:
    """Raise one :class:`CaseDataError` listing every value that is not a code of its vocabulary."""
    problems = []
    for name in fields:
        allowed = set(_vocabulary_codes(name)) | {schema.UNKNOWN, ""}
        kind = _kind(name)
        column = cases[name].astype("string").fillna("")
        parts = column.str.split(schema.MULTI_SEPARATOR).explode() if kind is schema.Kind.MULTI else column
        bad = parts[~parts.isin(allowed)]
        vocab = schema.get_field("cases", name).vocabulary
        for row, value in bad.head(20).items():
            problems.append(
                Problem(
                    "cases",
                    _row_number(cases, row),
                    name,
                    value,
                    f"a code of vocabulary {vocab!r}",
                    "read exports with routes.read_cases, which maps labels to codes",
                )
            )
    if problems:
        raise CaseDataError(problems)


def _row_number(frame: pd.DataFrame, label: Any) -> int:
    """The 1-based data row of ``label`` under a header row, as a spreadsheet shows it."""
    position = frame.index.get_loc(label)
    if not isinstance(position, int | np.integer):  # a repeated label has no one row
        raise TypeError(f"row label {label!r} is not unique")
    return int(position) + 2


def _places_per_case(events: pd.DataFrame, case_ids: pd.Series) -> pd.Series:
    """The gazetteer ids each case passed through, ``;``-joined, aligned with ``case_ids``."""
    _require_columns(events, ("case_id", "place_id"), "events")
    steps = events.loc[events["place_id"].notna(), ["case_id", "place_id"]].astype("string").drop_duplicates()
    joined = steps.groupby("case_id")["place_id"].agg(lambda ids: schema.MULTI_SEPARATOR.join(sorted(ids)))
    return case_ids.astype("string").map(joined).fillna("").astype(object)


def _require_columns(frame: pd.DataFrame, columns: Iterable[str], table: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise CaseDataError(
            [Problem(table, None, c, None, "a column of the case data standard") for c in missing]
        )


# --------------------------------------------------------------------------------------------------
# Geometry of partly-known cases: distances use only the fields a case has
# --------------------------------------------------------------------------------------------------


def _sq_distances_to_centers(enc: _Encoded, centers: np.ndarray) -> np.ndarray:
    """Mean squared distance per known field from each case to each centre (n × k); NaN if nothing known."""
    total = enc.sq_norms[:, None] - 2.0 * enc.unit @ centers.T + enc.column_known @ (centers**2).T
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.maximum(total, 0.0) / enc.n_known[:, None]


def _masked_centers(enc: _Encoded, labels: np.ndarray, n_clusters: int) -> np.ndarray:
    """Per cluster and column, the mean over members that know the column's field (0 if none does)."""
    weight = 1.0 / np.maximum(enc.n_known, 1)
    member = np.zeros((n_clusters, len(labels)))
    member[labels[labels >= 0], np.flatnonzero(labels >= 0)] = weight[labels >= 0]
    sums = member @ enc.unit
    counts = member @ enc.column_known
    return np.divide(sums, counts, out=np.zeros_like(sums), where=counts > 0)


def _pairwise_distances(enc: _Encoded) -> np.ndarray:
    """Root mean squared difference over the fields both cases know (a Gower-like distance)."""
    mask = enc.column_known
    squares = enc.unit**2
    total = squares @ mask.T + mask @ squares.T - 2.0 * enc.unit @ enc.unit.T
    common = enc.known.astype(np.float64) @ enc.known.T.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        dist = np.sqrt(np.maximum(total, 0.0) / common)
    dist[common == 0] = np.nanmax(dist) if np.isfinite(dist).any() else 1.0
    np.fill_diagonal(dist, 0.0)
    return dist


def _nearest_center(enc: _Encoded, centers: np.ndarray) -> np.ndarray:
    """Label of the nearest centre per case; -1 for a case with no known field."""
    dist = _sq_distances_to_centers(enc, centers)
    labels = np.argmin(np.nan_to_num(dist, nan=np.inf), axis=1)
    return np.where(enc.n_known > 0, labels, -1)


# --------------------------------------------------------------------------------------------------
# Clustering methods
# --------------------------------------------------------------------------------------------------


def _kmeans_masked(
    enc: _Encoded, k: int, rng: np.random.Generator, *, n_init: int = 4, max_iter: int = 100
) -> tuple[np.ndarray, np.ndarray]:
    """Lloyd's k-means on the partly-known one-hot encoding (unknown fields masked); best of n_init."""
    rows = np.flatnonzero(enc.n_known > 0)
    best: tuple[float, np.ndarray, np.ndarray] | None = None
    for _ in range(n_init):
        centers = _kmeans_plus_plus(enc.take(rows), k, rng)
        labels = np.full(len(enc.n_known), -1)
        for _ in range(max_iter):
            new = _nearest_center(enc, centers)
            if np.array_equal(new, labels):
                break
            labels = new
            centers = _masked_centers(enc, labels, k)
        inertia = float(_sq_distances_to_centers(enc.take(rows), centers).min(axis=1).sum())
        if best is None or inertia < best[0]:
            best = (inertia, labels, centers)
    assert best is not None, "n_init must be at least 1"
    return best[1], best[2]


def _kmeans_plus_plus(enc: _Encoded, k: int, rng: np.random.Generator) -> np.ndarray:
    n = len(enc.n_known)
    chosen = [int(rng.integers(n))]
    closest = _sq_distances_to_centers(enc, enc.unit[chosen])[:, 0]
    for _ in range(1, k):
        weights = np.nan_to_num(closest, nan=0.0)
        pick = int(rng.choice(n, p=weights / weights.sum())) if weights.sum() > 0 else int(rng.integers(n))
        chosen.append(pick)
        closest = np.fmin(closest, _sq_distances_to_centers(enc, enc.unit[[pick]])[:, 0])
    return enc.unit[chosen]


def _agglomerative(enc: _Encoded, k: int, sample: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Average-linkage tree on a sample's pairwise distances; every case then joins its nearest prototype."""
    from sklearn.cluster import AgglomerativeClustering

    part = enc.take(sample)
    tree = AgglomerativeClustering(n_clusters=k, metric="precomputed", linkage="average")
    sample_labels = tree.fit_predict(_pairwise_distances(part))
    centers = _masked_centers(part, sample_labels, k)
    return _nearest_center(enc, centers), centers


def _choose_k_clusters(
    enc: _Encoded, method: str, n_clusters: int | None, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Fit a k-based method; without ``n_clusters``, k in ``_K_RANGE`` with the best silhouette.

    k is chosen on a random sample of at most ``_K_SAMPLE`` cases (silhouettes on 2,000 of them),
    then the chosen k is fitted on every case.
    """
    from sklearn.metrics import silhouette_score

    known_rows = np.flatnonzero(enc.n_known > 0)
    pick = rng.choice(known_rows, size=min(_K_SAMPLE, len(known_rows)), replace=False)
    scored = np.arange(min(_SILHOUETTE_SAMPLE, len(pick)))  # the first cases of the (random) sample

    def run(target: _Encoded, k: int, tree_rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if method == "agglomerative":
            return _agglomerative(target, k, tree_rows)
        return _kmeans_masked(target, k, rng)

    if n_clusters is None:
        part = enc.take(pick)
        distances = _pairwise_distances(part.take(scored))
        silhouettes = {}
        for k in range(_K_RANGE[0], min(_K_RANGE[1], len(scored) - 1) + 1):
            labels = run(part, k, scored)[0][scored]
            if len(np.unique(labels)) > 1:
                silhouettes[k] = silhouette_score(distances, labels, metric="precomputed")
        n_clusters = max(silhouettes, key=silhouettes.__getitem__) if silhouettes else _K_RANGE[0]
    return run(enc, n_clusters, pick[scored])


def _hdbscan_clusters(
    enc: _Encoded, min_cluster_size: int, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """HDBSCAN on a TruncatedSVD view of the well-known cases; the others join their nearest prototype.

    Returns labels, prototypes, the membership strength (0 where the nearest prototype decided) and
    the mask of cases that the density step left as noise or did not see.
    """
    import hdbscan
    from sklearn.decomposition import TruncatedSVD

    n = len(enc.n_known)
    informative = np.flatnonzero(enc.n_known >= max(1, _INFORMATIVE_SHARE * enc.known.shape[1]))
    view = enc.unit[informative]
    if view.shape[1] > _SVD_COMPONENTS + 1:
        view = TruncatedSVD(n_components=_SVD_COMPONENTS, random_state=seed).fit_transform(view)
    probabilities = np.zeros(n)
    density_labels = np.full(n, -1)
    if len(informative) > min_cluster_size:
        model = hdbscan.HDBSCAN(
            min_cluster_size=min_cluster_size,
            min_samples=min(min_cluster_size, _MAX_MIN_SAMPLES),
            core_dist_n_jobs=1,
        )
        density_labels[informative] = model.fit_predict(view)
        probabilities[informative] = model.probabilities_
    found = int(density_labels.max()) + 1
    if found == 0:  # no density structure at all: one cluster, said honestly by n_clusters_ == 1
        density_labels[enc.n_known > 0] = 0
        found = 1
    centers = _masked_centers(enc, density_labels, found)
    noise = density_labels < 0
    labels = np.where(noise, _nearest_center(enc, centers), density_labels)
    return labels, centers, np.where(noise, 0.0, probabilities), noise


@dataclass(frozen=True)
class _LatentClasses:
    """A latent class model: class weights, per class the probability of each code (a level of a
    single-valued field, or a code of a multi-valued one) and, for numeric columns, a mean and variance.

    Fields are independent given the class; an unknown field is left out of a case's likelihood.
    """

    log_weights: np.ndarray
    probabilities: np.ndarray
    variances: np.ndarray

    @classmethod
    def from_responsibilities(
        cls, enc: _Encoded, resp: np.ndarray, *, smoothing: float = 0.5
    ) -> _LatentClasses:
        """M-step: weighted code frequencies with additive smoothing, weighted means and variances."""
        known = resp.T @ enc.column_known
        hits = resp.T @ enc.values
        weights = resp.sum(axis=0) + 1e-9
        log_weights = np.log(weights / weights.sum())
        if not enc.numeric:
            return cls(log_weights, (hits + smoothing) / (known + smoothing * enc.slots), np.ones_like(hits))
        means = np.divide(hits, known, out=np.zeros_like(hits), where=known > 0)
        spread = np.divide(resp.T @ enc.values**2, known, out=np.zeros_like(hits), where=known > 0) - means**2
        return cls(log_weights, means, np.maximum(spread, enc.variance_floor))

    def joint_log_likelihood(self, enc: _Encoded) -> np.ndarray:
        """log p(case, class) for every case and class (n × k), over the fields each case knows."""
        if enc.numeric:
            mu, var = self.probabilities, self.variances
            out = (enc.values**2) @ (-0.5 / var).T + enc.values @ (mu / var).T
            out -= 0.5 * enc.column_known @ (mu**2 / var + np.log(2 * np.pi * var)).T
            return out + self.log_weights
        p = np.clip(self.probabilities, 1e-12, 1 - 1e-12)
        out = enc.values @ np.log(p).T
        if enc.multi_columns.size:
            absent = enc.column_known[:, enc.multi_columns] - enc.values[:, enc.multi_columns]
            out += absent @ np.log1p(-p[:, enc.multi_columns]).T
        return out + self.log_weights

    def n_parameters(self, enc: _Encoded) -> int:
        k = len(self.log_weights)
        levels = np.bincount(enc.column_field[enc.column_kind == _CATEGORY])
        per_class = (
            (levels[levels > 0] - 1).sum()
            + (enc.column_kind == _MULTI_CODE).sum()
            + 2 * (enc.column_kind == _NUMBER).sum()
        )
        return int(k - 1 + k * per_class)

    def subset(self, classes: np.ndarray) -> _LatentClasses:
        weights = np.exp(self.log_weights[classes])
        return _LatentClasses(
            np.log(weights / weights.sum()), self.probabilities[classes], self.variances[classes]
        )


def _fit_latent_classes(
    enc: _Encoded,
    k: int,
    rng: np.random.Generator,
    *,
    n_init: int = 3,
    max_iter: int = 300,
    tol: float = 1e-6,
    warm: _LatentClasses | None = None,
) -> tuple[_LatentClasses, float]:
    """EM from k-means++ starts; the fit with the highest log-likelihood, and that log-likelihood.

    ``warm`` (a model with k classes, e.g. fitted on a sample) adds one more start: its posterior.
    """
    from scipy.special import logsumexp

    n = len(enc.n_known)
    rows = np.flatnonzero(enc.n_known > 0)
    best: tuple[_LatentClasses, float] | None = None
    for attempt in range(n_init + (warm is not None)):
        if warm is not None and attempt == n_init:
            joint = warm.joint_log_likelihood(enc)
            resp = np.exp(joint - logsumexp(joint, axis=1, keepdims=True))
        else:
            start = _nearest_center(enc, _kmeans_plus_plus(enc.take(rows), k, rng))
            resp = np.full((n, k), 1.0 / k)
            resp[start >= 0] = np.eye(k)[start[start >= 0]]
        previous = -np.inf
        for _ in range(max_iter):
            model = _LatentClasses.from_responsibilities(enc, resp)
            joint = model.joint_log_likelihood(enc)
            per_case = logsumexp(joint, axis=1)
            resp = np.exp(joint - per_case[:, None])
            log_likelihood = float(per_case.sum())
            if log_likelihood - previous <= tol * n:
                break
            previous = log_likelihood
        if best is None or log_likelihood > best[1]:
            best = (model, log_likelihood)
    assert best is not None, "n_init must be at least 1"
    return best


def _latent_class_bic(enc: _Encoded, model: _LatentClasses, log_likelihood: float) -> float:
    """Bayesian information criterion of a fitted model on ``enc``: lower is better."""
    return float(-2 * log_likelihood + model.n_parameters(enc) * np.log(len(enc.n_known)))


def _reproduced(enc: _Encoded, k: int, rng: np.random.Generator) -> float:
    """How well k latent classes reproduce: fit on two disjoint halves of ``enc``, classify every case
    with both fits and return the lowest best-Jaccard index of any class of either fit with the other's.
    """
    order = rng.permutation(len(enc.n_known))
    halves = np.array_split(order, 2)
    labels = [
        _fit_latent_classes(enc.take(np.sort(half)), k, rng, n_init=_SELECTION_INITS)[0]
        .joint_log_likelihood(enc)
        .argmax(axis=1)
        for half in halves
    ]
    return float(
        min(_best_jaccard(labels[0], labels[1], k).min(), _best_jaccard(labels[1], labels[0], k).min())
    )


def _choose_latent_classes(enc: _Encoded, rng: np.random.Generator) -> tuple[int, _LatentClasses]:
    """Number of latent classes: the elbow of the BIC proposes, a split-half stability check disposes.

    On a random sample of at most ``_BIC_SAMPLE`` cases, k = 1, 2, ... classes are fitted
    (``_SELECTION_INITS`` EM starts each). Classes are added while one more class improves the BIC by
    at least ``_BIC_ELBOW`` of the improvement from 1 class to the current k (the elbow of the BIC
    curve, Nylund et al. 2007): a ratio of gains, so the choice does not drift with the number of
    cases, where the BIC minimum does (with 100,000 cases it finds sub-groups inside every pattern,
    e.g. the people whose sex follows from their gender identity, which break local independence).
    From the proposed k down, the first k whose every class is reproduced (best Jaccard ≥
    ``_REPRODUCED_JACCARD``) by fits on two disjoint halves of the sample is chosen.

    Parameters
    ----------
    enc : _Encoded
        The encoded cases.
    rng : numpy.random.Generator
        Draws the sample, the halves and the EM starts.

    Returns
    -------
    int
        The number of classes, at least 1.
    _LatentClasses
        That many classes fitted on the sample: a warm start for the fit on every case.
    """
    known_rows = np.flatnonzero(enc.n_known > 0)
    sample = enc.take(np.sort(rng.choice(known_rows, size=min(_BIC_SAMPLE, len(known_rows)), replace=False)))
    largest = max(1, min(_K_RANGE[1], len(sample.n_known) // 2 - 1))
    fits = {1: _fit_latent_classes(sample, 1, rng, n_init=1)}
    bic = [_latent_class_bic(sample, *fits[1])]
    proposed = largest
    for k in range(2, largest + 1):
        fits[k] = _fit_latent_classes(sample, k, rng, n_init=_SELECTION_INITS)
        bic.append(_latent_class_bic(sample, *fits[k]))
        if bic[-2] - bic[-1] < _BIC_ELBOW * (bic[0] - bic[-2]):
            proposed = k - 1
            break
    chosen = next(
        (k for k in range(proposed, 1, -1) if _reproduced(sample, k, rng) >= _REPRODUCED_JACCARD), 1
    )
    return chosen, fits[chosen][0]


def _latent_class_clusters(
    enc: _Encoded, n_clusters: int | None, rng: np.random.Generator, *, n_init: int = 3
) -> tuple[np.ndarray, _LatentClasses, np.ndarray]:
    """Latent class analysis on every case; k by :func:`_choose_latent_classes` unless given.

    Returns labels (-1 where nothing is known), the model and each case's posterior of its class.
    """
    warm = None
    if n_clusters is None:
        n_clusters, warm = _choose_latent_classes(enc, rng)
    model, _ = _fit_latent_classes(enc, n_clusters, rng, n_init=n_init, warm=warm)
    joint = model.joint_log_likelihood(enc)
    labels = np.where(enc.n_known > 0, joint.argmax(axis=1), -1)
    used = np.unique(labels[labels >= 0])
    model = model.subset(used)
    posterior = np.exp(joint[:, used] - joint[:, used].max(axis=1, keepdims=True))
    posterior /= posterior.sum(axis=1, keepdims=True)
    labels = np.where(labels >= 0, posterior.argmax(axis=1), -1)
    return labels, model, np.where(labels >= 0, posterior.max(axis=1), 0.0)


def _best_jaccard(reference: np.ndarray, other: np.ndarray, n_reference: int) -> np.ndarray:
    """For each reference cluster, the highest Jaccard index with any cluster of ``other`` (same cases)."""
    keep = (reference >= 0) & (other >= 0)
    if not keep.any():
        return np.zeros(n_reference)
    ref, oth = reference[keep], other[keep]
    both = sparse.coo_matrix((np.ones(len(ref)), (ref, oth)), shape=(n_reference, oth.max() + 1)).toarray()
    size_ref = np.bincount(reference[reference >= 0], minlength=n_reference)[:, None]
    size_oth = np.bincount(other[other >= 0], minlength=both.shape[1])[None, :]
    union = size_ref + size_oth - both
    jaccard = np.divide(both, union, out=np.zeros_like(both), where=union > 0)
    return jaccard.max(axis=1)


# --------------------------------------------------------------------------------------------------
# The estimator
# --------------------------------------------------------------------------------------------------


class PatternClusters(ClusterMixin, BaseEstimator):
    """Groups of cases that share a modus operandi and a profile, with explanations.

    Parameters
    ----------
    features : {"both", "modus_operandi", "profile"} or list of str, default "both"
        Case fields to cluster on: a named set of :data:`FEATURE_SETS` or field names of the case
        data standard. Ignored for numeric input, whose columns are taken as already encoded.
    method : {"onehot_kmeans", "latent_class", "hdbscan", "agglomerative"}, default "latent_class"
        ``"latent_class"``: latent class analysis (EM; fields independent given the class, unknown
        fields left out of the likelihood); k in 1–12 at the elbow of the BIC on a 5,000-case sample,
        kept only if split-half refits reproduce every class (see ``benchmarks/bench_methods.py``).
        The default: across 5 unseen seeds × 1,969–20,000 people and at 100,000 it recovered the
        planted patterns best (ARI 0.85–0.89, k = 5 every time; ``benchmarks/README.md``).
        ``"onehot_kmeans"``: Lloyd's k-means on a one-hot encoding of the codes (each field scaled
        to unit norm) with unknown fields masked out of every distance and every prototype
        (prototypes are the frequencies of each code among the members that know the field). It is
        not Huang's k-modes (no modes, no matching dissimilarity): it was called ``"kmodes"``
        until 0.x, a name still accepted with a ``FutureWarning`` and to be removed in a later
        release; k in 2–12 by silhouette on a 2,000-case sample unless ``n_clusters`` is given.
        Silhouette often merges two patterns (k = 4, ARI 0.56–0.66 on some unseen seeds).
        ``"hdbscan"``: density-based, k found by the ``hdbscan`` package on a 12-component
        TruncatedSVD of the cases that know at least half of the fields; the others join their
        nearest prototype. Categorical cases have no smooth density, so it is the weakest here.
        ``"agglomerative"``: average linkage on Gower-like distances of a 2,000-case sample.
    n_clusters : int, optional
        Number of clusters for the k-based methods (all but HDBSCAN, which chooses its own: giving
        one with ``method="hdbscan"`` is an error).
    min_cluster_size : int, optional
        Smallest group HDBSCAN reports; default ``max(15, 1 % of the cases)``.
    include_places : bool, default False
        Also cluster on the gazetteer places each person passed (needs ``events`` in ``fit``).
    random_state : int, RandomState instance or None, default None
        Seeds SVD, k-means++ starts, samples and bootstrap draws: same seed, same clusters.
    n_bootstrap : int, default 20
        Refits on bootstrap samples (at most 10,000 cases each) behind ``stability_``; 0 skips
        them, and then no cluster is a finding (its stability is not known).
    label_min_share : float, default :data:`LABEL_MIN_SHARE` (0.6)
        A trait enters a cluster's label only when at least this share of the cluster's people
        hold it (people with the field unknown count in the denominator); the share is printed
        with the trait in ``profiles_.table["label_traits"]``.
    min_stability : float, default :data:`MIN_STABILITY` (0.6)
        A cluster whose ``stability_`` is under this (or not measured) is labelled
        :data:`MIXED_LABEL` ("Mixed, not a finding") in the profiles and in every product made
        from them, as is a cluster with no trait held by ``label_min_share`` of its people.

    Attributes
    ----------
    labels_ : ndarray of shape (n_cases,)
        Cluster of every case. Cases that HDBSCAN calls noise join their nearest prototype here
        (see ``noise_``); -1 only for a case with no known value in any clustering field.
    n_clusters_ : int
    cluster_centers_ : ndarray of shape (n_clusters_, n_features_out)
        Prototypes in the encoded space (per field, the share of members holding each code);
        ``predict`` assigns new cases to the nearest one using only the fields they know.
    probabilities_ : ndarray of shape (n_cases,)
        Latent classes: posterior probability of the class given. HDBSCAN: membership strength, 0 for
        cases placed by the nearest prototype. Other methods: 1.
    noise_ : ndarray of bool, shape (n_cases,)
        Cases the density step left as noise (always False for k-based methods).
    stability_ : ndarray of shape (n_clusters_,)
        Per cluster, mean over bootstrap refits of the best Jaccard index with a refit cluster
        (Hennig's clusterboot); above 0.75 is commonly read as stable, below 0.5 as dissolved.
    profiles_ : ClusterProfiles
        Sizes, over-represented traits, labels (en/es), stability and places per cluster.
    feature_names_out_ : ndarray of str
        Encoded features, ``field=code`` for case tables.
    n_features_in_, feature_names_in_ :
        As in scikit-learn: the columns of ``X`` seen in ``fit``.

    Examples
    --------
    >>> mo = PatternClusters(random_state=0).fit(cases)              # doctest: +SKIP
    >>> mo.profiles_.table[["n_people", "label_en", "stability"]]     # doctest: +SKIP
    """

    _encoder_: _CaseEncoder | None  # set by fit: None when X was a numeric array

    # Checked by scikit-learn's parameter validation at every fit (sklearn.utils._param_validation).
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "features": [StrOptions(set(FEATURE_SETS)), "array-like"],
        "method": [StrOptions({*METHODS, *_DEPRECATED_METHODS}, deprecated=set(_DEPRECATED_METHODS))],
        "n_clusters": [Interval(Integral, 1, None, closed="left"), None],
        "min_cluster_size": [Interval(Integral, 2, None, closed="left"), None],
        "include_places": ["boolean"],
        "random_state": ["random_state"],
        "n_bootstrap": [Interval(Integral, 0, None, closed="left")],
        "label_min_share": [Interval(Real, 0, 1, closed="right")],
        "min_stability": [Interval(Real, 0, 1, closed="both")],
    }

    def __init__(
        self,
        features: str | Sequence[str] = "both",
        method: str = "latent_class",
        n_clusters: int | None = None,
        min_cluster_size: int | None = None,
        include_places: bool = False,
        random_state: int | np.random.RandomState | None = None,
        n_bootstrap: int = 20,
        label_min_share: float = LABEL_MIN_SHARE,
        min_stability: float = MIN_STABILITY,
    ) -> None:
        self.features = features
        self.method = method
        self.n_clusters = n_clusters
        self.min_cluster_size = min_cluster_size
        self.include_places = include_places
        self.random_state = random_state
        self.n_bootstrap = n_bootstrap
        self.label_min_share = label_min_share
        self.min_stability = min_stability

    # -- scikit-learn plumbing ------------------------------------------------------------------

    def __sklearn_tags__(self) -> Tags:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # NaN in numeric input means "unknown", as in case tables
        tags.input_tags.categorical = True
        tags.input_tags.string = True
        if self._has_prototypes():  # transform gives distances to the prototypes, as KMeans does
            from sklearn.utils import TransformerTags

            tags.transformer_tags = TransformerTags(preserves_dtype=["float64"])
        return tags

    def fit(
        self, X: pd.DataFrame | np.ndarray, y: None = None, *, events: pd.DataFrame | None = None
    ) -> PatternClusters:
        """Cluster the cases in ``X`` (a case table of codes, or a numeric array of encoded features).

        ``events`` (``case_id``, ``place_id``, ...) adds where each cluster's people passed to
        ``profiles_`` and, with ``include_places=True``, makes places a clustering field.
        """
        from threadpoolctl import threadpool_limits

        self._check_params()
        with threadpool_limits(limits=1, user_api="blas"):  # thin products (k columns): threads only wait
            return self._fit(X, events)

    def _fit(self, X: pd.DataFrame | np.ndarray, events: pd.DataFrame | None) -> PatternClusters:
        rng = np.random.default_rng(_seed(self.random_state))
        cases, enc = self._encode(X, events, reset=True)
        n = len(enc.n_known)
        if n < 2:
            raise ParameterError(f"PatternClusters needs at least 2 cases; got n_samples={n}")
        found = self._cluster(enc, rng)
        self.labels_ = found.labels.astype(np.int64)
        self.cluster_centers_ = found.centers
        self.n_clusters_ = int(found.centers.shape[0])
        self.probabilities_ = found.probabilities
        self.noise_ = found.noise
        self._latent_classes_ = found.latent_classes
        self.stability_ = self._stability(enc, rng)
        self.profiles_ = _profiles(
            cases,
            self.labels_,
            self.n_clusters_,
            self.stability_,
            fields=self._case_encoder().fields if cases is not None else (),
            events=events,
            min_share=self.label_min_share,
            min_stability=self.min_stability,
        )
        return self

    def fit_predict(
        self, X: pd.DataFrame | np.ndarray, y: None = None, *, events: pd.DataFrame | None = None
    ) -> np.ndarray:
        """Fit and return ``labels_``."""
        return self.fit(X, events=events).labels_

    def predict(self, X: pd.DataFrame | np.ndarray, *, events: pd.DataFrame | None = None) -> np.ndarray:
        """Cluster of new cases: the nearest prototype over the fields each case knows (-1: nothing known)."""
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "cluster_centers_")
        _, enc = self._encode(X, events, reset=False)
        if self._latent_classes_ is not None:
            labels = self._latent_classes_.joint_log_likelihood(enc).argmax(axis=1)
            return np.where(enc.n_known > 0, labels, -1).astype(np.int64)
        return _nearest_center(enc, self.cluster_centers_).astype(np.int64)

    def _has_latent_classes(self) -> bool:
        return self._method == "latent_class"

    def _has_prototypes(self) -> bool:
        return self._method != "latent_class"

    @available_if(_has_latent_classes)
    def predict_proba(
        self, X: pd.DataFrame | np.ndarray, *, events: pd.DataFrame | None = None
    ) -> np.ndarray:
        """Posterior probability of each latent class for new cases (``method="latent_class"`` only).

        Parameters
        ----------
        X : DataFrame or ndarray
            Cases of the kind given to ``fit`` (a case table, or numeric columns with NaN unknown).
        events : DataFrame, optional
            As in ``fit``, when the model clusters on places.

        Returns
        -------
        ndarray of shape (n_cases, n_clusters_)
            Rows sum to 1; ``predict`` is their argmax. A case with no known field gets the class
            weights (nothing known moves it from the prior), though ``predict`` gives it -1.
        """
        from scipy.special import softmax
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "cluster_centers_")
        _, enc = self._encode(X, events, reset=False)
        assert self._latent_classes_ is not None, "fitted with method='latent_class'"
        return np.asarray(softmax(self._latent_classes_.joint_log_likelihood(enc), axis=1))

    @available_if(_has_prototypes)
    def transform(self, X: pd.DataFrame | np.ndarray, *, events: pd.DataFrame | None = None) -> np.ndarray:
        """Distance of new cases to every cluster prototype (all methods but ``"latent_class"``).

        Parameters
        ----------
        X : DataFrame or ndarray
            Cases of the kind given to ``fit``.
        events : DataFrame, optional
            As in ``fit``, when the model clusters on places.

        Returns
        -------
        ndarray of shape (n_cases, n_clusters_)
            Root mean squared difference per known field to each row of ``cluster_centers_`` (the
            distance k-means minimises, unknown fields left out); ``predict`` is its argmin. NaN
            for a case with no known field.
        """
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "cluster_centers_")
        _, enc = self._encode(X, events, reset=False)
        return np.sqrt(_sq_distances_to_centers(enc, self.cluster_centers_))

    @available_if(_has_prototypes)
    def fit_transform(
        self, X: pd.DataFrame | np.ndarray, y: None = None, *, events: pd.DataFrame | None = None
    ) -> np.ndarray:
        """Fit, then return the distances of the fitted cases to the prototypes (see ``transform``)."""
        return self.fit(X, events=events).transform(X, events=events)

    # -- steps ----------------------------------------------------------------------------------

    def _check_params(self) -> None:
        try:
            self._validate_params()
        except InvalidParameterError as error:  # a routes error too: the CLI reports it on one line
            raise _InvalidParameter(str(error)) from None
        if self.method in _DEPRECATED_METHODS:
            warnings.warn(
                f"method={self.method!r} was renamed to {_DEPRECATED_METHODS[self.method]!r} in 0.2 "
                f"and will be removed in 0.3: it is Lloyd's k-means on a one-hot encoding, not "
                f"Huang's k-modes. Use method={_DEPRECATED_METHODS[self.method]!r}.",
                FutureWarning,
                stacklevel=3,
            )
        if self.method == "hdbscan" and self.n_clusters is not None:
            raise ParameterError(
                "n_clusters is for the k-based methods; HDBSCAN finds its own number of "
                "clusters (use method='onehot_kmeans' or 'agglomerative' to fix k)"
            )

    def _fields(self, X: pd.DataFrame) -> list[str]:
        if isinstance(self.features, str):
            if self.features not in FEATURE_SETS:
                raise ParameterError(
                    f"features={self.features!r}; expected one of {sorted(FEATURE_SETS)} "
                    "or a list of case fields"
                )
            return [name for name in FEATURE_SETS[self.features] if name in X.columns]
        known = set(FEATURE_SETS["both"])
        problems = [
            Problem(
                "cases",
                None,
                name,
                name,
                f"a case field of kind category, bool or multi ({', '.join(FEATURE_SETS['both'])})",
            )
            for name in self.features
            if name not in known
        ]
        problems += [
            Problem("cases", None, name, "(no such column)", "a column of the case table")
            for name in self.features
            if name in known and name not in X.columns
        ]
        if problems:
            raise CaseDataError(problems)
        return list(self.features)

    def _encode(
        self, X: Any, events: pd.DataFrame | None, *, reset: bool
    ) -> tuple[pd.DataFrame | None, _Encoded]:
        if isinstance(X, pd.DataFrame) and not all(pd.api.types.is_numeric_dtype(t) for t in X.dtypes):
            return self._encode_cases(X, events, reset=reset)
        from sklearn.utils.validation import validate_data

        values = validate_data(
            self,
            X,
            reset=reset,
            dtype=np.float64,
            ensure_all_finite="allow-nan",
            ensure_min_samples=2 if reset else 1,
        )
        known = ~np.isnan(values)
        if reset:
            self._encoder_ = None
            self.feature_names_out_ = np.array([f"x{i}" for i in range(values.shape[1])], dtype=object)
        n_columns = values.shape[1]
        return None, _Encoded(
            np.nan_to_num(values, nan=0.0), known, np.arange(n_columns), np.full(n_columns, _NUMBER)
        )

    def _encode_cases(
        self, X: pd.DataFrame, events: pd.DataFrame | None, *, reset: bool
    ) -> tuple[pd.DataFrame, _Encoded]:
        cases = X.reset_index(drop=True)
        if reset:
            fields = self._fields(cases)
            self.n_features_in_ = cases.shape[1]
            self.feature_names_in_ = np.asarray(cases.columns, dtype=object)
        else:
            fields = [f for f in self._case_encoder().fields if f != PLACES_FIELD]
            _require_columns(cases, fields, "cases")
        _check_codes(cases, fields)
        if self.include_places:
            if events is None:
                raise ParameterError("include_places=True needs the events table: fit(cases, events=events)")
            _require_columns(cases, ("case_id",), "cases")
            cases = cases.assign(**{PLACES_FIELD: _places_per_case(events, cases["case_id"])})
            fields = [*fields, PLACES_FIELD]
        if reset:
            encoder = _CaseEncoder.learn(cases, fields)
            self._encoder_ = encoder
            self.feature_names_out_ = encoder.feature_names
            if not encoder.fields:
                raise CaseDataError(
                    f"every clustering field ({', '.join(fields)}) is unknown in every case: "
                    "nothing to cluster on"
                )
        return cases, self._case_encoder().transform(cases)

    def _case_encoder(self) -> _CaseEncoder:
        """The case-table encoder that ``fit`` learnt; there is none when it was given a numeric array."""
        if self._encoder_ is None:
            raise ParameterError(
                "PatternClusters was fitted on a numeric array, not a case table: give it the same kind of X"
            )
        return self._encoder_

    @property
    def _method(self) -> str:
        """``method`` under its current name (a deprecated name maps to the one that replaced it)."""
        return _DEPRECATED_METHODS.get(self.method, self.method)

    def _default_min_cluster_size(self, n: int) -> int:
        return self.min_cluster_size if self.min_cluster_size is not None else max(15, round(0.01 * n))

    def _cluster(
        self,
        enc: _Encoded,
        rng: np.random.Generator,
        *,
        n_fit: int | None = None,
        n_clusters: int | None = None,
    ) -> _Clustering:
        """One clustering of ``enc``; ``n_fit`` (cases of the full fit) and ``n_clusters`` serve refits."""
        n = len(enc.n_known)
        method = self._method
        if method == "hdbscan":
            n_fit = n if n_fit is None else n_fit
            size = self._default_min_cluster_size(n_fit)
            if n != n_fit:  # a bootstrap refit on fewer cases keeps the same share of cases per cluster
                size = max(5, round(size * n / n_fit))
            return _Clustering(*_hdbscan_clusters(enc, size, int(rng.integers(2**31 - 1))))
        n_clusters = self.n_clusters if n_clusters is None else n_clusters
        if method == "latent_class":
            labels, model, posterior = _latent_class_clusters(enc, n_clusters, rng)
            return _Clustering(
                labels,
                _masked_centers(enc, labels, len(model.log_weights)),
                posterior,
                np.zeros(n, dtype=bool),
                model,
            )
        labels, centers = _drop_empty_clusters(*_choose_k_clusters(enc, method, n_clusters, rng))
        return _Clustering(labels, centers, (labels >= 0).astype(np.float64), np.zeros(n, dtype=bool))

    def _stability(self, enc: _Encoded, rng: np.random.Generator) -> np.ndarray:
        """Hennig's clusterboot: mean best Jaccard of each cluster with the clusters of bootstrap refits.

        k-based methods refit with the k found; HDBSCAN refits choose their own number of clusters.
        """
        n = len(enc.n_known)
        scores = np.zeros((self.n_bootstrap, self.n_clusters_))
        fixed_k = None if self._method == "hdbscan" else self.n_clusters_
        for b in range(self.n_bootstrap):
            draw = rng.choice(n, size=min(n, _BOOTSTRAP_SAMPLE), replace=True)
            refit = self._cluster(enc.take(draw), rng, n_fit=n, n_clusters=fixed_k).labels
            first = np.unique(draw, return_index=True)[1]  # each drawn case once
            scores[b] = _best_jaccard(self.labels_[draw[first]], refit[first], self.n_clusters_)
        return scores.mean(axis=0) if self.n_bootstrap else np.full(self.n_clusters_, np.nan)


class _InvalidParameter(ParameterError, InvalidParameterError):
    """A parameter outside its constraints: scikit-learn's error and this package's at once."""


@dataclass(frozen=True)
class _Clustering:
    """What one run of a method found (see the attributes of :class:`PatternClusters`)."""

    labels: np.ndarray
    centers: np.ndarray
    probabilities: np.ndarray
    noise: np.ndarray
    latent_classes: _LatentClasses | None = None


def _drop_empty_clusters(labels: np.ndarray, centers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Renumber clusters 0..k-1 without gaps (a k-means cluster can end up empty)."""
    used = np.unique(labels[labels >= 0])
    renumber = np.full(centers.shape[0], -1)
    renumber[used] = np.arange(len(used))
    return np.where(labels >= 0, renumber[np.maximum(labels, 0)], -1), centers[used]


def _seed(random_state: int | np.random.RandomState | None) -> int:
    from sklearn.utils import check_random_state

    return int(check_random_state(random_state).randint(2**31 - 1))


# --------------------------------------------------------------------------------------------------
# Explanations
# --------------------------------------------------------------------------------------------------


def trait_lift(
    df: pd.DataFrame, labels: Sequence[int] | np.ndarray | pd.Series, fields: Sequence[str]
) -> pd.DataFrame:
    """Over-representation of every trait (``field=code``) in every cluster, with a significance test.

    People are counted once (distinct ``case_id`` when the column is present). For cluster ``c``
    of ``n_cluster`` people among ``n_total``, a trait held by ``n_in`` of them and ``n_overall``
    overall: ``share_in = n_in / n_cluster``, ``share_overall = n_overall / n_total``,
    ``lift = share_in / share_overall``, ``p_value`` = one-sided hypergeometric P(X ≥ n_in) (Fisher's
    exact test for over-representation) and ``q_value`` its Benjamini–Hochberg adjustment across all
    cluster × trait tests. ``unknown`` and blanks are not traits. Label -1 marks cases in no cluster:
    they count in the totals only.

    Returns
    -------
    DataFrame
        One row per cluster × trait held by at least one member: ``cluster``, ``field``, ``value``,
        ``n_cluster``, ``n_in``, ``share_in``, ``n_overall``, ``share_overall``, ``lift``,
        ``p_value``, ``q_value``; sorted by cluster, then lift.
    """
    labels = np.asarray(labels)
    if len(labels) != len(df):
        raise ParameterError(f"labels has {len(labels)} values for {len(df)} cases")
    _require_columns(df, fields, "cases")
    frame = df[list(fields)].reset_index(drop=True).assign(_cluster=labels)
    if "case_id" in df.columns:
        frame = frame.assign(case_id=df["case_id"].to_numpy())
        overall = frame.drop_duplicates("case_id")
        frame = frame.drop_duplicates(["case_id", "_cluster"])
    else:
        overall = frame
    traits = _trait_indicators(frame, fields)
    overall_traits = _trait_indicators(overall, fields).reindex(columns=traits.columns, fill_value=0)
    clustered = frame["_cluster"].to_numpy() >= 0
    clusters, codes = np.unique(frame["_cluster"].to_numpy()[clustered], return_inverse=True)
    membership = sparse.csr_matrix(
        (np.ones(len(codes)), (codes, np.flatnonzero(clustered))), shape=(len(clusters), len(frame))
    )
    counts = np.asarray(membership @ traits.to_numpy(dtype=np.float64))
    n_cluster = np.asarray(membership.sum(axis=1)).ravel()
    n_total = len(overall)
    n_overall = overall_traits.to_numpy(dtype=np.float64).sum(axis=0)
    cluster_idx, trait_idx = np.nonzero(counts)
    n_in = counts[cluster_idx, trait_idx]
    size = n_cluster[cluster_idx]
    holders = n_overall[trait_idx]
    fields_of, values_of = (
        zip(*(c.split("=", 1) for c in traits.columns), strict=True) if len(traits.columns) else ((), ())
    )
    result = pd.DataFrame(
        {
            "cluster": clusters[cluster_idx].astype(np.int64),
            "field": np.asarray(fields_of, dtype=object)[trait_idx],
            "value": np.asarray(values_of, dtype=object)[trait_idx],
            "n_cluster": size.astype(np.int64),
            "n_in": n_in.astype(np.int64),
            "share_in": n_in / size,
            "n_overall": holders.astype(np.int64),
            "share_overall": holders / n_total,
        }
    )
    result["lift"] = result["share_in"] / result["share_overall"]
    result["p_value"] = stats.hypergeom.sf(n_in - 1, n_total, holders, size)
    result["q_value"] = stats.false_discovery_control(result["p_value"]) if len(result) else []
    return result.sort_values(["cluster", "lift"], ascending=[True, False], ignore_index=True)


def _trait_indicators(frame: pd.DataFrame, fields: Sequence[str]) -> pd.DataFrame:
    blocks = [_codes_of(frame[name], _kind(name)).add_prefix(f"{name}=") for name in fields]
    return pd.concat(blocks, axis=1).fillna(0).astype(np.uint8) if blocks else pd.DataFrame(index=frame.index)


@dataclass(frozen=True)
class ClusterProfiles:
    """What each cluster is: size, over-represented traits, a label in English and Spanish, stability.

    Attributes
    ----------
    table : DataFrame
        One row per cluster: ``cluster``, ``n_people`` (distinct), ``share`` of all people,
        ``stability``, ``finding`` (stable and labelled by traits its people hold), ``label_en``,
        ``label_es`` (:data:`MIXED_LABEL` when not a finding), ``label_traits`` (each trait of the
        label with the share of the cluster's people holding it, ``field=code: 82 %``),
        ``unknown_share`` (per labelled field, and per field a label could name that some of the
        cluster's people do not know, the share for whom it is unknown, ``age_group: 37 %``),
        ``mixed_because`` (why a cluster is not a finding, else empty), ``top_traits``
        (``field=code`` by lift) and ``top_places`` (gazetteer ids by distinct people, when events
        were given).
    traits : DataFrame
        Every cluster × trait test (see :func:`trait_lift`) with a boolean ``top``: lift > 1,
        q < 0.05 and share in the cluster ≥ 0.3 (the evidence an analyst reads) and a boolean
        ``labelled``: a top trait also held by at least the label share (see :data:`LABEL_MIN_SHARE`).
    places : DataFrame or None
        Per cluster and place: ``n_people`` who passed there, ``share_in``, ``share_overall``, ``lift``.
    unknowns : DataFrame or None
        Per cluster and clustering field: ``n_cluster``, ``n_unknown`` (people of the cluster for
        whom the field is unknown or blank) and ``unknown_share``.
    """

    table: pd.DataFrame
    traits: pd.DataFrame
    places: pd.DataFrame | None = None
    unknowns: pd.DataFrame | None = None

    def to_frame(self) -> pd.DataFrame:
        """The per-cluster table (a copy)."""
        return self.table.copy()

    def top_traits(self, cluster: int) -> pd.DataFrame:
        """The defining traits of one cluster, highest lift first."""
        rows = self.traits[(self.traits["cluster"] == cluster) & self.traits["top"]]
        return rows.reset_index(drop=True)

    def label(self, cluster: int, lang: str = "en") -> str:
        """The generated label of ``cluster`` in ``lang`` (``en`` or ``es``)."""
        row = self.table.set_index("cluster").loc[cluster]
        return in_language({"en": str(row["label_en"]), "es": str(row["label_es"])}, lang)

    def __len__(self) -> int:
        return len(self.table)

    def __repr__(self) -> str:
        return f"ClusterProfiles({len(self)} clusters)\n{self.table.to_string(index=False, max_colwidth=60)}"

    def _repr_html_(self) -> str:
        head = f"<p><b>ClusterProfiles</b>: {len(self)} clusters (reported cases, not prevalence)</p>"
        return head + self.table.to_html(
            index=False, escape=True, na_rep="", float_format=lambda v: f"{v:.2f}"
        )


def _profiles(
    cases: pd.DataFrame | None,
    labels: np.ndarray,
    n_clusters: int,
    stability: np.ndarray,
    *,
    fields: Sequence[str],
    events: pd.DataFrame | None,
    min_share: float = LABEL_MIN_SHARE,
    min_stability: float = MIN_STABILITY,
) -> ClusterProfiles:
    if cases is not None and "case_id" in cases.columns:
        people = pd.DataFrame({"case_id": cases["case_id"].to_numpy(), "cluster": labels})
        n_people = people.drop_duplicates().groupby("cluster")["case_id"].size()
        n_total = people["case_id"].nunique()
    else:
        n_people = pd.Series(labels).value_counts()
        n_total = len(labels)
    table = pd.DataFrame({"cluster": np.arange(n_clusters, dtype=np.int64)})
    table["n_people"] = table["cluster"].map(n_people).fillna(0).astype(np.int64)
    table["share"] = table["n_people"] / max(n_total, 1)
    table["stability"] = stability
    trait_fields = [f for f in fields if f != PLACES_FIELD]
    traits = (
        trait_lift(cases, labels, trait_fields)
        if cases is not None and trait_fields
        else pd.DataFrame(columns=["cluster", "field", "value", "lift", "q_value", "share_in"])
    )
    traits["top"] = (
        (traits["lift"] > 1) & (traits["q_value"] < _TOP_TRAIT_Q) & (traits["share_in"] >= _TOP_TRAIT_SHARE)
    )
    traits["labelled"] = traits["top"] & (traits["share_in"] >= min_share)
    places = (
        _place_concentration(events, cases["case_id"], labels)
        if (events is not None and cases is not None and "case_id" in cases.columns)
        else None
    )
    top = traits[traits["top"]]
    joined = (top["field"] + "=" + top["value"]).groupby(top["cluster"]).agg(";".join).to_dict()
    table["top_traits"] = [joined.get(c, "") for c in table["cluster"]]
    top_place: dict[int, tuple[str, str, float]] = {}
    if places is not None:
        typical = places[(places["lift"] > 1) & (places["share_in"] >= _TOP_TRAIT_SHARE)]
        by_cluster = typical.sort_values(["cluster", "lift"], ascending=[True, False]).groupby("cluster")
        table["top_places"] = (
            table["cluster"]
            .map(by_cluster["place_id"].agg(lambda ids: ";".join(ids.astype(str).head(3))))
            .astype(object)  # no typical place at all gives float NaN, which takes no text
            .fillna("")
        )
        first = by_cluster.first()
        top_place = {
            int(c): (str(pid), str(name), float(share))
            for c, pid, name, share in zip(
                first.index, first["place_id"], first["place"], first["share_in"], strict=True
            )
        }
    members = _members(cases, labels, trait_fields)
    unknowns = _unknown_shares(members, trait_fields) if members is not None else None
    labelled = traits[traits["labelled"]]
    rows = []
    for c in table["cluster"]:
        in_cluster = members[members["_cluster"] == c] if members is not None else pd.DataFrame()
        place = top_place.get(int(c))
        found = _label_of(
            labelled[labelled["cluster"] == c],
            in_cluster,
            place if place is not None and place[2] >= min_share else None,
            min_share,
        )
        rows.append(_cluster_label(found, in_cluster, float(stability[c]), min_share, min_stability))
    for column, values in zip(
        ("finding", "label_en", "label_es", "label_traits", "unknown_share", "mixed_because"),
        zip(*rows, strict=True) if rows else ((),) * 6,
        strict=True,
    ):
        table[column] = pd.Series(values, index=table.index, dtype=bool if column == "finding" else object)
    columns = [
        "cluster", "n_people", "share", "stability", "finding", "label_en", "label_es", "label_traits",
        "unknown_share", "mixed_because", "top_traits",
    ]
    return ClusterProfiles(
        table[[*columns, *(["top_places"] if places is not None else [])]],
        traits.reset_index(drop=True),
        places,
        unknowns,
    )


def _members(cases: pd.DataFrame | None, labels: np.ndarray, fields: Sequence[str]) -> pd.DataFrame | None:
    """The people of each cluster (once per cluster, by ``case_id`` when given) with their fields."""
    if cases is None:
        return None
    frame = cases[list(fields)].reset_index(drop=True).assign(_cluster=labels)
    if "case_id" in cases.columns:
        frame = frame.assign(case_id=cases["case_id"].to_numpy()).drop_duplicates(["case_id", "_cluster"])
    return frame[frame["_cluster"] >= 0]


def _known(values: pd.Series, name: str) -> np.ndarray:
    """True where a case holds a code of field ``name`` (``unknown`` and blanks are not known)."""
    return np.asarray(_codes_of(values, _kind(name)).to_numpy().any(axis=1), dtype=bool)


def _unknown_shares(members: pd.DataFrame, fields: Sequence[str]) -> pd.DataFrame:
    """Per cluster and field: people of the cluster, those for whom the field is unknown, and the share."""
    parts = []
    size = members.groupby("_cluster").size()
    for name in fields:
        unknown = pd.Series(~_known(members[name], name), index=members.index)
        n_unknown = unknown.groupby(members["_cluster"]).sum()
        parts.append(
            pd.DataFrame(
                {
                    "cluster": size.index.astype(np.int64),
                    "field": name,
                    "n_cluster": size.to_numpy(dtype=np.int64),
                    "n_unknown": n_unknown.reindex(size.index).to_numpy(dtype=np.int64),
                }
            )
        )
    if not parts:
        return pd.DataFrame(columns=["cluster", "field", "n_cluster", "n_unknown", "unknown_share"])
    result = pd.concat(parts, ignore_index=True)
    result["unknown_share"] = result["n_unknown"] / result["n_cluster"]
    return result.sort_values(["cluster", "field"], ignore_index=True)


@dataclass(frozen=True)
class _Label:
    """A cluster's label in English and Spanish and the evidence behind it: each trait named, its share."""

    en: str
    es: str
    evidence: tuple[tuple[str, float, tuple[str, ...]], ...]  # (trait, share of the cluster, fields)


# Fields a label may name (the describable ones): their unknown shares are reported.
_LABEL_FIELDS = ("recruitment_method", "exploitation_type", "sex", "age_group", "labour_sector")


def _percent(share: float) -> str:
    return f"{100 * share:.0f} %"


def _cluster_label(
    found: _Label | None, people: pd.DataFrame, stability: float, min_share: float, min_stability: float
) -> tuple[bool, str, str, str, str, str]:
    """``finding``, ``label_en``, ``label_es``, ``label_traits``, ``unknown_share``, ``mixed_because``."""
    stable = bool(np.isfinite(stability) and stability >= min_stability)
    n = len(people)
    shown: dict[str, float] = {}
    labelled_fields = [f for _, _, fields in (found.evidence if found else ()) for f in fields]
    for name in dict.fromkeys([*labelled_fields, *_LABEL_FIELDS, *_FLAGS]):
        if name not in people.columns or name == PLACES_FIELD or not n:
            continue
        unknown = float((~_known(people[name], name)).mean())
        if name in labelled_fields or unknown > 0:  # a field a label could name, partly unknown
            shown[name] = unknown
    unknown_text = "; ".join(f"{name}: {_percent(share)}" for name, share in shown.items())
    if not stable:
        why = (
            f"stability {stability:.2f} < {min_stability:g}"
            if np.isfinite(stability)
            else "stability not measured (n_bootstrap=0)"
        )
    elif found is None:
        why = f"no trait held by {_percent(min_share)} of its people"
    else:
        traits = "; ".join(f"{trait}: {_percent(share)}" for trait, share, _ in found.evidence)
        return True, found.en, found.es, traits, unknown_text, ""
    return False, MIXED_LABEL["en"], MIXED_LABEL["es"], "", unknown_text, why


# Flags a label names (after the people it is made of), in this order; their words are
# routes._i18n.PATTERN's "flag.FIELD".
_FLAGS = ("lgbtiq", "informal_sector", "double_affectation", "armed_actor_involved", "head_of_household",
          "disability")


def _who(
    labelled: pd.DataFrame, people: pd.DataFrame, min_share: float
) -> tuple[str, str, str, float] | None:
    """The people a cluster is made of, as a phrase both languages share the parts of.

    Returns ``(sex or "", stage or "", age groups ";"-joined or "", share)`` for the most specific
    group that at least ``min_share`` of the cluster's people belong to, all its parts at once: sex
    and the labelled age groups; else sex and child or adult age; else sex alone; else the age groups.
    """
    sexes = labelled.loc[labelled["field"] == "sex", "value"].head(1).tolist()
    ages = labelled.loc[labelled["field"] == "age_group", "value"].tolist()
    if not (sexes or ages) or not len(people):
        return None
    sex = sexes[0] if sexes else None
    is_sex = people["sex"].astype("string").eq(sex).fillna(False).to_numpy(bool) if sex else None
    age = people["age_group"].astype("string") if "age_group" in people.columns else None
    adult_groups = [a for a in schema.AGE_GROUP_BOUNDS if a not in schema.CHILD_AGE_GROUPS]
    options: list[tuple[str | None, list[str], bool]] = []  # (sex, age groups, span printed)
    if ages:
        options.append((sex, ages, True))
    if sex:
        options += [(sex, list(schema.CHILD_AGE_GROUPS), False), (sex, adult_groups, False), (sex, [], False)]
    for option_sex, groups, printed in options:
        held = np.ones(len(people), dtype=bool)
        if option_sex is not None and is_sex is not None:
            held &= is_sex
        if groups:
            if age is None:
                continue
            held &= age.isin(groups).fillna(False).to_numpy(bool)
        share = float(held.mean())
        if share >= min_share:
            stage = (
                "child" if groups and set(groups) <= set(schema.CHILD_AGE_GROUPS)
                else "adult" if groups and not set(groups) & set(schema.CHILD_AGE_GROUPS)
                else ""
            )
            return option_sex or "", stage, ";".join(groups if printed else ()), share
    return None


def _label_of(
    labelled: pd.DataFrame, people: pd.DataFrame, place: tuple[str, str, float] | None, min_share: float
) -> _Label | None:
    """A short label from the traits of a cluster held by ``min_share`` of its people (``labelled``).

    Recruitment → exploitation, people, flags, sector, place, as before; None when nothing qualifies.
    """
    evidence: list[tuple[str, float, tuple[str, ...]]] = []

    def values_of(name: str, limit: int, exclude: tuple[str, ...] = ("none",)) -> list[str]:
        rows = labelled[(labelled["field"] == name) & ~labelled["value"].isin(exclude)].head(limit)
        for value, share in zip(rows["value"], rows["share_in"], strict=True):
            evidence.append((f"{name}={value}", float(share), (name,)))
        return [str(v) for v in rows["value"]]

    def names(name: str, codes: list[str], lang: str) -> list[str]:
        vocabulary = schema.get_field("cases", name).vocabulary
        assert vocabulary is not None, f"{name} is a coded field"
        return [schema.label(vocabulary, v, lang) for v in codes]

    recruitment = values_of("recruitment_method", 1)
    exploitation = values_of("exploitation_type", 2, exclude=tuple(recruitment))
    who = _who(labelled, people, min_share)
    if who is not None:
        sex, stage, groups, share = who
        ages_held = groups.replace(";", "|") or {"child": "0-17", "adult": "18+", "": ""}[stage]
        parts = [f"sex={sex}"] * bool(sex) + [f"age_group={ages_held}"] * bool(ages_held)
        evidence.append((" & ".join(parts), share, tuple(p.split("=")[0] for p in parts)))
    yes = labelled[labelled["value"] == "yes"]
    flags = [name for name in _FLAGS if (yes["field"] == name).any()][:2]
    for name in flags:
        evidence.append((f"{name}=yes", float(yes.loc[yes["field"] == name, "share_in"].iloc[0]), (name,)))
    sectors = values_of("labour_sector", 2)
    if place is not None:
        evidence.append((f"{PLACES_FIELD}={place[0]}", place[2], (PLACES_FIELD,)))
    texts = {}
    for lang in LANGUAGES:
        how = [join(part, lang) for part in (names("recruitment_method", recruitment, lang),
                                             names("exploitation_type", exploitation, lang)) if part]
        pieces = [" → ".join(how)] if how else []
        if who is not None:
            sex, stage, groups, _ = who
            person = PATTERN.text(".".join(["who", *(part for part in (sex, stage) if part)]), lang)
            pieces.append(f"{person} {_age_span(groups.split(';') if groups else [])}".strip())
        pieces += [PATTERN.text(f"flag.{name}", lang) for name in flags]
        if sectors:
            pieces.append(join(names("labour_sector", sectors, lang), lang))
        if place is not None:
            pieces.append(place[1])
        if not pieces:
            return None
        text = ", ".join(pieces)
        texts[lang] = text[0].upper() + text[1:]
    return _Label(texts["en"], texts["es"], tuple(evidence))


def _place_concentration(events: pd.DataFrame, case_ids: pd.Series, labels: np.ndarray) -> pd.DataFrame:
    """Distinct people of each cluster per place they passed, with lift against all people."""
    _require_columns(events, ("case_id", "place_id"), "events")
    cluster_of = pd.Series(labels, index=case_ids.astype("string").to_numpy())
    cluster_of = cluster_of[~cluster_of.index.duplicated()]
    has_name = "place" in events.columns
    steps = events.loc[events["place_id"].notna(), ["case_id", "place_id", *(["place"] if has_name else [])]]
    steps = steps.assign(
        case_id=steps["case_id"].astype("string"), place_id=steps["place_id"].astype("string")
    )
    steps = steps[steps["case_id"].isin(cluster_of.index)].drop_duplicates(["case_id", "place_id"])
    steps = steps.assign(cluster=steps["case_id"].map(cluster_of).to_numpy())
    n_total = len(cluster_of)
    size = cluster_of.value_counts()
    overall = steps.groupby("place_id")["case_id"].nunique()
    names = (
        steps.groupby("place_id")["place"].agg(lambda s: s.mode().iloc[0])
        if has_name
        else overall.index.to_series()
    )
    per = (
        steps[steps["cluster"] >= 0]
        .groupby(["cluster", "place_id"])["case_id"]
        .nunique()
        .rename("n_people")
        .reset_index()
    )
    per["place"] = per["place_id"].map(names)
    # an empty frame's columns come back as text: the shares are numbers whatever the size
    per["n_people"] = per["n_people"].astype("int64")
    per["share_in"] = per["n_people"] / per["cluster"].map(size).astype(float)
    per["share_overall"] = per["place_id"].map(overall).astype(float) / max(n_total, 1)
    per["lift"] = per["share_in"] / per["share_overall"]
    return per.sort_values(["cluster", "n_people"], ascending=[True, False], ignore_index=True)


def _age_span(age_groups: Sequence[str]) -> str:
    """``["18-29", "30-38"]`` → ``"18–38"``; non-contiguous groups are listed."""
    bounds = sorted(schema.AGE_GROUP_BOUNDS[a] for a in age_groups if a in schema.AGE_GROUP_BOUNDS)
    if not bounds:
        return ""
    spans = [list(bounds[0])]
    for low, high in bounds[1:]:
        if low == spans[-1][1] + 1:
            spans[-1][1] = high
        else:
            spans.append([low, high])
    return ", ".join(f"{lo}+" if hi >= 130 else f"{lo}–{hi}" for lo, hi in spans)


# --------------------------------------------------------------------------------------------------
# Hotspots of incidents
# --------------------------------------------------------------------------------------------------


def _incidents(events: pd.DataFrame, risk: str | Iterable[str] | None) -> pd.DataFrame:
    """Incidents with a position: stage ``incident`` or any risk code; own point, else lat/lon."""
    _require_columns(events, ("case_id",), "events")
    stage = (
        events["stage"].astype("string") if "stage" in events.columns else pd.Series("", index=events.index)
    )
    risks = (
        events["risk"].astype("string").fillna("")
        if "risk" in events.columns
        else pd.Series("", index=events.index, dtype="string")
    )
    if "geometry" in events.columns and hasattr(events, "geometry"):
        geom = events.geometry
        valid = geom.notna() & ~geom.is_empty
        lon = np.where(valid, geom.x.where(valid), np.nan)
        lat = np.where(valid, geom.y.where(valid), np.nan)
    else:
        _require_columns(events, ("lat", "lon"), "events")
        lat, lon = events["lat"].to_numpy(dtype=float), events["lon"].to_numpy(dtype=float)
    chosen = (
        (stage.eq("incident").fillna(False) | risks.ne("")).to_numpy() & np.isfinite(lat) & np.isfinite(lon)
    )
    if risk is not None:
        wanted = sorted({risk} if isinstance(risk, str) else set(risk))
        sep = re.escape(schema.MULTI_SEPARATOR)
        any_code = f"(?:^|{sep})(?:{'|'.join(map(re.escape, wanted))})(?:{sep}|$)"
        chosen &= risks.str.contains(any_code, regex=True).to_numpy(dtype=bool) & bool(wanted)
    dates = (
        pd.to_datetime(events["date"], errors="coerce")
        if "date" in events.columns
        else pd.Series(pd.NaT, index=events.index)
    )
    return pd.DataFrame(
        {
            "case_id": events["case_id"].astype("string").to_numpy()[chosen],
            "lat": np.asarray(lat)[chosen],
            "lon": np.asarray(lon)[chosen],
            "date": dates.to_numpy()[chosen],
            "risk": risks.to_numpy()[chosen],
            **({"weight": events["weight"].to_numpy()[chosen]} if "weight" in events.columns else {}),
        }
    )


def _people_density_clusters(
    nodes_rad: np.ndarray,
    node_people: sparse.csr_matrix,
    *,
    eps: float,
    min_people: int,
    node_days: np.ndarray | None = None,
    window_days: float | None = None,
    weighted: bool = False,
) -> np.ndarray:
    """DBSCAN on unique positions whose core condition counts distinct people in the neighbourhood.

    A node is core when the people at nodes within ``eps`` (radians, haversine) — and within
    ``window_days`` when given — number at least ``min_people`` (``weighted``: ``node_people`` holds
    each node's people affected per record, and their sum within reach must reach ``min_people``).
    Clusters are the connected
    components of core nodes; a non-core node joins a neighbouring core's cluster; others are -1.

    Memory stays bounded by a chunk of neighbourhoods: a first pass finds the core nodes, a second
    walks the neighbourhoods of core nodes only (neighbourhoods are symmetric) and keeps, per chunk,
    a spanning forest of its core-to-core links (same components) and, per border node, its nearest
    core neighbour (plain DBSCAN takes whichever core reaches it first: the clusters' cores agree, a
    border incident between two clusters may join the other one).
    """
    n = len(nodes_rad)
    core = np.zeros(n, dtype=bool)
    tree = _UnitSphereTree(nodes_rad, eps)
    everyone = np.arange(n)
    for rows, (row, col, _) in tree.neighbourhoods(everyone, node_days, window_days):
        local = sparse.csr_matrix(
            (np.ones(len(row), dtype=np.float32), (row - rows[0], col)), shape=(len(rows), n)
        )
        reached = local @ node_people  # rows × people: who is within reach of each node
        if weighted:  # people affected by the incidents within reach
            core[rows] = np.asarray(reached.sum(axis=1)).ravel() >= min_people
        else:
            core[rows] = np.diff(reached.indptr) >= min_people
    labels = np.full(n, -1)
    if not core.any():
        return labels
    forest, border_core = [], np.full(n, -1)
    border_distance = np.full(n, np.inf)
    touched = np.zeros(n, dtype=bool)
    for _, (row, col, distance) in tree.neighbourhoods(np.flatnonzero(core), node_days, window_days):
        linked = core[col]
        _, component = sparse.csgraph.connected_components(
            sparse.coo_matrix((np.ones(linked.sum()), (row[linked], col[linked])), shape=(n, n)),
            directed=False,
        )
        touched[:] = False
        touched[row[linked]] = True
        touched[col[linked]] = True
        nodes = np.flatnonzero(touched)
        representative = np.full(component.max() + 1, -1)
        representative[component[nodes]] = nodes  # one node of the chunk stands for its component
        forest.append((nodes, representative[component[nodes]]))
        # a border node joins its nearest core neighbour (ties: the lowest node), whatever the order
        border, near, d = col[~linked], row[~linked], distance[~linked]
        order = np.lexsort((near, d, border))
        border, near, d = border[order], near[order], d[order]
        first = np.ones(len(border), dtype=bool)
        first[1:] = border[1:] != border[:-1]
        border, near, d = border[first], near[first], d[first]
        closer = (d < border_distance[border]) | (
            (d == border_distance[border]) & (near < border_core[border])
        )
        border_core[border[closer]] = near[closer]
        border_distance[border[closer]] = d[closer]
    row = np.concatenate([f[0] for f in forest])
    col = np.concatenate([f[1] for f in forest])
    _, components = sparse.csgraph.connected_components(
        sparse.coo_matrix((np.ones(len(row)), (row, col)), shape=(n, n)), directed=False
    )
    labels[core] = components[core]
    labels[border_core >= 0] = components[border_core[border_core >= 0]]
    _, labels[labels >= 0] = np.unique(labels[labels >= 0], return_inverse=True)
    return labels


class _UnitSphereTree:
    """Neighbours within an angle on the sphere, found as a chord in 3-D (a k-d tree, not haversine).

    Two points are within the great-circle angle ``eps`` exactly when their unit vectors are within
    the chord ``2 sin(eps / 2)``: the same neighbourhoods as a haversine ball tree, found by scipy's
    ``cKDTree`` in Euclidean space, several times faster.
    """

    def __init__(self, nodes_rad: np.ndarray, eps: float) -> None:
        from scipy.spatial import cKDTree

        lat, lon = nodes_rad[:, 0], nodes_rad[:, 1]
        self.xyz = np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])
        self.tree = cKDTree(self.xyz)
        self.chord = 2 * np.sin(eps / 2)

    def neighbourhoods(
        self,
        nodes: np.ndarray,
        node_days: np.ndarray | None,
        window_days: float | None,
        *,
        chunk: int = 20_000,
    ) -> Iterator[tuple[np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray]]]:
        """Chunks of ``nodes`` and their (node, neighbour, chord) triples, self included, in the window."""
        from scipy.spatial import cKDTree

        for start in range(0, len(nodes), chunk):
            rows = nodes[start : start + chunk]
            pairs = cKDTree(self.xyz[rows]).sparse_distance_matrix(
                self.tree, self.chord, output_type="ndarray"
            )
            row, col, chord = rows[pairs["i"]], pairs["j"].astype(np.int64), pairs["v"]
            if window_days is not None and node_days is not None:
                close = np.abs(node_days[row] - node_days[col]) <= window_days
                row, col, chord = row[close], col[close], chord[close]
            yield rows, (row, col, chord)


def hotspots(
    events: pd.DataFrame,
    *,
    radius_km: float = 10,
    min_people: int = 11,
    window_days: float | None = None,
    risk: str | Iterable[str] | None = None,
    patterns: pd.Series | None = None,
    buffer_m: float = 1_000,
    cases: pd.DataFrame | None = None,
    weight: str | None = None,
) -> gpd.GeoDataFrame:
    """Places where incidents of many distinct people concentrate, optionally in space and time.

    Incidents are events with stage ``incident`` or any risk code, at their own point (else their
    place's point). DBSCAN with the haversine metric (``eps = radius_km``) finds them, with the
    core condition counted in *distinct people*, so one person reporting 20 incidents does not
    make a hotspot. With ``window_days`` two incidents are neighbours only when they are also at
    most that many days apart (ST-DBSCAN); undated incidents are then left out.

    Parameters
    ----------
    events : (Geo)DataFrame
        The events table (``case_id``, ``stage``, ``risk``, ``date``, geometry or ``lat``/``lon``).
    radius_km : float, default 10
    min_people : int, default 11
        Distinct people within reach of a core incident (the publication threshold k by default).
    window_days : float, optional
    risk : str or list of str, optional
        Keep only incidents with one of these risk codes.
    patterns : Series, optional
        Pattern label per ``case_id`` (e.g. from ``PatternClusters.profiles_``) to report the
        dominant patterns of each hotspot.
    buffer_m : float, default 1000
        Buffer around the convex hull of each hotspot's incidents.
    cases : DataFrame, optional
        The cases table: only people whose ``consent_reporting`` is ``yes`` are clustered (also when
        ``events`` carries that column). Public maps refuse areas computed without it.
    weight : str, optional
        A column of people affected per incident (e.g. ``"weight"``: dead and missing of a public
        incident data set). Each incident then counts its own people affected instead of its record
        as one person, in the core condition and in ``n_people`` (``min_people`` people affected
        within reach); an incident split over rows under one id counts at each site what it records
        there, never the record's whole weight. Use it for data its source already published
        (:meth:`routes.privacy.DisclosurePolicy.public_source`); for case records one person is one.

    Returns
    -------
    GeoDataFrame (EPSG:4326)
        One row per hotspot, largest first: ``hotspot_id``, ``n_people``, ``n_incidents``,
        ``top_risks`` (``code:count`` by count, ``;``-joined), ``top_patterns`` (when given),
        ``first_month``, ``last_month`` (``YYYY-MM``), ``place_id`` and ``place`` (the curated town,
        crossing or hub, never a service point, nearest to the centroid when it lies within
        :data:`NAMED_WITHIN_KM`, else missing and empty: an unnamed area), ``distance_m`` to that
        nearest place, and the area polygon as geometry.
    """
    if radius_km <= 0 or min_people < 1:
        raise ParameterError(f"radius_km={radius_km!r} and min_people={min_people!r} must be positive")
    consenting = cases is not None or "consent_reporting" in events.columns
    if weight is not None and weight in events.columns and weight != "weight":
        events = events.assign(weight=events[weight])
    incidents = _incidents(_consenting(events, cases) if consenting else events, risk)
    if window_days is not None:
        incidents = incidents[incidents["date"].notna()].reset_index(drop=True)
    keys = ["lat", "lon"] + (["day"] if window_days is not None else [])
    incidents = incidents.assign(day=(incidents["date"] - pd.Timestamp(0)).dt.days)
    node_of = incidents.groupby(keys, sort=False).ngroup().to_numpy()
    nodes = incidents.groupby(keys, sort=False)[keys].first()
    person_codes, _ = pd.factorize(incidents["case_id"])
    node_people = sparse.csr_matrix(
        (np.ones(len(incidents)), (node_of, person_codes)),
        shape=(len(nodes), max(person_codes.max() + 1, 1) if len(incidents) else 1),
    )
    node_people.data[:] = 1.0
    per_incident = None
    if weight is not None:
        if weight not in events.columns:
            raise ParameterError(f"weight={weight!r}: the events have no such column")
        per_incident = pd.to_numeric(incidents["weight"], errors="coerce").fillna(1.0).to_numpy(dtype=float)
        node_people = sparse.csr_matrix((per_incident, (node_of, person_codes)), shape=node_people.shape)
    labels = (
        _people_density_clusters(
            np.radians(nodes[["lat", "lon"]].to_numpy()),
            node_people,
            eps=radius_km * 1000 / EARTH_RADIUS_M,
            min_people=min_people,
            weighted=per_incident is not None,
            node_days=nodes["day"].to_numpy() if window_days is not None else None,
            window_days=window_days,
        )
        if len(nodes)
        else np.empty(0, dtype=int)
    )
    incidents = incidents.assign(hotspot=labels[node_of] if len(nodes) else np.empty(0, dtype=int))
    members = incidents[incidents["hotspot"] >= 0]
    if per_incident is not None:  # each incident's own people affected, not its record's whole weight
        members = members.assign(_affected=per_incident[incidents["hotspot"].to_numpy() >= 0])
    table = _hotspot_table(members, patterns=patterns, buffer_m=buffer_m)
    table.attrs["consenting_only"] = consenting  # public maps draw only areas of people who consented
    return table


def _hotspot_table(members: pd.DataFrame, *, patterns: pd.Series | None, buffer_m: float) -> gpd.GeoDataFrame:
    import geopandas as gpd
    import shapely

    grouped = members.groupby("hotspot")
    people = (grouped["_affected"].sum().round().astype("int64") if "_affected" in members.columns
              else grouped["case_id"].nunique())
    table = pd.DataFrame({"n_people": people, "n_incidents": grouped.size()})
    table = table.sort_values(["n_people", "n_incidents"], ascending=False)
    table["top_risks"] = _top_codes(members["hotspot"], members["risk"], members["case_id"])
    if patterns is not None:
        pattern_of = members["case_id"].map(patterns.set_axis(patterns.index.astype("string")))
        table["top_patterns"] = _top_codes(
            members["hotspot"], pattern_of.astype("string").fillna(""), members["case_id"]
        )
    months = grouped["date"].agg(["min", "max"])
    table["first_month"] = months["min"].dt.strftime("%Y-%m").reindex(table.index)
    table["last_month"] = months["max"].dt.strftime("%Y-%m").reindex(table.index)
    order = pd.Series(np.arange(len(table)), index=table.index)
    points = members.drop_duplicates(["hotspot", "lat", "lon"])
    points = points.assign(rank=order.reindex(points["hotspot"]).to_numpy()).sort_values(
        "rank", kind="stable"
    )
    # shapely's stubs type its vectorised results as one geometry or an array: these are arrays
    incident_points = shapely.points(points["lon"].to_numpy(), points["lat"].to_numpy())
    assert isinstance(incident_points, np.ndarray)
    hulls = shapely.multipoints(incident_points, indices=points["rank"].to_numpy())
    assert isinstance(hulls, np.ndarray)
    areas = _buffered_hulls(gpd.GeoSeries(hulls, crs="EPSG:4326"), buffer_m)
    table = table.reset_index(drop=True)
    table.insert(0, "hotspot_id", np.arange(len(table), dtype=np.int64))
    centroids = shapely.centroid(hulls)
    place_id, place, distance = _nearest_places(shapely.get_x(centroids), shapely.get_y(centroids))
    near = distance <= NAMED_WITHIN_KM * 1000  # farther, a name would mislead: an unnamed area
    # None as a 0-d object array, what np.where makes of it (numpy's stubs take no bare None)
    table["place_id"] = pd.array(np.where(near, place_id, np.array(None, dtype=object)), dtype="string")
    table["place"] = pd.array(np.where(near, place, ""), dtype="string")
    table["distance_m"] = distance
    return gpd.GeoDataFrame(table, geometry=areas.to_numpy(), crs="EPSG:4326")


def _top_codes(group: pd.Series, codes: pd.Series, case_id: pd.Series, *, top: int = 3) -> pd.Series:
    """Per group, the ``top`` most frequent ``;``-codes by distinct people, as ``code:count;...``."""
    long = pd.DataFrame(
        {
            "group": group.to_numpy(),
            "case_id": case_id.to_numpy(),
            "code": codes.astype("string").fillna("").str.split(schema.MULTI_SEPARATOR).to_numpy(),
        }
    )
    long = long.explode("code")
    long = long[long["code"].fillna("").ne("")].drop_duplicates()
    counts = long.groupby(["group", "code"]).size().rename("n").reset_index()
    counts = (
        counts.sort_values(["group", "n", "code"], ascending=[True, False, True]).groupby("group").head(top)
    )
    text = counts["code"].astype(str) + ":" + counts["n"].astype(str)
    return text.groupby(counts["group"]).agg(";".join).reindex(group.unique()).fillna("")


def _buffered_hulls(hulls: gpd.GeoSeries, buffer_m: float) -> gpd.GeoSeries:
    """Convex hull of each multipoint buffered in metres, computed in its centroid's UTM zone."""
    import geopandas as gpd
    import shapely

    centroid = shapely.centroid(hulls.to_numpy())  # in degrees: only to pick each hull's UTM zone
    lon, lat = shapely.get_x(centroid), shapely.get_y(centroid)
    epsg = np.where(lat >= 0, 32600, 32700) + (np.floor((lon + 180) / 6).astype(int) % 60) + 1
    out = gpd.GeoSeries(np.full(len(hulls), None, dtype=object), crs="EPSG:4326", index=hulls.index)
    for code in np.unique(epsg):
        part = hulls[epsg == code].to_crs(epsg=int(code))
        out[epsg == code] = part.convex_hull.buffer(buffer_m).to_crs("EPSG:4326").to_numpy()
    return out


NAMED_WITHIN_KM = 25.0
"""A hotspot is named after the nearest gazetteer place only within this distance of its centre."""


def _nearest_places(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Id, name and geodesic distance in metres of the curated place nearest to each point that may
    name an area: a town, crossing or hub, never a service point (a shelter named as a hotspot of
    incidents would be misread, and would point at the people it serves)."""
    import pyproj

    from routes.places import CURATED_SOURCE, load_gazetteer

    places = load_gazetteer().places
    named = places[(places["source"] == CURATED_SOURCE) & (places["kind"] != "service_point")]
    n, m = len(lon), len(named)
    if not n or not m:
        return np.full(n, None, dtype=object), np.full(n, None, dtype=object), np.full(n, np.inf)
    # a few hundred places against the hotspots' centres: every pair, measured on the ellipsoid
    _, _, pairs = pyproj.Geod(ellps="WGS84").inv(
        np.repeat(lon, m), np.repeat(lat, m), np.tile(named["lon"].to_numpy(dtype=float), n),
        np.tile(named["lat"].to_numpy(dtype=float), n))
    distances = np.asarray(pairs, dtype=float).reshape(n, m)
    best = np.argmin(distances, axis=1)
    return (named.index.to_numpy(dtype=object)[best], named["name"].to_numpy(dtype=object)[best],
            distances[np.arange(n), best])


# --------------------------------------------------------------------------------------------------
# Hexagons with a significance test
# --------------------------------------------------------------------------------------------------


def hex_hotspots(
    events: pd.DataFrame,
    *,
    resolution: int = 6,
    publishable: bool = True,
    min_people: int = 11,
    risk: str | Iterable[str] | None = None,
    cases: pd.DataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Distinct people with incidents per H3 hexagon, each tested with the local Getis-Ord Gi*.

    The study area is every hexagon with an incident and its ring of neighbours (zeros count:
    they are where nothing was reported). Neighbours are ``grid_disk(cell, 1)`` including the cell
    itself with binary weights, so Gi* is a z-score of the local sum against the area's mean.

    Parameters
    ----------
    resolution : int, default 6
        H3 resolution; finer than 6 (≈36 km²) is refused when ``publishable`` (survivor locations).
    publishable : bool, default True
        Counts from 1 to ``min_people - 1`` are suppressed (shown as missing); Gi* uses all counts.
    min_people : int, default 11
    risk : str or list of str, optional
        Keep only incidents with one of these risk codes.
    cases : DataFrame, optional
        The cases table. Publishable hexagons count only people whose ``consent_reporting`` is
        ``yes`` (the public rule of ``docs/data-responsibility.md``), taken from here or from a
        ``consent_reporting`` column of ``events``; without either, publishable output is refused.

    Returns
    -------
    GeoDataFrame (EPSG:4326)
        ``h3_cell``, ``n_people`` (nullable), ``gi_z``, ``gi_p`` (pseudo p-value of 999
        conditional permutations), ``hotspot`` (``hot_99``, ``hot_95``, ``hot_90`` after a
        Benjamini-Hochberg correction over every hexagon, else ``not_significant``) and the
        hexagon polygon (see :func:`hexagon_gi_star`).
    """
    import h3

    if publishable and resolution > MAX_PUBLISHABLE_H3_RESOLUTION:
        raise PolicyError(
            f"H3 resolution {resolution} is finer than {MAX_PUBLISHABLE_H3_RESOLUTION} "
            "(about 36 km²), the finest allowed for publishable survivor locations; "
            "use resolution <= 6 or publishable=False for internal analysis"
        )
    if not 0 <= resolution <= 15:
        raise ParameterError(f"resolution={resolution!r}; expected an H3 resolution 0..15")
    incidents = _incidents(_consenting(events, cases) if publishable else events, risk)
    coords = incidents[["lat", "lon"]].drop_duplicates()
    cell_of_coord = pd.Series(
        [h3.latlng_to_cell(la, lo, resolution) for la, lo in coords.to_numpy()],
        index=pd.MultiIndex.from_frame(coords),
        dtype=object,
    )
    cells = cell_of_coord.reindex(pd.MultiIndex.from_frame(incidents[["lat", "lon"]])).to_numpy()
    people = pd.Series(incidents["case_id"].to_numpy()).groupby(cells).nunique()
    n_people = pd.array(people.to_numpy(dtype=np.int64), dtype="Int64")
    if publishable:  # Gi* from what is published only: suppressed hexagons count as empty
        n_people[(people.to_numpy() > 0) & (people.to_numpy() < min_people)] = pd.NA
    return hexagon_gi_star(pd.Series(n_people, index=people.index))


def hexagon_gi_star(
    counts: pd.Series, *, permutations: int = GI_PERMUTATIONS, seed: int = GI_SEED
) -> gpd.GeoDataFrame:
    """Local Getis-Ord Gi* of people per H3 hexagon (index: cells; missing counts read as 0), by esda.

    The study area is every hexagon of ``counts`` and its ring of neighbours; neighbours are
    ``grid_disk(cell, 1)`` with binary weights and the cell itself (``G_Local(star=True)``). Public
    products pass published counts here, so no z-score is computed from a count that was withheld.

    Inference is esda's conditional permutation test (``permutations`` draws, ``seed``), corrected
    for testing every hexagon at once by Benjamini-Hochberg's false discovery rate (``esda.fdr``):
    a hexagon is a hot spot at 90, 95 or 99 % when its pseudo p-value is at or under the FDR
    threshold of 0.10, 0.05 or 0.01 and its z is above 0 (no cold spots: see ``_gi_class``).

    Returns
    -------
    GeoDataFrame (EPSG:4326)
        ``h3_cell``, ``n_people`` (nullable, as given; 0 on the ring), ``gi_z`` (normal
        approximation), ``gi_p`` (pseudo p-value of the permutations, folded), ``hotspot`` (the
        FDR-corrected class) and the hexagon polygon.
    """
    import esda
    import geopandas as gpd
    import h3
    import libpysal
    import shapely

    given = pd.Series(pd.array(counts.to_numpy(), dtype="Int64"), index=counts.index.astype(str))
    area = pd.Index(sorted({n for c in given.index for n in h3.grid_disk(c, 1)}))
    n_people = pd.array(given.reindex(area, fill_value=0).array, dtype="Int64")
    counts_area = np.asarray(pd.Series(n_people).fillna(0), dtype=np.float64)
    rings = [[n for n in h3.grid_disk(c, 1) if n != c] for c in area]
    rows = np.repeat(np.arange(len(area)), [len(r) for r in rings])
    cols = area.get_indexer([n for r in rings for n in r])
    inside = cols >= 0  # ring cells outside the study area are not observed and carry no weight
    adjacency = sparse.csr_matrix((np.ones(inside.sum()), (rows[inside], cols[inside])),
                                  shape=(len(area),) * 2)
    boundaries = [shapely.Polygon([(lo, la) for la, lo in h3.cell_to_boundary(c)]) for c in area]
    z, p = np.zeros(len(area)), np.ones(len(area))
    if len(area) > 1 and counts_area.std() > 0:
        with warnings.catch_warnings():  # islands of hexagons are expected: the area is where people went
            warnings.simplefilter("ignore", UserWarning)
            warnings.simplefilter("ignore", RuntimeWarning)  # a ring of one value has no variance: z 0
            weights = libpysal.weights.WSP(adjacency).to_W(silence_warnings=True)
            gi = esda.G_Local(counts_area, weights, transform="B", permutations=permutations, star=True,
                              seed=seed, keep_simulations=False)
        z, p = np.nan_to_num(np.asarray(gi.Zs, dtype=float)), np.asarray(gi.p_sim, dtype=float)
    return gpd.GeoDataFrame(
        {
            "h3_cell": np.asarray(area, dtype=object),
            "n_people": n_people,
            "gi_z": z,
            "gi_p": p,
            "hotspot": _gi_class(z, p),
        },
        geometry=boundaries,
        crs="EPSG:4326",
    )


def _consenting(events: pd.DataFrame, cases: pd.DataFrame | None) -> pd.DataFrame:
    """The events of people who consented to reporting; refuses when consent is unknown."""
    if "consent_reporting" in events.columns:
        consent = events["consent_reporting"].astype(str)
    elif cases is not None and {"case_id", "consent_reporting"} <= set(cases.columns):
        by_case = pd.Series(cases["consent_reporting"].astype(str).to_numpy(),
                            index=cases["case_id"].to_numpy())
        consent = events["case_id"].map(by_case[~by_case.index.duplicated()])
    else:
        raise PolicyError("publishable hexagons count only people who consented to reporting: pass "
                          "cases= (with consent_reporting), or publishable=False for internal analysis")
    return events[consent.eq("yes").to_numpy()]


def _gi_class(z: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Hot at the strictest level whose Benjamini-Hochberg threshold the pseudo p-value meets.

    The false discovery rate is controlled over every hexagon's test. Only hot spots are classed:
    a cold spot would say fewer people reported incidents there than chance, which a meeting reads
    as safety and is not (absence of reports is not absence of risk), and on counts that are mostly
    zero the permutation test marks nearly every empty ring cold.
    """
    import esda

    level = np.full(len(p), "", dtype=object)
    for alpha, name in ((0.10, "90"), (0.05, "95"), (0.01, "99")):
        threshold = esda.fdr(p, alpha) if len(p) else 0.0
        level[p <= threshold] = name
    hot = (level != "") & (z > 0)
    return np.where(hot, np.char.add("hot_", level.astype(str)), "not_significant").astype(object)
