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


def render_chart(digest: Digest) -> bytes:
    """A PNG with one panel per brand over the chart's days."""
    tz = ZoneInfo(digest.timezone)
    series = digest.series[:MAX_PANELS]
    rows = max(1, len(series))
    # Figure() directly (not pyplot): no global state, safe in the daemon's worker threads.
    height = 1.0 + 2.2 * rows
    figure = Figure(figsize=(10, height), dpi=100)
    # Fixed margins in inches: a layout engine would draw everything twice (half the chart's cost).
    figure.subplots_adjust(left=0.07, right=0.98, top=1 - 0.55 / height, bottom=0.45 / height, hspace=0.35)
    axes = figure.subplots(rows, 1, squeeze=False, sharex=True)[:, 0]
    for ax, s in zip(axes, series, strict=False):
        times = [h.astimezone(tz) for h in s.hours]
        ax.fill_between(times, s.volume, step="post", alpha=0.35, color="#4a7bd0", label="mentions")
        ax.step(times, s.negative, where="post", color="#c0392b", linewidth=1.2, label="negative")
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
        ax.set_ylabel("per hour", fontsize=8)
        ax.set_ylim(bottom=0, top=max([*s.volume, 1]) * 1.15)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(axis="y", alpha=0.3)
        ax.legend(loc="upper right", fontsize=7, frameon=False)
    if not series:
        axes[0].text(0.5, 0.5, "no brands", ha="center", va="center")
    axes[-1].xaxis.set_major_locator(mdates.DayLocator(tz=tz))
    axes[-1].xaxis.set_major_formatter(mdates.DateFormatter("%a %d %b", tz=tz))
    figure.suptitle(f"Mentions per hour, last {_days(digest)} days ({digest.timezone})", fontsize=11)
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


def _days(digest: Digest) -> int:
    hours = len(digest.series[0].hours) if digest.series else 0
    return max(1, round(hours / 24))
