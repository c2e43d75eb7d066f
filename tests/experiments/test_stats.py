"""The statistics against hand-computed cases: exact tests, tiny bootstraps, seeded repeatability."""

from __future__ import annotations

import random

import numpy as np
import pytest

from chaintracer.experiments import stats


@pytest.mark.parametrize(
    ("wins", "losses", "p_value"),
    [
        (5, 0, 2 / 32),  # 2 * P(X = 0), X ~ Bin(5, 1/2)
        (0, 5, 2 / 32),
        (9, 1, 2 * (1 + 10) / 1024),  # 2 * P(X <= 1), X ~ Bin(10, 1/2)
        (8, 2, 2 * (1 + 10 + 45) / 1024),
        (3, 3, 1.0),  # 2 * P(X <= 3) > 1: capped
        (0, 0, 1.0),
    ],
)
def test_sign_test_is_exact(wins, losses, p_value):
    """The sign test's two-sided p-value is the exact binomial tail, doubled."""
    assert stats.sign_test_p_value(wins, losses) == pytest.approx(p_value, abs=1e-15)


@pytest.mark.parametrize(
    ("differences", "p_value"),
    [
        # Sign patterns of (1, 2, 3): |sums| 6, 6, 4, 4, 2, 2, 0, 0; two reach 6.
        ([1, 2, 3], 2 / 8),
        # Zeros (ties) carry no sign: (3, 0, 1, 2) is (3, 1, 2).
        ([3, 0, 1, 2], 2 / 8),
        # (2, -1): |sums| 1, 1, 3, 3: all reach the observed 1.
        ([2, -1], 1.0),
        # (1, 1, 1, 1, 1): only all-plus and all-minus reach 5.
        ([1, 1, 1, 1, 1], 2 / 32),
        ([0.0, 0.0], 1.0),
        # (0.5, 0.25, 0.25): |sums| 1, 1, 0.5, 0.5, 0.5, 0.5, 0, 0 -> 2 of 8.
        ([0.5, 0.25, 0.25], 2 / 8),
    ],
)
def test_permutation_test_is_exact_on_small_samples(differences, p_value):
    """With few differences every sign pattern is enumerated: p is the hand-counted share."""
    assert stats.permutation_p_value(differences) == pytest.approx(p_value, abs=1e-15)


def test_permutation_test_on_binary_scores_is_the_sign_test():
    """For 0/1 scores (differences of -1, 0, +1) the permutation p-value equals the exact sign test."""
    rng = random.Random(1)
    for _ in range(30):
        differences = [rng.choice((-1, 0, 1)) for _ in range(rng.randint(1, 14))]
        wins, losses = differences.count(1), differences.count(-1)
        assert stats.permutation_p_value(differences) == pytest.approx(stats.sign_test_p_value(wins, losses))


def test_large_samples_use_seeded_random_sign_patterns():
    """Past the exact limit the p-value is a seeded Monte Carlo estimate with the +1 correction."""
    differences = list(range(1, 31))  # all positive: the true p-value is 2 / 2**30
    assert stats.permutation_p_value(differences) == 1 / (stats.PERMUTATIONS + 1)
    noisy = [(-1) ** i * (i % 7) + 0.5 for i in range(40)]
    first = stats.permutation_p_value(noisy)
    assert first == stats.permutation_p_value(noisy)  # same data, same number
    assert 0 < first <= 1


def test_bootstrap_of_a_tiny_sample_matches_its_exact_distribution():
    """Resample means of (0, 0, 0, 1) follow Bin(4, 1/4) / 4: 2.5 % and 97.5 % quantiles are 0 and 0.75."""
    assert stats.bootstrap_ci([0, 0, 0, 1]) == (0.0, 0.75)
    assert stats.bootstrap_ci([0, 1]) == (0.0, 1.0)
    means = stats.bootstrap_means([0, 1])
    # P(mean = 1/2) = 1/2 exactly; 2,000 resamples land within a few standard errors (0.011).
    assert abs(means.count(0.5) / len(means) - 0.5) < 0.05


def test_constant_scores_have_a_zero_width_interval():
    """All examples scoring the same give an interval of exactly that value."""
    assert stats.bootstrap_ci([0.7] * 5) == (0.7, 0.7)
    assert stats.describe([1.0, 1.0]) == {"mean": 1.0, "ci_low": 1.0, "ci_high": 1.0, "n": 2}
    assert stats.describe([]) == {"mean": None, "ci_low": None, "ci_high": None, "n": 0}


def test_bootstrap_is_seeded_and_brackets_the_mean():
    """The same scores give the same interval every time; it contains the mean."""
    rng = random.Random(3)
    values = [rng.random() for _ in range(50)]
    low, high = stats.bootstrap_ci(values)
    assert (low, high) == stats.bootstrap_ci(list(values))
    assert low < stats.mean(values) < high


def test_quantile_interpolates_like_numpy():
    """The percentile method's quantiles equal numpy's default (linear) quantiles."""
    rng = random.Random(5)
    for size in (1, 2, 7, 100):
        ordered = sorted(rng.random() for _ in range(size))
        for q in (0.0, 0.025, 0.5, 0.975, 1.0):
            assert stats.quantile(ordered, q) == pytest.approx(float(np.quantile(ordered, q)), abs=1e-12)


def test_paired_comparison_by_hand():
    """Five examples all improving by one: delta 1, interval [1, 1], p = 2/32, five wins."""
    baseline = {key: 0.0 for key in "abcde"}
    candidate = {key: 1.0 for key in "abcde"}
    assert stats.compare_paired(baseline, candidate) == {
        "delta": 1.0,
        "ci_low": 1.0,
        "ci_high": 1.0,
        "p_value": 2 / 32,
        "wins": 5,
        "losses": 0,
        "ties": 0,
    }


def test_paired_comparison_uses_only_shared_examples():
    """Examples scored on one side only are left out of the pairing."""
    result = stats.compare_paired({"a": 0.0, "b": 1.0, "c": 0.5}, {"a": 1.0, "b": 1.0, "z": 0.0})
    assert (result["delta"], result["wins"], result["losses"], result["ties"]) == (0.5, 1, 0, 1)
    assert stats.compare_paired({"a": 1.0}, {"b": 1.0})["delta"] is None
