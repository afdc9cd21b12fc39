"""Explainable silence: every spike check says what it saw and why it did or did not fire (log, /metrics, CLI)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from prometheus_client import generate_latest

from monitor import cli
from monitor.ops import healthcheck
from monitor.ops.metrics import Metrics
from tests.conftest import Clock
from tests.spikes.test_late_posts import BURST, make_watch, quiet_days

START = datetime(2026, 11, 16, 0, 0, tzinfo=UTC)


def checked_burst(engine):
    """Two quiet days and a burst, checked bucket by bucket; returns (clock, burst start)."""
    clock = Clock(START)
    feed = quiet_days(engine, clock)
    watch = make_watch(engine, clock)
    watch.check()
    burst = clock.now
    for n in (12, 25):
        feed.bucket(clock.now, n, text=BURST)
        clock.advance(minutes=5)
        watch.check()
    return clock, burst


def write_config(tmp_path, db_url: str):
    path = tmp_path / "config.toml"
    path.write_text(
        f'[storage]\nurl = "{db_url}"\n[slack]\nconsole = true\n'
        '[[brands]]\nname = "Acme"\nterms = ["acme"]\n[[brands]]\nname = "Other"\nterms = ["other"]\n',
        encoding="utf-8",
    )
    return path


def test_each_check_logs_what_it_saw_at_debug(engine, caplog) -> None:
    with caplog.at_level(logging.DEBUG, logger="monitor.spikes.watch"):
        checked_burst(engine)
    lines = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG]
    assert lines and all("observed" in line and "expected" in line and "threshold" in line for line in lines)
    assert any("deciding window" in line and "opened" in line for line in lines)


def test_spikes_explain_says_why_it_fired_or_not(engine, db_url, tmp_path, capsys) -> None:
    clock, burst = checked_burst(engine)
    config = str(write_config(tmp_path, db_url))

    assert cli.main(["spikes", "explain", "--brand", "Acme", "--config", config], clock=clock) == 0
    latest = capsys.readouterr().out
    assert "Acme / negative mentions:" in latest and "2.0 days of history learned" in latest
    assert f"bucket {burst + timedelta(minutes=5):%Y-%m-%d %H:%M} UTC: observed 25" in latest
    assert "a spike is open since" in latest

    at = (burst + timedelta(minutes=2)).isoformat()
    assert cli.main(["spikes", "explain", "--brand", "Acme", "--at", at, "--config", config], clock=clock) == 0
    fired = capsys.readouterr().out
    assert f"=> fired: opened at {burst:%Y-%m-%d %H:%M}" in fired and "p=" in fired and "threshold 1e-05" in fired

    quiet = (burst - timedelta(hours=3)).isoformat()
    assert cli.main(["spikes", "explain", "--brand", "Acme", "--at", quiet, "--config", config], clock=clock) == 0
    silent = capsys.readouterr().out
    assert "=> did not fire" in silent and ("below the floors" in silent or "not significant" in silent)

    assert cli.main(["spikes", "explain", "--brand", "Other", "--config", config], clock=clock) == 0
    assert "not checked yet" in capsys.readouterr().out
    assert cli.main(["spikes", "explain", "--brand", "Nobody", "--config", config], clock=clock) == 2
    assert "configured brands: Acme, Other" in capsys.readouterr().out


def test_metrics_and_healthz_show_each_detectors_check_and_warm_up(engine) -> None:
    clock, _ = checked_burst(engine)
    metrics = Metrics()
    metrics.watch_database(engine, clock)
    text = generate_latest(metrics.registry).decode()
    assert 'brand_monitor_spike_check_observed{brand="Acme",metric="negative"} 25.0' in text
    assert 'brand_monitor_spike_check_threshold{brand="Acme",metric="negative"} 1e-05' in text
    assert 'brand_monitor_spike_check_p_value{brand="Acme",metric="negative"}' in text
    assert 'brand_monitor_spike_alerting{brand="Acme",metric="negative"} 1.0' in text

    inputs = healthcheck.HealthInputs(
        engine=engine,
        clock=clock,
        scheduler_alive=lambda: True,
        intervals={"x": timedelta(minutes=5)},
        stale_after_intervals=3,
        instance="test",
        polls=[("x", "Acme"), ("x", "Newbrand")],
    )
    _, body = healthcheck.check(inputs)
    by_brand = {entry["brand"]: entry for entry in body["spikes"]}
    assert by_brand["Acme"]["status"] == "alerting" and by_brand["Acme"]["history_days"] >= 2
    assert by_brand["Acme"]["full_sensitivity_from"] == (START + timedelta(days=1)).isoformat()
    assert by_brand["Newbrand"]["status"] == "learning" and by_brand["Newbrand"]["history_from"] is None
