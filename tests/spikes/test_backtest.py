"""The backtest replays a CSV bucket by bucket and never looks ahead."""

from __future__ import annotations

import pytest

from monitor.spikes.backtest import BacktestInputError, backtest_command, run_backtest
from monitor.spikes.settings import SpikeSettings
from tests.spikes.series import PER_DAY, counts, times


def write_csv(path, values, fmt="%Y-%m-%d %H:%M:%S"):
    stamps = times(len(values))
    rows = "".join(f"{t.strftime(fmt)},{v}\n" for t, v in zip(stamps, values, strict=True))
    path.write_text("timestamp,value\n" + rows)
    return [t.strftime(fmt) for t in stamps]


def series_with_bursts():
    values = counts([20.0] * (PER_DAY * 8), seed=31)
    for start in (PER_DAY * 4 + 10, PER_DAY * 6 + 100):
        values[start : start + 3] = [200, 260, 150]
    return values


def test_alarms_are_the_input_timestamps_as_written(tmp_path):
    values = series_with_bursts()
    stamps = write_csv(tmp_path / "s.csv", values)
    alarms = run_backtest(tmp_path / "s.csv", SpikeSettings())
    assert alarms == [stamps[PER_DAY * 4 + 10], stamps[PER_DAY * 6 + 100]]
    assert backtest_command(str(tmp_path / "s.csv"), SpikeSettings()) == {"alarms": alarms}


def test_result_on_a_prefix_is_the_prefix_of_the_result(tmp_path):
    values = series_with_bursts()
    write_csv(tmp_path / "all.csv", values)
    full = run_backtest(tmp_path / "all.csv")
    for cut in (PER_DAY * 4 + 11, PER_DAY * 6 + 101):
        write_csv(tmp_path / "part.csv", values[:cut])
        part = run_backtest(tmp_path / "part.csv")
        assert part == [a for a in full if a <= times(cut)[-1].strftime("%Y-%m-%d %H:%M:%S")]
        assert part, "the prefix ends just after a burst, which must already be alarmed"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("time,count\n", "header"),
        ("timestamp,value\nyesterday,3\n", "line 2: bad timestamp"),
        ("timestamp,value\n2026-01-01 00:00:00,many\n", "line 2: bad value"),
        ("timestamp,value\n2026-01-01 00:00:00,-4\n", "line 2: value must be"),
        ("timestamp,value\n2026-01-01 00:05:00,1\n2026-01-01 00:00:00,1\n", "oldest first"),
    ],
)
def test_bad_csv_is_a_clear_error(tmp_path, text, message):
    (tmp_path / "bad.csv").write_text(text)
    with pytest.raises(BacktestInputError, match=message):
        run_backtest(tmp_path / "bad.csv")
