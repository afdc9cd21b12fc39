"""What the brand check costs per fetched post, against the old term regex in the same run.

Every fetched post now passes the brand's query on its folded words (values/query_match.py)
before it is stored; before, sources that matched locally ran one case-insensitive regex of the
brand's terms (the old connectors/matching.py, kept below as the baseline). Both run here on the
same generated posts (en/pl/ru/fa, tweets and long posts, bench/social_posts.py), best of several
rounds; the machine may be shared, so read the ratio, not the absolute times. Also timed: the issue's example query with
NOT, phrases, hashtags, a mention and NEAR, and the whole per-post check (exclusions included).

    .venv/bin/python bench/query_match.py [--posts 5000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.social_posts import social_posts  # noqa: E402
from connectors.base import Post  # noqa: E402
from monitor.brand_filter import BrandFilter  # noqa: E402
from monitor.config import parse_config  # noqa: E402
from values.query_match import Subject, matches  # noqa: E402
from values.query_syntax import parse_query  # noqa: E402
from values.query_tree import terms_query  # noqa: E402

TERMS = ("acme", "#acme", "acme bank", "acme mobile")
QUERY = '("acme" OR #acme OR @AcmeHelp OR "acme bank") AND NOT ("acme mobile" OR wile) acme NEAR/8 support'


def term_pattern(terms: tuple[str, ...]) -> re.Pattern[str]:
    """The old local matching (connectors/matching.py before brand queries): one regex of the terms."""
    alternatives = sorted({t.strip() for t in terms if t.strip()}, key=len, reverse=True)
    body = "|".join(re.escape(t) for t in alternatives)
    return re.compile(rf"(?<![\w]){'(?:' + body + ')'}(?![\w])", re.IGNORECASE)


def mentions(text: str, pattern: re.Pattern[str]) -> bool:
    """The old check: does the text mention a term."""
    return pattern.search(text) is not None


def _best(rounds: int, run: Callable[[], int]) -> tuple[float, int]:
    times, hits = [], 0
    for _ in range(rounds):
        started = time.perf_counter()
        hits = run()
        times.append(time.perf_counter() - started)
    return min(times), hits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    texts = social_posts(args.posts // 2) + social_posts(args.posts - args.posts // 2, long=True)
    now = datetime(2026, 11, 20, tzinfo=UTC)
    posts = [Post("x", str(i), f"user{i % 50}", t, now, url=f"https://x.com/u/status/{i}") for i, t in enumerate(texts)]
    pattern = term_pattern(TERMS)
    simple = terms_query(TERMS)
    query = parse_query(QUERY)
    brand = parse_config(
        {"brands": [{"name": "Acme", "query": QUERY, "exclude_authors": ["user7"], "exclude_domains": ["acme.com"]}]},
        env={},
    ).brands[0]
    check = BrandFilter(brand, ("AcmeHelp",))
    runs = {
        "baseline: term regex (old local matching)": lambda: sum(mentions(t, pattern) for t in texts),
        "terms as a query (folded words)": lambda: sum(matches(simple, Subject(t, "x")) for t in texts),
        "the issue's query (NOT, phrases, NEAR)": lambda: sum(matches(query, Subject(t, "x")) for t in texts),
        "whole brand check (exclusions too)": lambda: sum(check.keeps(p) for p in posts),
    }
    print(f"{len(texts)} posts (half tweets, half long posts), en/pl/ru/fa; best of {args.rounds} rounds")
    baseline = None
    for name, run in runs.items():
        seconds, hits = _best(args.rounds, run)
        baseline = baseline or seconds
        per_post = seconds / len(texts) * 1e6
        print(f"  {name:<44} {per_post:8.1f} µs/post  {seconds / baseline:5.2f}x baseline  ({hits} matched)")


if __name__ == "__main__":
    main()
