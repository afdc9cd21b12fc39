"""What the team told us about labels: Slack corrections, and negative posts the brand answered.

Two kinds of truth come out. An explicit correction (``classification_feedback``: "not negative" from the
Slack button, or a relabel) is taken as written. A post the model called negative, that the brand then
answered on the platform and nobody marked "not negative", is taken as a (weaker) confirmation that it
was negative: someone read it and it needed an answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, and_, exists, select

from monitor.storage.schema import classification_feedback, posts, reply_items

REPLIED = "replied"  # reply_items.status when the brand's own reply closed the item


@dataclass(frozen=True, slots=True)
class Feedback:
    """One post with the label the team's actions give it."""

    post_pk: int
    text: str
    label: str  # negative | neutral | positive | not_negative
    lang: str | None
    model_label: str | None  # what the model said when the team saw it
    at: datetime
    explicit: bool  # a correction someone made, not a reply taken as confirmation


def feedback(conn: Connection, *, since: datetime | None = None) -> list[Feedback]:
    """Every post with feedback (the latest correction per post wins over a confirmation), oldest first."""
    out: dict[int, Feedback] = {}
    corrections = (
        select(classification_feedback, posts.c.text, posts.c.lang)
        .join(posts, posts.c.id == classification_feedback.c.post_pk)
        .order_by(classification_feedback.c.created_at, classification_feedback.c.id)
    )
    if since is not None:
        corrections = corrections.where(classification_feedback.c.created_at >= since)
    for row in conn.execute(corrections):
        out[row.post_pk] = Feedback(row.post_pk, row.text, row.label, row.lang, row.model_label, row.created_at, True)
    corrected = exists().where(classification_feedback.c.post_pk == reply_items.c.post_pk)
    answered = (
        select(reply_items.c.post_pk, reply_items.c.first_reply_at, posts.c.text, posts.c.lang, posts.c.sentiment)
        .join(posts, posts.c.id == reply_items.c.post_pk)
        .where(and_(reply_items.c.status == REPLIED, posts.c.sentiment == "negative", ~corrected))
        .order_by(reply_items.c.first_reply_at, reply_items.c.id)
    )
    if since is not None:
        answered = answered.where(reply_items.c.first_reply_at >= since)
    for row in conn.execute(answered):
        if row.post_pk not in out and row.first_reply_at is not None:
            out[row.post_pk] = Feedback(row.post_pk, row.text, "negative", row.lang, row.sentiment, row.first_reply_at,
                                        False)
    return sorted(out.values(), key=lambda f: (f.at, f.post_pk))


@dataclass(frozen=True, slots=True)
class Agreement:
    """How often the model's label agreed with the team's, for one language."""

    lang: str  # "unknown" when the post's language was not detected
    agreed: int
    checked: int

    @property
    def share(self) -> float:
        """Agreed among checked (checked is never 0 in what :func:`agreement` returns)."""
        return self.agreed / self.checked


def agrees(model_label: str | None, truth: str) -> bool:
    """Whether the model's label matches the team's: "not negative" accepts neutral and positive."""
    if truth == "not_negative":
        return model_label is not None and model_label != "negative"
    return model_label == truth


def agreement(conn: Connection, *, since: datetime) -> list[Agreement]:
    """Per language, how many of the posts the team checked since ``since`` the model had right (most checked first).

    The team checks what it is shown (mostly posts the model called negative), so this is close to the
    precision of the negative alerts, not an accuracy over every post.
    """
    counts: dict[str, list[int]] = {}
    for item in feedback(conn, since=since):
        tally = counts.setdefault(item.lang or "unknown", [0, 0])
        tally[0] += agrees(item.model_label, item.label)
        tally[1] += 1
    rows = [Agreement(lang, agreed, checked) for lang, (agreed, checked) in counts.items()]
    return sorted(rows, key=lambda a: (-a.checked, a.lang))
