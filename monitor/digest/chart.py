"""The digest chart: mentions and negative mentions per local hour, spikes marked (matplotlib, PNG)."""

from __future__ import annotations

import io
from zoneinfo import ZoneInfo

import matplotlib

matplotlib.use("Agg")  # no display: render to memory (set before pyplot is imported)

import matplotlib.dates as mdates
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from monitor.digest.model import Digest

MAX_PANELS = 12  # one panel per brand; more would be unreadable in Slack's preview
# Fewer hours with mentions than this in the chart: say the picture is still thin, rather than let it look calm.
LITTLE_DATA_HOURS = 24
NEGATIVE = "#c0392b"


def render_chart(digest: Digest) -> bytes:
    """A PNG with one panel per brand over the chart's days."""
    tz = ZoneInfo(digest.timezone)
    series = digest.series[:MAX_PANELS]
    rows = max(1, len(series))
    # Figure() directly (not pyplot): no global state, safe in the daemon's worker threads.
    height = 1.0 + 2.2 * rows
    figure = Figure(figsize=(10, height), dpi=100)
    # Fixed margins in inches: a layout engine would draw everything twice (half the chart's cost).
    figure.subplots_adjust(left=0.07, right=0.93, top=1 - 0.55 / height, bottom=0.45 / height, hspace=0.35)
    axes = figure.subplots(rows, 1, squeeze=False, sharex=True)[:, 0]
    for ax, s in zip(axes, series, strict=False):
        times = [h.astimezone(tz) for h in s.hours]
        ax.fill_between(times, s.volume, step="post", alpha=0.35, color="#4a7bd0", label="mentions (left axis)")
        # Negatives on their own axis: a few among many mentions would otherwise lie flat on the x-axis.
        neg = ax.twinx()
        neg.step(times, s.negative, where="post", color=NEGATIVE, linewidth=1.4, label="negative (right axis)")
        neg.set_ylim(bottom=0, top=max([*s.negative, 1]) * 1.15)
        neg.yaxis.set_major_locator(MaxNLocator(integer=True))
        neg.tick_params(axis="y", colors=NEGATIVE, labelsize=7)
        neg.set_ylabel("negative per hour", fontsize=8, color=NEGATIVE)
        for spike in s.spikes:
            ax.axvline(spike.peak_at.astimezone(tz), color="#e67e22", linestyle="--", linewidth=1)
            ax.annotate(
                f"spike {spike.peak_count:.0f}",
                xy=(spike.peak_at.astimezone(tz), 1.0),
                xycoords=("data", "axes fraction"),
                fontsize=7,
                color="#e67e22",
                ha="left",
                va="top",
            )
        ax.set_title(s.brand, loc="left", fontsize=10)
        ax.set_ylabel("mentions per hour", fontsize=8)
        ax.set_ylim(bottom=0, top=max([*s.volume, 1]) * 1.15)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(axis="y", alpha=0.3)
        handles = ax.get_legend_handles_labels()[0] + neg.get_legend_handles_labels()[0]
        ax.legend(handles=handles, loc="upper left", fontsize=7, frameon=False)
        busy = sum(1 for v in s.volume if v)
        if busy < LITTLE_DATA_HOURS:
            ax.set_title(
                f"little data yet: {sum(s.volume):,} mentions in {busy} hour(s)", loc="right", fontsize=8, color="#777"
            )
    if not series:
        axes[0].text(0.5, 0.5, "no brands", ha="center", va="center")
    days = _days(digest)
    if days > 1:
        axes[-1].xaxis.set_major_locator(mdates.DayLocator(tz=tz))
        axes[-1].xaxis.set_major_formatter(mdates.DateFormatter("%a %d %b", tz=tz))
    else:  # one day: its hours
        axes[-1].xaxis.set_major_locator(mdates.HourLocator(byhour=range(0, 24, 3), tz=tz))
        axes[-1].xaxis.set_major_formatter(mdates.DateFormatter("%H:%M", tz=tz))
    span = f"last {days} days" if days > 1 else f"{digest.day:%a %d %b %Y}"
    figure.suptitle(f"Mentions per hour, {span} ({digest.timezone})", fontsize=11)
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


def _days(digest: Digest) -> int:
    hours = len(digest.series[0].hours) if digest.series else 0
    return max(1, round(hours / 24))
