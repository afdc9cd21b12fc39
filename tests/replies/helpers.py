"""A wired app with the reply queue on, a keyword classifier, posts stored as connectors would."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from connectors.base import Cursor, Post
from models.base import Sentiment
from monitor.alerts.slack import SlackSink
from monitor.bootstrap import App, bootstrap
from monitor.config import parse_config
from monitor.storage import posts as store
from monitor.storage.schema import reply_items

NEGATIVE_WORDS = ("broken", "scam", "worst", "refund", "terrible", "lawsuit", "не работает", "خراب", "nie działa")


class KeywordClassifier:
    """Negative when a negative word is in the text; language from the script."""

    def classify(self, texts: Sequence[str]) -> list[Sentiment]:
        out = []
        for text in texts:
            lang = "ru" if re.search("[а-я]", text) else "fa" if re.search("[\u0600-\u06ff]", text) else "en"
            if any(w in text.lower() for w in NEGATIVE_WORDS):
                out.append(Sentiment("negative", 0.92, 0.92, lang=lang))
            else:
                out.append(Sentiment("neutral", 0.8, 0.1, lang=lang))
        return out


def config(slack_url: str, db_url: str, **replies: Any) -> Any:
    raw: dict[str, Any] = {
        "storage": {"url": db_url},
        "slack": {"base_url": slack_url, "alerts_channel": "#brand-alerts", "min_interval": "1ms"},
        "brands": [{"name": "Acme", "terms": ["acme"], "handles": {"x": "AcmeSupport", "reddit": "acme_support"}}],
        "replies": {
            "enabled": True,
            "channel": "#brand-replies",
            "on_call": ["U0ONCALL", "S0SUPPORT"],
            "categories": [
                {
                    "name": "billing",
                    "keywords": ["refund", "charged", "invoice", "zwrot", "возврат"],
                    "channel": "#billing",
                    "mention": ["S0BILLING"],
                    "playbook": "Hi {author}, sorry about the charge. DM us your order number and we'll refund it.",
                },
                {"name": "outage", "keywords": ["down", "broken", "not working", "не работает"]},
            ],
            **replies,
        },
    }
    return parse_config(raw, env={})


def make_app(fake_slack: Any, db_url: str, clock: Any, **replies: Any) -> App:
    cfg = config(fake_slack.base_url, db_url, **replies)
    sink = SlackSink(fake_slack.token, base_url=fake_slack.base_url, timeout=timedelta(seconds=5))
    app = bootstrap(cfg, clock=clock, sink=sink, classifier=KeywordClassifier(), connectors={})
    app.delivery.sleep = lambda s: None
    return app


_ids = itertools.count(1000)


def post(text: str, at: datetime, *, author: str = "dana", platform: str = "x", **kw: Any) -> Post:
    n = kw.pop("post_id", None) or str(next(_ids))
    return Post(
        platform=platform,
        post_id=n,
        author=author,
        text=text,
        created_at=at,
        url=f"https://x.com/{author}/status/{n}",
        metrics=kw.pop("metrics", {"followers": 120}),
        **kw,
    )


def ingest(app: App, *posts_in: Post) -> None:
    """Store posts as a poll would, then classify them (rules run in that transaction)."""
    with app.engine.begin() as conn:
        store.store_page(
            conn,
            source="x",
            brand="Acme",
            posts_in=list(posts_in),
            cursor=Cursor(None),
            brand_handles=("AcmeSupport", "acme_support"),
            now=app.clock(),
        )
    app.pipeline.classify_pending()


def items(app: App) -> list[dict[str, Any]]:
    with app.engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(reply_items).order_by(reply_items.c.id)).mappings()]


def drain(app: App) -> int:
    sent = 0
    for _ in range(200):
        report = app.delivery.run_once(limit=100)
        sent += report.sent
        if report.sent == 0:
            break
    return sent
