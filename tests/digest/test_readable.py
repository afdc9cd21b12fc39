"""Issue 17: the digest reads like a report a PR lead would forward, from the first day on."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image

from monitor.digest.chart import render_chart
from monitor.digest.command import run_digest
from monitor.digest.model import BrandDay, BrandDigest, Digest, HourRow, ReplyStats, Series, Volume
from monitor.digest.render import as_text, render
from tests.conftest import Clock
from tests.digest import scenario
from tests.digest.scenario import DAY, NOW
from tests.digest.test_command import main, seeded, write_config
from tests.digest.test_delivery import make_app
from tests.support.fake_slack import FakeSlack, Fault


def _digest(volume: Volume, *, staffing: tuple[HourRow, ...] = (), series: tuple[Series, ...] = ()) -> Digest:
    day = date(2026, 11, 20)
    brand = BrandDigest(
        "Acme",
        today=BrandDay(day, volume, (), ReplyStats()),
        week_ago=BrandDay(day - timedelta(days=7), Volume(), (), ReplyStats()),
    )
    built = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
    return Digest(day, "Europe/Warsaw", built, (brand,), staffing, series)


def test_negative_share_is_shown_only_when_something_was_classified() -> None:
    nothing = as_text(render(_digest(Volume(total=56, classified=0, by_platform=(("hn", 3, 0), ("x", 53, 0))))))
    assert "sentiment: *not classified yet*" in nothing
    assert "0.0%" not in nothing and "n/a" not in nothing
    assert "Hacker News 3" in nothing and "hn 3" not in nothing
    # Day one: nothing a week before, so no "new" against zero on every line.
    assert "*56 mentions* (none the same day last week)" in nothing and "(new)" not in nothing
    some = as_text(render(_digest(Volume(total=10, classified=8, negative=2))))
    assert "*25.0% negative* (2 of 8 classified; nothing classified last week to compare)" in some
    assert "2 not classified yet." in some


def test_the_staffing_table_shows_only_the_hours_that_had_posts() -> None:
    rows = tuple(HourRow(h, 5 if h in (9, 14) else 0, 1 if h == 9 else 0, 0) for h in range(24))
    text = as_text(render(_digest(Volume(total=10), staffing=rows)))
    table = [line for line in text.splitlines() if line[:2].isdigit() and "-" in line[:5]]
    assert [line[:5] for line in table] == ["09-10", "14-15"]
    assert "The other 22 hours had no mentions." in text


def test_a_dry_run_without_a_date_shows_today_so_far_when_yesterday_is_empty(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, seeded(tmp_path))
    clock = Clock(NOW + timedelta(days=2))  # yesterday (31 Mar) had nothing
    from monitor import cli

    assert cli.main(["digest", "--config", str(config), "--dry-run"], clock=clock, sleep=clock.sleep) == 0
    captured = capsys.readouterr()
    assert "No mentions on 2026-03-31 (yesterday); showing today so far." in captured.err
    assert captured.out.startswith("▌ Digest so far: Wed 1 Apr 2026\n")
    assert "Up to Wed 1 Apr 09:00 Europe/Warsaw" in captured.out


def test_a_dry_run_pastes_as_markdown_or_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, seeded(tmp_path))
    chart = tmp_path / "chart.png"
    args = ["digest", "--config", str(config), "--date", DAY.isoformat(), "--dry-run", "--chart", str(chart)]
    assert main([*args, "--format", "markdown"]) == 0
    markdown = capsys.readouterr().out
    assert markdown.startswith("## Daily digest: Sun 29 Mar 2026\n")
    assert "**6 mentions** (+50% vs last week's 4)" in markdown
    assert f"![chart]({chart.as_uri()})" in markdown
    assert "<!date^" not in markdown and "\u200b" not in markdown
    assert main([*args, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    acme = data["brands"][0]
    assert (data["day"], data["timezone"], data["chart"]) == ("2026-03-29", "Europe/Warsaw", str(chart))
    assert (acme["brand"], acme["mentions"], acme["classified"], acme["negative"]) == ("Acme", 6, 5, 3)
    assert acme["negative_share"] == pytest.approx(0.6)
    assert data["slack_messages"][0]["blocks"][0]["type"] == "header"


def test_after_a_failed_chart_upload_the_command_says_the_message_went_out(
    db_url: str, fake_slack: FakeSlack, capsys: pytest.CaptureFixture[str]
) -> None:
    clock = Clock(NOW)
    app = make_app(db_url, fake_slack, clock)
    assert app.digest is not None
    fake_slack.faults.append(Fault("500", method="upload"))
    ticks = iter([0, 0, *range(61, 1000)])  # the send budget runs out after one round
    code = run_digest(
        app.digest,
        deliver=app.delivery.run_once,
        day=DAY,
        dry_run=False,
        chart_path=None,
        sleep=clock.sleep,
        monotonic=lambda: float(next(ticks)),
    )
    err = capsys.readouterr().err
    assert code == 1 and scenario.DAY.isoformat() in err
    assert "sent to #digest; its chart is not uploaded yet" in err
    assert "queued but not delivered" not in err
    delivered = fake_slack.keys()
    assert [k for k in delivered if k.startswith("digest:")] == ["digest:2026-03-29:#digest"]


def _red_rows(png: bytes) -> list[int]:
    """Image rows holding the negative series' colour (#c0392b), top to bottom."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    width, height = image.size
    pixels = image.load()
    assert pixels is not None
    return [
        y
        for y in range(height)
        if any(_near(pixels[x, y], (0xC0, 0x39, 0x2B)) for x in range(int(width * 0.1), int(width * 0.9)))
    ]


def _near(rgb: object, target: tuple[int, int, int]) -> bool:
    r, g, b = rgb  # type: ignore[misc]
    return abs(r - target[0]) + abs(g - target[1]) + abs(b - target[2]) < 40


def test_few_negatives_among_many_mentions_still_rise_off_the_x_axis() -> None:
    hours = tuple(datetime(2026, 11, 20, 0, tzinfo=UTC) + timedelta(hours=h) for h in range(24))
    volume = tuple(1000 if h % 2 else 900 for h in range(24))
    negative = tuple(3 if h == 12 else 0 for h in range(24))  # 3 of ~23,000: a flat line on a shared axis
    series = (Series("Acme", hours, volume, negative, ()),)
    rows = _red_rows(render_chart(_digest(Volume(total=sum(volume)), series=series)))
    assert rows, "the negative series is drawn"
    # On its own axis the peak of 3 reaches most of the panel's height (the line spans many pixel rows).
    assert max(rows) - min(rows) > 100


def test_the_chart_says_when_there_is_little_data_yet() -> None:
    hours = tuple(datetime(2026, 11, 20, 0, tzinfo=UTC) + timedelta(hours=h) for h in range(24))
    thin = (Series("Acme", hours, tuple(5 if h in (9, 10) else 0 for h in range(24)), (0,) * 24, ()),)
    full = (Series("Acme", hours, (5,) * 24, (0,) * 24, ()),)
    assert _grey_text_pixels(render_chart(_digest(Volume(total=10), series=thin))) > _grey_text_pixels(
        render_chart(_digest(Volume(total=120), series=full))
    )


def _grey_text_pixels(png: bytes) -> int:
    """Pixels of the note's grey (#777) in the chart's top right, where the note goes."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    width, height = image.size
    box = image.crop((width // 2, 0, width, height // 3))
    raw = box.tobytes()
    return sum(1 for i in range(0, len(raw), 3) if _near(tuple(raw[i : i + 3]), (0x77, 0x77, 0x77)))
