"""Tail probabilities against direct summation of the probability mass."""

from __future__ import annotations

import math

import pytest

from monitor.spikes.stats import nb_sf, poisson_sf


def nb_pmf(k, mean, alpha):
    r = 1 / alpha
    p = r / (r + mean)
    return math.exp(math.lgamma(k + r) - math.lgamma(r) - math.lgamma(k + 1) + r * math.log(p) + k * math.log1p(-p))


@pytest.mark.parametrize(("k", "mean"), [(1, 0.1), (5, 0.5), (12, 3.0), (40, 20.0), (3300, 3000.0)])
def test_poisson_tail(k, mean):
    direct = sum(math.exp(-mean + i * math.log(mean) - math.lgamma(i + 1)) for i in range(k, k + 2000))
    assert poisson_sf(k, mean) == pytest.approx(direct, rel=1e-6, abs=1e-12)


@pytest.mark.parametrize(("k", "mean", "alpha"), [(1, 0.2, 0.5), (8, 2.0, 0.3), (60, 20.0, 0.1), (900, 500.0, 0.05)])
def test_negative_binomial_tail(k, mean, alpha):
    direct = sum(nb_pmf(i, mean, alpha) for i in range(k, k + 20000))
    assert nb_sf(k, mean, alpha) == pytest.approx(direct, rel=1e-6, abs=1e-12)


def test_edges():
    assert nb_sf(0, 5.0, 0.1) == 1.0
    assert nb_sf(3, 0.0, 0.1) == 0.0
    assert nb_sf(10, 5.0, 0.0) == pytest.approx(poisson_sf(10, 5.0))
    assert nb_sf(200, 5.0, 0.1) < 1e-15
