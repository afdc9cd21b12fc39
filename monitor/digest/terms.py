"""Recurring complaint terms: what the day's negative posts say more than the brand's other posts.

Text cannot be aggregated in SQL, so this reads bounded samples (the newest few thousand
posts) and reuses the spike drivers' multilingual tokeniser and log-odds ranking.
"""

from __future__ import annotations

from collections.abc import Sequence

from monitor.digest.model import ComplaintTerm
from monitor.spikes import explain
from monitor.spikes.text import brand_terms, tokens


def complaint_terms(
    negatives: Sequence[tuple[int, str]],
    baseline: Sequence[str],
    *,
    brand: str,
    day: int,
    limit: int,
) -> tuple[ComplaintTerm, ...]:
    """Terms over-represented in day ``day``'s negative posts vs ``baseline``, with the days (of 7) they recur."""
    excluded = brand_terms([brand])
    week = [(d, tokens(text)) for d, text in negatives if day - 6 <= d <= day]  # each text tokenised once
    today = [t for d, t in week if d == day]
    if not today:
        return ()
    # The same features and ranking as the spike drivers (docs/spikes.md), so the two read alike.
    ranked = explain._over_represented(today, [tokens(t) for t in baseline], excluded)
    if not ranked:
        return ()
    wanted = {(item["kind"], item["term"]) for item in ranked[:limit]}
    seen: dict[tuple[str, str], set[int]] = {key: set() for key in wanted}
    for d, t in week:
        for key in explain._features(t, excluded) & wanted:
            seen[key].add(d)
    out = []
    for item in ranked[:limit]:
        key = (item["kind"], item["term"])
        term = f"#{item['term']}" if item["kind"] == "hashtag" else str(item["term"])
        out.append(ComplaintTerm(term=term, posts=int(item["spike"]), days_seen=len(seen[key])))
    return tuple(out)
