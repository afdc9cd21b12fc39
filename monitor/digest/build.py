"""Build the digest for one local day from the database (figures in SQL, shaping here)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from monitor.digest import queries
from monitor.digest.days import local_day, local_midnight
from monitor.digest.model import BrandDay, BrandDigest, Digest, HourRow, Series
from monitor.digest.settings import DigestSettings
from monitor.digest.terms import complaint_terms
from monitor.storage import feedback

WEEK = 7
TEXT_SAMPLE = 5000  # negative posts read for complaint terms (a week of a busy brand)
BASELINE_SAMPLE = 2000
ACCURACY_DAYS = 30  # feedback window for the classifier's agreement with the team


def build_digest(
    conn: Connection,
    *,
    brands: Sequence[str],
    day: date,
    tz: ZoneInfo,
    now: datetime,
    settings: DigestSettings,
    spike_bucket_minutes: int = 5,
    competitors: Sequence[str] = (),
) -> Digest:
    """The digest for local ``day``, with SLA outcomes as of ``now``."""
    # bounds[i] .. bounds[i+1] is local day (day - 7 + i): index 7 is the digest day, 0 a week before.
    bounds = [local_midnight(day - timedelta(days=WEEK - i), tz) for i in range(WEEK + 2)]
    digests = tuple(_brand(conn, brand, day=day, tz=tz, now=now, bounds=bounds, settings=settings) for brand in brands)
    chart_start = local_midnight(day - timedelta(days=settings.chart_days - 1), tz)
    week_start = bounds[1]
    quarters = queries.mention_quarters(conn, brands=brands, start=min(chart_start, week_start), end=bounds[-1])
    replies = queries.reply_quarters(conn, brands=brands, start=week_start, end=bounds[-1], as_of=now)
    # Staffing is the work of answering: a competitor's mentions are no one's to answer.
    own = [q for q in quarters if q[0] not in competitors]
    staffing = _staffing(own, replies, tz=tz, start=week_start)
    series = tuple(_series(conn, brand, quarters, tz=tz, start=chart_start, end=bounds[-1]) for brand in brands)
    checked = feedback.agreement(conn, since=now - timedelta(days=ACCURACY_DAYS))
    return Digest(
        day=day,
        timezone=tz.key,
        built_at=now,
        brands=digests,
        staffing=staffing,
        series=series,
        spike_bucket_minutes=spike_bucket_minutes,
        accuracy=tuple((a.lang, a.agreed, a.checked) for a in checked),
        competitors=tuple(c for c in competitors if c in brands),
    )


def _day(conn: Connection, brand: str, day: date, tz: ZoneInfo, as_of: datetime) -> BrandDay:
    window = local_day(day, tz)
    return BrandDay(
        day=day,
        volume=queries.volume(conn, brand=brand, start=window.start, end=window.end),
        spikes=queries.spikes_during(conn, brand=brand, start=window.start, end=window.end),
        replies=queries.reply_stats(conn, brand=brand, start=window.start, end=window.end, as_of=as_of),
    )


def _brand(
    conn: Connection,
    brand: str,
    *,
    day: date,
    tz: ZoneInfo,
    now: datetime,
    bounds: list[datetime],
    settings: DigestSettings,
) -> BrandDigest:
    window = local_day(day, tz)
    week = bounds[1:]  # the last 7 days, index 6 is the digest day
    negatives = queries.negative_texts(conn, brand=brand, bounds=week, negative=True, limit=TEXT_SAMPLE)
    others = queries.negative_texts(conn, brand=brand, bounds=week, negative=False, limit=BASELINE_SAMPLE)
    count, overdue, open_items = queries.still_open(conn, brand=brand, as_of=now, limit=settings.list_limit)
    return BrandDigest(
        brand=brand,
        today=_day(conn, brand, day, tz, now),
        # The same weekday a week before, judged as it stood a week ago, so the figures compare.
        week_ago=_day(conn, brand, day - timedelta(days=WEEK), tz, now - timedelta(days=WEEK)),
        top_negative=queries.top_negative(
            conn, brand=brand, start=window.start, end=window.end, limit=settings.top_posts
        ),
        categories=queries.categories(conn, brand=brand, bounds=bounds),
        terms=complaint_terms(negatives, [text for _, text in others], brand=brand, day=WEEK - 1, limit=settings.terms),
        breaches=queries.breaches(
            conn, brand=brand, start=window.start, end=window.end, as_of=now, limit=settings.list_limit
        ),
        open_items=open_items,
        open_count=count,
        open_overdue=overdue,
    )


def _local(bucket: int, tz: ZoneInfo) -> datetime:
    return datetime.fromtimestamp(bucket * queries.QUARTER_HOUR, UTC).astimezone(tz)


def _staffing(
    quarters: Sequence[tuple[str, int, int, int]],
    replies: Sequence[tuple[int, int, int]],
    *,
    tz: ZoneInfo,
    start: datetime,
) -> tuple[HourRow, ...]:
    """Mentions and posts needing reply by local hour of day, summed over the week."""
    first = int(start.timestamp()) // queries.QUARTER_HOUR
    mentions = [0] * 24
    needing = [0] * 24
    breached = [0] * 24
    for _, bucket, n, _neg in quarters:
        if bucket >= first:
            mentions[_local(bucket, tz).hour] += n
    for bucket, n, late in replies:
        hour = _local(bucket, tz).hour
        needing[hour] += n
        breached[hour] += late
    return tuple(HourRow(h, mentions[h], needing[h], breached[h]) for h in range(24))


def _series(
    conn: Connection,
    brand: str,
    quarters: Sequence[tuple[str, int, int, int]],
    *,
    tz: ZoneInfo,
    start: datetime,
    end: datetime,
) -> Series:
    """Hourly (local hours, DST-exact) volume and negatives of ``brand`` over ``[start, end)``."""
    hours: dict[datetime, list[int]] = {}
    step = queries.QUARTER_HOUR
    for bucket in range(int(start.timestamp()) // step, int(end.timestamp()) // step):
        hours.setdefault(_hour_start(bucket, tz), [0, 0])
    for name, bucket, n, neg in quarters:
        if name != brand:
            continue
        key = _hour_start(bucket, tz)
        if key in hours:
            hours[key][0] += n
            hours[key][1] += neg
    ordered = sorted(hours)
    return Series(
        brand=brand,
        hours=tuple(ordered),
        volume=tuple(hours[h][0] for h in ordered),
        negative=tuple(hours[h][1] for h in ordered),
        spikes=queries.spikes_during(conn, brand=brand, start=start, end=end),
    )


def _hour_start(bucket: int, tz: ZoneInfo) -> datetime:
    # replace() keeps ``fold``, so the two 02:00 hours of a fall-back night stay apart.
    return _local(bucket, tz).replace(minute=0, second=0, microsecond=0).astimezone(UTC)
