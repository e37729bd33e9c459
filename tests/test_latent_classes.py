"""The latent class model behind ``PatternClusters``' default: its EM against StepMix, its choice of k."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import logsumexp
from sklearn.metrics import adjusted_rand_score

from routes.patterns import (
    _CATEGORY,
    FEATURE_SETS,
    PatternClusters,
    _Encoded,
    _fit_latent_classes,
    _LatentClasses,
)
from routes.sample import generate_sample


def _encoded(cases: pd.DataFrame) -> _Encoded:
    """The cases as ``PatternClusters`` encodes them, without the cases that know nothing."""
    _, enc = PatternClusters()._encode(cases, None, reset=True)
    return enc.take(np.flatnonzero(enc.n_known > 0))


def _stepmix_input(enc: _Encoded) -> tuple[np.ndarray, dict[str, dict[str, object]]]:
    """The same cases for StepMix: one integer code per single-valued field and one 0/1 column per code
    of a multi-valued field, NaN where the field is unknown (StepMix's FIML leaves it out)."""
    category = enc.column_kind == _CATEGORY
    codes = []
    for field in np.unique(enc.column_field[category]):
        columns = np.flatnonzero(category & (enc.column_field == field))
        codes.append(np.where(enc.known[:, field], enc.values[:, columns].argmax(axis=1), np.nan))
    multi = enc.multi_columns
    present = np.where(enc.column_known[:, multi] > 0, enc.values[:, multi], np.nan)
    descriptor: dict[str, dict[str, object]] = {
        "categories": {"model": "categorical_nan", "n_columns": len(codes)},
        "codes": {"model": "binary_nan", "n_columns": present.shape[1]},
    }
    return np.column_stack([*codes, present]), descriptor


def test_our_latent_class_em_agrees_with_stepmix_on_the_same_encoded_cases() -> None:
    stepmix = pytest.importorskip("stepmix")
    enc = _encoded(generate_sample(seed=11, people=1_500).cases)
    X, descriptor = _stepmix_input(enc)
    reference = stepmix.StepMix(
        n_components=5, measurement=descriptor, n_init=3, random_state=0, progress_bar=0, verbose=0
    ).fit(X)
    model, log_likelihood = _fit_latent_classes(enc, 5, np.random.default_rng(0))

    ours = model.joint_log_likelihood(enc).argmax(axis=1)
    assert adjusted_rand_score(ours, reference.predict(X)) >= 0.95
    reference_log_likelihood = reference.score(X) * len(X)
    # ours is smoothed (additive 0.5 per cell), StepMix's the plain maximum: a little lower, never far
    assert abs(log_likelihood - reference_log_likelihood) <= 1e-3 * abs(reference_log_likelihood)
    # our likelihood, evaluated at StepMix's estimates (one unsmoothed M-step from its posterior), is its
    at_reference = _LatentClasses.from_responsibilities(enc, reference.predict_proba(X), smoothing=0.0)
    assert logsumexp(at_reference.joint_log_likelihood(enc), axis=1).sum() == pytest.approx(
        reference_log_likelihood, rel=1e-4
    )


@pytest.mark.parametrize(("people", "seed"), [(1_969, 13), (20_000, 12)])
def test_the_default_finds_the_five_planted_patterns_on_unseen_seeds_at_any_size(
    people: int, seed: int
) -> None:
    # seed 12 at 20,000 people: the BIC minimum alone chose 9 classes (ARI 0.66), silhouette k-means 0.56
    sample = generate_sample(seed=seed, people=people)
    model = PatternClusters(random_state=0, n_bootstrap=0).fit(sample.cases)
    assert model.method == "latent_class"
    assert model.n_clusters_ == len(set(sample.truth["pattern"]))
    assert adjusted_rand_score(sample.truth["pattern"], model.labels_) >= 0.8


def test_cases_without_any_pattern_make_one_latent_class() -> None:
    rng = np.random.default_rng(4)
    fields = {"recruitment_method": ["false_job_offer", "family", "online", "abduction"],
              "sex": ["female", "male"],
              "age_group": ["9-17", "18-29", "30-38", "39-47"]}
    assert set(fields) <= set(FEATURE_SETS["both"])
    cases = pd.DataFrame({name: rng.choice(codes, 3_000) for name, codes in fields.items()})
    model = PatternClusters(features=list(fields), random_state=0, n_bootstrap=0).fit(cases)
    assert model.n_clusters_ == 1
