"""The digest as data: figures per brand and day, built by ``build.py``, rendered by ``render.py``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True, slots=True)
class Volume:
    """Mentions of one brand in one day (the brand's own posts excluded)."""

    total: int = 0
    classified: int = 0
    negative: int = 0
    by_platform: tuple[tuple[str, int, int], ...] = ()  # (platform, mentions, negative), most first
    by_language: tuple[tuple[str, int], ...] = ()  # (language or "unknown", mentions), most first

    @property
    def negative_share(self) -> float | None:
        """Negative mentions among the classified ones (None when nothing is classified)."""
        return self.negative / self.classified if self.classified else None

    def platform(self, name: str) -> int:
        """Mentions on ``name``."""
        return next((n for p, n, _ in self.by_platform if p == name), 0)

    def language(self, name: str) -> int:
        """Mentions in language ``name``."""
        return next((n for lang, n in self.by_language if lang == name), 0)


@dataclass(frozen=True, slots=True)
class SpikeItem:
    """A spike that was open during the day."""

    metric: str
    status: str
    opened_at: datetime
    resolved_at: datetime | None
    peak_at: datetime
    peak_count: float
    expected: float
    terms: tuple[str, ...]
    summary: str
    top_url: str | None


@dataclass(frozen=True, slots=True)
class PostItem:
    """A post listed in the digest (its text is untrusted)."""

    platform: str
    author: str
    text: str
    url: str | None
    created_at: datetime
    reach: int = 0


@dataclass(frozen=True, slots=True)
class ReplyStats:
    """Posts that needed a reply, by the day they were posted, as of the digest's build time."""

    needed: int = 0
    replied: int = 0
    within: int = 0
    breached: int = 0
    pending: int = 0  # still open and not yet due
    median_seconds: float | None = None
    p90_seconds: float | None = None

    @property
    def within_share(self) -> float | None:
        """Share answered within SLA among those whose outcome is known."""
        known = self.within + self.breached
        return self.within / known if known else None


@dataclass(frozen=True, slots=True)
class ReplyItemView:
    """One post due for reply, listed as a breach or as still open."""

    post: PostItem
    posted_at: datetime
    due_at: datetime
    answered_at: datetime | None  # first reply, else when it was closed
    category: str | None
    status: str


@dataclass(frozen=True, slots=True)
class CategoryCount:
    """A complaint category from the reply queue: the day, the same weekday last week, days seen this week."""

    category: str
    day: int
    week_ago: int
    days_seen: int  # of the last 7 days (the digest day included)


@dataclass(frozen=True, slots=True)
class ComplaintTerm:
    """A word or phrase over-represented in the day's negative posts, and how often it recurs."""

    term: str
    posts: int  # negative posts of the day containing it
    days_seen: int  # of the last 7 days, days with a negative post containing it


@dataclass(frozen=True, slots=True)
class BrandDay:
    """The comparable figures of one brand for one day."""

    day: date
    volume: Volume
    spikes: tuple[SpikeItem, ...]
    replies: ReplyStats


@dataclass(frozen=True, slots=True)
class BrandDigest:
    """Everything the digest says about one brand."""

    brand: str
    today: BrandDay
    week_ago: BrandDay
    top_negative: tuple[PostItem, ...] = ()
    categories: tuple[CategoryCount, ...] = ()
    terms: tuple[ComplaintTerm, ...] = ()
    breaches: tuple[ReplyItemView, ...] = ()
    open_items: tuple[ReplyItemView, ...] = ()
    open_count: int = 0
    open_overdue: int = 0


@dataclass(frozen=True, slots=True)
class HourRow:
    """One local hour of the day, summed over the last 7 days, all brands together."""

    hour: int
    mentions: int
    needing_reply: int
    breached: int


@dataclass(frozen=True, slots=True)
class Series:
    """Hourly mentions of one brand over the chart's days, for the chart."""

    brand: str
    hours: tuple[datetime, ...]  # UTC start of each local hour
    volume: tuple[int, ...]
    negative: tuple[int, ...]
    spikes: tuple[SpikeItem, ...]


@dataclass(frozen=True)
class Digest:
    """The whole digest for one local day."""

    day: date
    timezone: str
    built_at: datetime
    brands: tuple[BrandDigest, ...]
    staffing: tuple[HourRow, ...]
    series: tuple[Series, ...] = field(default=())
    spike_bucket_minutes: int = 5
    # The model's agreement with the team's feedback per language, last 30 days: (language, agreed, checked).
    accuracy: tuple[tuple[str, int, int], ...] = ()
    competitors: tuple[str, ...] = ()  # brands compared in the digest, never alerted on
