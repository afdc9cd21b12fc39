"""What drives a spike: the words, posts, places and voices behind it, compared with normal times.

``explain(spike_posts, baseline_posts, ...)`` returns plain JSON (stored in ``spikes.drivers``,
read by the Slack alert and the digest; keys documented in docs/spikes.md). Over-represented
terms are ranked by the log-odds ratio with an informative Dirichlet prior (Monroe, Colaresi
and Quinn 2008, "Fightin' Words"): a term's share of the spike against its share of the
baseline, shrunk towards its pooled frequency and divided by its standard error, so a word
seen twice is not ranked above one seen two hundred times. Each post counts a term once.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from monitor.spikes import duplicates
from monitor.spikes.text import Tokens, brand_terms, is_content, reshared_from, tokens

TOP_TERMS = 8
TOP_POSTS = 5
TOP_CLUSTERS = 5
MIN_Z = 1.96  # two-sided 5%: weaker evidence is noise at spike sizes
MIN_SHARE = 0.05  # a driver is in at least 5% of the spike's posts (and at least MIN_POSTS)
MIN_POSTS = 2
PRIOR_WEIGHT = 0.1  # prior mass as a share of all term occurrences: a light, informative shrink
SHARED = 0.5  # one post is "the" story when its copies are at least half of the spike
REACH_KEYS = ("followers", "author_followers", "subscribers", "karma")
TEXT_LIMIT = 500
_EPS = 1e-9


def explain(
    spike_posts: Sequence[Mapping[str, Any]],
    baseline_posts: Sequence[Mapping[str, Any]],
    *,
    brand: Iterable[str] = (),
    count: float | None = None,
    expected: float | None = None,
    minutes: int | None = None,
) -> dict[str, Any]:
    """Drivers of a spike, as JSON-ready data (see docs/spikes.md for the keys)."""
    excluded = brand_terms(brand)
    spike_tokens = [tokens(str(p.get("text") or "")) for p in spike_posts]
    base_tokens = [tokens(str(p.get("text") or "")) for p in baseline_posts]
    ranked = _over_represented(spike_tokens, base_tokens, excluded)
    groups = duplicates.group([str(p.get("text") or "") for p in spike_posts])
    links = Counter(link for t in spike_tokens for link in set(t.links))
    nature, summary = _nature(groups, spike_posts)
    return {
        "version": 1,
        "posts": len(spike_posts),
        "baseline_posts": len(baseline_posts),
        "volume": _volume(count, expected, minutes),
        "terms": [_display(item) for item in ranked[:TOP_TERMS]],
        "over_represented": ranked[: TOP_TERMS * 2],
        "top_posts": _top_posts(spike_posts, groups),
        "platforms": [[p, n] for p, n in Counter(str(p.get("platform")) for p in spike_posts).most_common()],
        "languages": [[lang, n] for lang, n in Counter(p.get("lang") or "unknown" for p in spike_posts).most_common()],
        "links": [[link, n] for link, n in links.most_common(5) if n >= MIN_POSTS],
        "clusters": [_cluster(spike_posts, g) for g in groups[:TOP_CLUSTERS] if len(g) >= 2],
        "distinct": len(groups),
        "nature": nature,
        "summary": summary,
    }


def reach(post: Mapping[str, Any]) -> int:
    """How many people the author reaches: followers (or karma, subscribers)."""
    metrics = post.get("metrics") or {}
    return max((_int(metrics.get(k)) for k in REACH_KEYS), default=0)


def engagement(post: Mapping[str, Any]) -> int:
    """Everyone's reactions to the post: every metric that is not the author's reach (likes, reposts, score...)."""
    metrics = post.get("metrics") or {}
    return sum(_int(v) for k, v in metrics.items() if k not in REACH_KEYS)


# -- terms ------------------------------------------------------------------------------------


def _features(t: Tokens, excluded: frozenset[str]) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for clause in t.clauses:
        words = [w if is_content(w, excluded) else None for w in clause]
        found |= {("word", w) for w in words if w}
        found |= {("phrase", f"{a} {b}") for a, b in itertools.pairwise(words) if a and b and a != b}
    found |= {("hashtag", h) for h in t.hashtags if h and h not in excluded}
    return found


def _over_represented(
    spike: Sequence[Tokens], baseline: Sequence[Tokens], excluded: frozenset[str]
) -> list[dict[str, Any]]:
    if not spike:
        return []
    y_s: Counter[tuple[str, str]] = Counter()
    for t in spike:
        y_s.update(_features(t, excluded))
    y_b: Counter[tuple[str, str]] = Counter()
    for t in baseline:
        y_b.update(_features(t, excluded))
    n_s, n_b = sum(y_s.values()), sum(y_b.values())
    total = n_s + n_b
    a0 = max(1.0, PRIOR_WEIGHT * total)
    floor = max(MIN_POSTS, math.ceil(MIN_SHARE * len(spike)))
    scored: list[dict[str, Any]] = []
    for key, ys in y_s.items():
        if ys < floor:
            continue
        yb = y_b.get(key, 0)
        a = a0 * (ys + yb) / total
        delta = math.log((ys + a) / max(n_s + a0 - ys - a, _EPS)) - math.log((yb + a) / max(n_b + a0 - yb - a, _EPS))
        z = delta / math.sqrt(1 / (ys + a) + 1 / (yb + a))
        if z >= MIN_Z:
            scored.append({"term": key[1], "kind": key[0], "spike": ys, "baseline": yb, "z": round(z, 2)})
    scored.sort(key=lambda s: (-s["z"], -s["spike"], s["term"]))
    return _without_parts_of_phrases(scored)


def _without_parts_of_phrases(scored: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drop a word that is nearly always said inside a phrase already listed ("battery" of "battery fire")."""
    phrases = [s for s in scored if s["kind"] == "phrase"]
    kept = []
    for s in scored:
        if s["kind"] == "word" and any(
            s["term"] in p["term"].split() and p["spike"] >= 0.8 * s["spike"] for p in phrases
        ):
            continue
        kept.append(s)
    return kept


def _display(item: Mapping[str, Any]) -> str:
    return f"#{item['term']}" if item["kind"] == "hashtag" else str(item["term"])


# -- posts ------------------------------------------------------------------------------------


def _top_posts(posts: Sequence[Mapping[str, Any]], groups: list[list[int]]) -> list[dict[str, Any]]:
    """One post per near-duplicate group, ranked by its reach plus the whole group's engagement."""
    ranked = []
    for g in groups:
        best = max(g, key=lambda i: (reach(posts[i]) + engagement(posts[i]), -i))
        impact = reach(posts[best]) + sum(engagement(posts[i]) for i in g)
        ranked.append((impact, len(g), -best, best, g))
    ranked.sort(reverse=True)
    out = []
    for _, _, _, best, g in ranked[:TOP_POSTS]:
        p = posts[best]
        out.append(
            {
                "author": p.get("author"),
                "platform": p.get("platform"),
                "url": p.get("url"),
                "text": str(p.get("text") or "")[:TEXT_LIMIT],
                "lang": p.get("lang"),
                "reach": reach(p),
                "engagement": sum(engagement(posts[i]) for i in g),
                "copies": len(g),
            }
        )
    return out


def _cluster(posts: Sequence[Mapping[str, Any]], g: list[int]) -> dict[str, Any]:
    first = posts[_earliest(posts, g)]
    return {
        "text": str(first.get("text") or "")[:TEXT_LIMIT],
        "count": len(g),
        "authors": len({posts[i].get("author") for i in g}),
        "origin": _origin(posts, g),
        "url": first.get("url"),
        "platform": first.get("platform"),
    }


def _origin(posts: Sequence[Mapping[str, Any]], g: list[int]) -> str:
    """Who wrote the shared post: the author its retweets name, else the author of its earliest copy."""
    named = Counter(r for r in (reshared_from(str(posts[i].get("text") or "")) for i in g) if r)
    if named:
        return "@" + named.most_common(1)[0][0]
    return str(posts[_earliest(posts, g)].get("author") or "unknown")


def _earliest(posts: Sequence[Mapping[str, Any]], g: list[int]) -> int:
    stamped = [i for i in g if posts[i].get("created_at") is not None]
    if not stamped:
        return g[0]
    return min(stamped, key=lambda i: (str(posts[i]["created_at"]), i))


def _nature(groups: list[list[int]], posts: Sequence[Mapping[str, Any]]) -> tuple[str, str]:
    n = len(posts)
    if n == 0:
        return "none", "No posts found for this spike."
    largest = len(groups[0])
    shared = [g for g in groups[:3] if len(g) >= 2]
    if largest >= 3 and largest >= SHARED * n:
        author = _origin(posts, groups[0])
        return "one_post_shared", f"One post shared: {largest} of {n} posts are copies of a post by {author}."
    if len(shared) >= 2 and sum(len(g) for g in shared) >= SHARED * n:
        sizes = ", ".join(str(len(g)) for g in shared)
        return "few_posts_shared", f"A few posts shared: {len(shared)} posts make up {sizes} of {n} posts."
    authors = len({p.get("author") for p in posts})
    if len(groups) >= 0.8 * n:
        return "independent", f"Many independent posts: {len(groups)} distinct posts by {authors} authors."
    return "mixed", (f"Mixed: {len(groups)} distinct posts by {authors} authors; the most shared has {largest} copies.")


def _volume(count: float | None, expected: float | None, minutes: int | None) -> dict[str, Any]:
    ratio = None
    if count is not None and expected:
        ratio = round(count / expected, 2)
    return {
        "count": count,
        "expected": None if expected is None else round(expected, 2),
        "ratio": ratio,
        "minutes": minutes,
    }


def _int(value: Any) -> int:
    try:
        return max(0, int(value or 0))
    except (TypeError, ValueError):
        return 0
