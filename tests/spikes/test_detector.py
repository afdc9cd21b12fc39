"""The detector on synthetic series: alarms where a human would want one, none elsewhere."""

from __future__ import annotations

import math
import random
from datetime import timedelta

import pytest

from monitor.spikes.detector import SpikeDetector
from monitor.spikes.settings import SpikeSettings
from tests.spikes.series import PER_DAY, counts, daily, times, weekly


def run(values, stamps=None, settings=None):
    detector = SpikeDetector(settings or SpikeSettings())
    events = []
    for at, value in zip(stamps or times(len(values)), values, strict=True):
        events.extend(detector.observe(at, value))
    return detector, events


def opened(events):
    return [e for e in events if e.kind == "opened"]


def bucket_index(event):
    return round((event.at - times(1)[0]) / timedelta(minutes=5))


def test_flat_series_raises_nothing():
    values = counts([40.0] * (PER_DAY * 10))
    _, events = run(values)
    assert opened(events) == []


def test_daily_rhythm_alone_raises_nothing():
    stamps = times(PER_DAY * 14)
    _, events = run(counts([30 * daily(t) for t in stamps], seed=1), stamps)
    assert opened(events) == []


def test_weekly_rhythm_alone_raises_nothing():
    stamps = times(PER_DAY * 28)
    _, events = run(counts([30 * daily(t) * weekly(t) for t in stamps], seed=2), stamps)
    assert opened(events) == []


def test_slow_trend_raises_nothing():
    n = PER_DAY * 14
    _, events = run(counts([20 * (1 + 2 * i / n) for i in range(n)], seed=3))  # triples over two weeks
    assert opened(events) == []


def test_viral_burst_on_a_rhythmic_series_alarms_at_its_first_bucket():
    stamps = times(PER_DAY * 14)
    means = [30 * daily(t) * weekly(t) for t in stamps]
    burst = PER_DAY * 10 + 150  # a weekday afternoon
    for k, factor in enumerate([4, 8, 12, 8, 5, 3, 2]):
        means[burst + k] *= factor
    _, events = run(counts(means, seed=4), stamps)
    assert [bucket_index(e) for e in opened(events)] == [burst]


def test_burst_at_night_is_judged_against_the_night_not_the_day():
    stamps = times(PER_DAY * 14)
    means = [30 * daily(t) for t in stamps]
    night = PER_DAY * 10 + 36  # 03:00, when the rhythm is at its lowest
    assert means[night] < 15
    for k in range(3):
        means[night + k] = 45  # busy for the afternoon, 5x normal for 3 a.m.
    _, events = run(counts(means, seed=5), stamps)
    assert [bucket_index(e) for e in opened(events)] == [night]


def test_slow_building_crisis_alarms_while_it_is_still_growing():
    stamps = times(PER_DAY * 10)
    means = [30 * daily(t) for t in stamps]
    start = PER_DAY * 8 + 120
    for k in range(48):  # four hours, climbing 4% a bucket to about 6x
        means[start + k] *= 1.04**k
    _, events = run(counts(means, seed=6), stamps)
    first = opened(events)
    assert len(first) == 1
    # Fired before the peak: at least an hour earlier than the end of the climb.
    assert start < bucket_index(first[0]) < start + 48 - 12


def wandering_days(seed: int, shift: float):
    """Three weeks of a daily rhythm whose level wanders 25% a day; a day-long shift from day 18, 08:00."""
    stamps = times(PER_DAY * 21)
    rng = random.Random(seed)
    level = [math.exp(rng.gauss(0, 0.25)) for _ in range(21)]
    means = [20 * daily(t) * level[i // PER_DAY] for i, t in enumerate(stamps)]
    start = PER_DAY * 18 + 96
    for k in range(PER_DAY):
        means[start + k] *= shift
    return stamps, counts(means, seed=seed), start


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2])
def test_sustained_level_shift_is_found_by_the_12_hour_window(seed):
    # No single hour stands out against a level that wanders this much; 2.5x for most of a day does.
    stamps, values, start = wandering_days(seed, shift=2.5)
    _, events = run(values, stamps)
    first = opened(events)
    assert len(first) == 1
    assert first[0].window == 144
    assert start < bucket_index(first[0]) < start + 144
    # The same series without the shift: the wander alone raises nothing.
    stamps, values, _ = wandering_days(seed, shift=1.0)
    _, events = run(values, stamps)
    assert opened(events) == []


@pytest.mark.parametrize("rate_per_day", [3.0, 30.0])
def test_sparse_counts_alarm_on_a_real_burst_only(rate_per_day):
    per_bucket = rate_per_day / PER_DAY
    n = PER_DAY * 20
    means = [per_bucket] * n
    burst = PER_DAY * 15 + 100
    means[burst] = means[burst + 1] = 12.0
    _, events = run(counts(means, seed=8), settings=SpikeSettings())
    assert [bucket_index(e) for e in opened(events)] == [burst]


def test_quiet_brand_below_the_volume_floor_is_not_paged():
    n = PER_DAY * 10
    means = [0.01] * n
    values = counts(means, seed=9)
    values[PER_DAY * 8] = 3  # wildly unlikely, but three mentions are below the floor of five
    _, events = run(values)
    assert opened(events) == []


def test_large_brand_with_thousands_per_bucket():
    stamps = times(PER_DAY * 10)
    means = [3000 * daily(t) for t in stamps]
    spike = PER_DAY * 8 + 150
    means[spike] *= 1.6
    means[spike + 1] *= 2.0
    _, events = run(counts(means, seed=10), stamps)
    assert [bucket_index(e) for e in opened(events)] == [spike]


def test_past_spike_does_not_poison_the_baseline():
    stamps = times(PER_DAY * 12)
    means = [40.0] * len(stamps)
    first = PER_DAY * 5
    for k in range(36):  # a three-hour spike at 10x
        means[first + k] = 400.0
    detector, events = run(counts(means, seed=11), stamps)
    assert [bucket_index(e) for e in opened(events)] == [first]
    assert 30 < detector.expected(stamps[-1] + timedelta(minutes=5)) < 55


def test_cold_start_is_quiet_then_conservative():
    # Day one: a noisy start with an early 3x bump must not page; a huge burst still does.
    values = counts([20.0] * PER_DAY, seed=12)
    values[5] = 60
    values[200] = 400
    _, events = run(values)
    assert [bucket_index(e) for e in opened(events)] == [200]


def test_negative_share_uses_exposure():
    detector = SpikeDetector()
    stamps = times(PER_DAY * 5 + 170)  # ends on an afternoon
    totals = counts([100 * daily(t) for t in stamps], seed=13)
    negatives = counts([0.1 * n for n in totals], seed=14)
    events = []
    for at, neg, total in zip(stamps[:-1], negatives[:-1], totals[:-1], strict=True):
        events.extend(detector.observe(at, neg, exposure=total))
    assert opened(events) == []  # volume rhythm alone: the share is flat
    # Same total, but half of it negative.
    last = detector.observe(stamps[-1], totals[-1] // 2, exposure=totals[-1])
    assert [e.kind for e in last] == ["opened"]


def test_rejects_bad_input():
    detector = SpikeDetector()
    at = times(1)[0]
    detector.observe(at, 1)
    with pytest.raises(ValueError, match="not after"):
        detector.observe(at, 1)
    with pytest.raises(ValueError, match="timezone"):
        detector.observe(at.replace(tzinfo=None) + timedelta(hours=1), 1)
    with pytest.raises(ValueError, match=">= 0"):
        detector.observe(at + timedelta(hours=1), -1)
