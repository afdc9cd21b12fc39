"""Spike lifecycle: one opened per spike, updates while it grows, resolution, cool-down, persistence."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from monitor.spikes.detector import SpikeDetector
from monitor.spikes.settings import SpikeSettings
from tests.spikes.series import PER_DAY, counts, times

WARM = PER_DAY * 3  # buckets of flat history before each scenario


def feed(detector, stamps, values):
    events = []
    for at, value in zip(stamps, values, strict=True):
        events.extend(detector.observe(at, value))
    return events


def scenario(spike_values, *, settings=None, gap_after=None):
    """Flat 20/bucket history, then ``spike_values``, then flat again for a day."""
    values = counts([20.0] * WARM, seed=21) + list(spike_values) + counts([20.0] * PER_DAY, seed=22)
    detector = SpikeDetector(settings or SpikeSettings())
    return detector, feed(detector, times(len(values)), values)


def kinds(events):
    return [e.kind for e in events]


def test_one_spike_opens_once_updates_as_it_grows_and_resolves():
    growing = [60, 80, 130, 200, 320, 300, 250, 150, 80, 40]
    _, events = scenario(growing)
    assert kinds(events)[0] == "opened"
    assert kinds(events).count("opened") == 1
    assert kinds(events)[-1] == "resolved" and kinds(events).count("resolved") == 1
    updates = [e for e in events if e.kind == "updated"]
    assert updates, "a spike that grows 5x after opening must be updated"
    # Updates only when it grew by the configured factor over what was last reported.
    reported = events[0].count
    for update in updates:
        assert update.count >= SpikeSettings().update_growth * reported
        reported = update.count
    assert {e.spike_id for e in events} == {events[0].spike_id}
    assert events[-1].peak_count == 320


def test_flat_plateau_does_not_flood_updates():
    _, events = scenario([200] * 36)  # three hours at 10x, not growing
    assert kinds(events) == ["opened", "resolved"]


def test_resolution_waits_for_volume_to_return_to_baseline():
    settings = SpikeSettings()
    _, events = scenario([200] * 6)
    resolved = events[-1]
    opened = events[0]
    # 6 buckets of spike, then `resolve_after` of calm buckets.
    assert resolved.at - opened.at == 6 * settings.bucket + settings.resolve_after - settings.bucket


def test_reopening_within_cooldown_is_an_update_of_the_same_spike():
    settings = SpikeSettings(cooldown=timedelta(hours=3))
    calm = counts([20.0] * 12, seed=23)  # one calm hour: resolved (30 min) but inside the cool-down
    _, events = scenario([200] * 3 + calm + [220] * 3, settings=settings)
    assert kinds(events) == ["opened", "resolved", "updated", "resolved"]
    assert events[2].reopened
    assert len({e.spike_id for e in events}) == 1


def test_new_spike_after_cooldown_opens_a_new_one():
    settings = SpikeSettings(cooldown=timedelta(hours=1))
    calm = counts([20.0] * 36, seed=24)  # three calm hours
    _, events = scenario([200] * 3 + calm + [400] * 3, settings=settings)
    assert kinds(events) == ["opened", "resolved", "opened", "resolved"]
    assert events[0].spike_id != events[2].spike_id


def test_state_round_trips_and_continues_identically():
    values = [*counts([20.0] * WARM, seed=25), 200, 300, 400, *counts([20.0] * 24, seed=26)]
    stamps = times(len(values))
    split = WARM + 2  # in the middle of the spike
    whole = SpikeDetector()
    expected = feed(whole, stamps, values)
    first = SpikeDetector()
    before = feed(first, stamps[:split], values[:split])
    saved = first.to_json()
    restored = SpikeDetector.from_json(saved)
    assert restored.to_json() == saved
    after = feed(restored, stamps[split:], values[split:])
    assert before + after == expected


@pytest.mark.parametrize("text", ["", "{}", '{"version": 99}', "[1, 2]"])
def test_bad_saved_state_is_a_clear_error(text):
    with pytest.raises(ValueError, match="spike"):
        SpikeDetector.from_json(text)


def test_state_saved_before_the_level_window_deviation_existed_still_loads():
    values = counts([20.0] * WARM, seed=27)
    detector = SpikeDetector()
    feed(detector, times(len(values)), values)
    state = json.loads(detector.to_json())
    assert state["deviation"]["144"] > 0  # learned for the 12 h window
    del state["deviation"]
    restored = SpikeDetector.from_json(json.dumps(state))
    # Relearned from the saved dispersion, so the next bucket is judged the same way.
    at = times(len(values) + 1)[-1]
    assert restored.observe(at, 20) == []
    assert json.loads(restored.to_json())["deviation"]["144"] > 0


def test_same_size_wave_after_the_cooldown_is_a_new_spike():
    settings = SpikeSettings(cooldown=timedelta(hours=1))
    calm = counts([20.0] * 36, seed=24)  # three calm hours: past the cool-down
    _, events = scenario([200] * 3 + calm + [200] * 3, settings=settings)
    assert kinds(events) == ["opened", "resolved", "opened", "resolved"]
    assert events[0].spike_id != events[2].spike_id


def test_far_bigger_wave_within_the_cooldown_escalates_to_a_new_spike():
    settings = SpikeSettings(cooldown=timedelta(hours=24), escalation=1.5)
    calm = counts([20.0] * 12, seed=23)  # resolved, well inside the cool-down
    _, events = scenario([200] * 3 + calm + [320] * 3, settings=settings)  # 1.6x the peak
    assert kinds(events) == ["opened", "resolved", "opened", "resolved"]
    assert events[0].spike_id != events[2].spike_id
    assert not events[2].reopened


def test_confirm_two_ignores_a_lone_bucket_and_opens_one_bucket_later():
    settings = SpikeSettings(confirm=2)
    calm = counts([20.0] * 24, seed=28)
    _, lone = scenario([300, *calm, *calm], settings=settings)
    assert kinds(lone) == []
    _, events = scenario([300, 300, 300], settings=settings)
    assert kinds(events)[0] == "opened"
    assert events[0].at == times(WARM + 2)[-1]  # the second elevated bucket, not the first
