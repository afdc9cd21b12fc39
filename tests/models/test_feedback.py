"""The team's feedback as labelled posts: Slack corrections, and negative posts the brand answered."""

from __future__ import annotations

import io
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, update

from connectors.base import Cursor, Post
from monitor.cli import main
from monitor.storage import posts as store
from monitor.storage.feedback import feedback
from monitor.storage.schema import classification_feedback, posts, reply_items
from tests.support.tiny_model import TRAINING

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
TEXTS = {"1": TRAINING[0][0], "2": TRAINING[6][0], "3": TRAINING[2][0], "4": TRAINING[5][0], "5": TRAINING[3][0]}


def _store(engine: Engine) -> dict[str, int]:
    batch = [Post(platform="x", post_id=i, author="a", text=t, created_at=NOW - timedelta(hours=1)) for i, t in
             TEXTS.items()]
    with engine.begin() as conn:
        store.store_page(conn, source="x", brand="Acme", posts_in=batch, cursor=Cursor("5"), brand_handles=(), now=NOW)
        pks = {r.post_id: r.id for r in conn.execute(posts.select())}
        conn.execute(update(posts).values(sentiment="negative", lang="en"))
        conn.execute(update(posts).where(posts.c.post_id == "3").values(lang="ru"))
    return pks


def _reply(conn, pk: int, post_id: str, status: str, replied: datetime | None) -> None:
    conn.execute(reply_items.insert().values(
        brand="Acme", post_pk=pk, platform="x", post_id=post_id, status=status, priority="normal", priority_score=1.0,
        channel="#alerts", reason="negative", posted_at=NOW, due_at=NOW + timedelta(hours=1), created_at=NOW,
        alert_key=f"reply:{post_id}", first_reply_at=replied,
    ))


def _feedback_rows(engine: Engine) -> None:
    pks = _store(engine)
    with engine.begin() as conn:
        conn.execute(classification_feedback.insert().values(
            post_pk=pks["2"], label="not_negative", model_label="negative", user_id="U1", created_at=NOW))
        conn.execute(classification_feedback.insert().values(
            post_pk=pks["4"], label="neutral", model_label="negative", user_id="U2",
            created_at=NOW - timedelta(days=40)))
        _reply(conn, pks["1"], "1", "replied", NOW + timedelta(minutes=5))  # answered by the brand: confirmed
        _reply(conn, pks["3"], "3", "open", None)  # not answered (yet): says nothing
        _reply(conn, pks["4"], "4", "replied", NOW)  # answered, but someone corrected it: the correction wins
        _reply(conn, pks["5"], "5", "handled", NOW)  # closed in Slack without a platform reply: says nothing


def test_corrections_and_answered_negative_posts_become_labels(engine: Engine) -> None:
    _feedback_rows(engine)
    with engine.connect() as conn:
        found = feedback(conn)
        recent = feedback(conn, since=NOW - timedelta(days=30))
    assert [(f.text, f.label, f.explicit) for f in found] == [
        (TEXTS["4"], "neutral", True),
        (TEXTS["2"], "not_negative", True),
        (TEXTS["1"], "negative", False),
    ]
    assert [f.text for f in recent] == [TEXTS["2"], TEXTS["1"]]
    assert all(f.model_label == "negative" and f.lang == "en" for f in found)


def test_evaluate_from_feedback_scores_the_model_on_it(tmp_path: Path, db_url: str, engine: Engine, tiny_model_dir,
                                                       monkeypatch) -> None:
    _feedback_rows(engine)
    config = tmp_path / "config.toml"
    config.write_text(f'[storage]\nurl = "{db_url}"\n[classifier]\nmodel = "{tiny_model_dir}"\n'
                      '[[brands]]\nname = "Acme"\nterms = ["acme"]\n', encoding="utf-8")
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    assert main(["model", "evaluate", "--config", str(config), "--from-feedback", "--json"]) == 0
    figures = json.loads(out.getvalue())["languages"]["all"]
    # Three posts: one confirmed negative and one relabelled neutral (full labels), one "not negative".
    assert figures["n"] == 3 and figures["labelled"] == 2 and figures["negative"]["support"] == 1
    # The tiny model says what it was fitted to: the confirmed complaint is negative, the others are not.
    assert figures["negative"]["precision"] == 1.0 and figures["negative"]["recall"] == 1.0


def test_agreement_per_language_over_the_window(engine: Engine) -> None:
    from monitor.storage.feedback import agreement

    _feedback_rows(engine)
    with engine.connect() as conn:
        recent = agreement(conn, since=NOW - timedelta(days=30))
        everything = agreement(conn, since=NOW - timedelta(days=60))
    # Last 30 days: a "not negative" on a post the model called negative (wrong), an answered complaint (right).
    assert [(a.lang, a.agreed, a.checked) for a in recent] == [("en", 1, 2)]
    # The relabel to neutral, 40 days ago, of a post the model called negative: wrong too.
    assert [(a.lang, a.agreed, a.checked) for a in everything] == [("en", 1, 3)]


def test_metrics_and_digest_show_the_agreement(engine: Engine) -> None:
    from monitor.digest.model import Digest
    from monitor.digest.render import as_text, render
    from monitor.ops.metrics import DatabaseCollector

    _feedback_rows(engine)
    families = {f.name: f for f in DatabaseCollector(engine, lambda: NOW + timedelta(hours=1)).collect()}
    share = families["brand_monitor_classifier_feedback_agreement"].samples
    posts_checked = families["brand_monitor_classifier_feedback_posts"].samples
    assert [(s.labels, s.value) for s in share] == [({"lang": "en"}, 0.5)]
    assert [(s.labels, s.value) for s in posts_checked] == [({"lang": "en"}, 2)]

    digest = Digest(day=NOW.date(), timezone="UTC", built_at=NOW, brands=(), staffing=(),
                    accuracy=(("pl", 4, 5), ("<!channel>", 1, 1)))
    text = as_text(render(digest))
    assert "last 30 days, model right in: pl 80.0% of 5" in text
    assert "<!channel>" not in text, "a language code from the database is escaped like any text"
    assert "model right in" not in as_text(render(Digest(day=NOW.date(), timezone="UTC", built_at=NOW, brands=(),
                                                         staffing=())))
