"""One Slack thread per post: opening it, editing its first message when the state changes, notes in it."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

from sqlalchemy import Connection

from monitor.alerts import outbox
from monitor.replies import messages, rules, store
from monitor.replies.settings import ReplySettings
from monitor.replies.store import History, Item


def thread_key(item_id: int) -> str:
    """The outbox key of an item's first message (its thread)."""
    return f"reply:{item_id}"


def playbook_for(row: Item, settings: ReplySettings) -> str:
    """The suggested first response: for a complaint its category's playbook (else the default one), for a
    question a neutral answer template; ``{author}``, ``{brand}`` and ``{category}`` filled in by the alert."""
    complaint = row.post_sentiment == "negative" or rules.complaint_word(row.post_text or "", settings.needs_reply)
    if not complaint:
        return settings.question_playbook
    for candidate in settings.categories:
        if candidate.name == row.category and candidate.playbook:
            return candidate.playbook
    return settings.default_playbook


def mentions_for(category: str | None, settings: ReplySettings) -> tuple[str, ...]:
    """The users and groups a category's alerts are addressed to."""
    for candidate in settings.categories:
        if candidate.name == category:
            return candidate.mention
    return ()


def history_of(conn: Connection, row: Item, settings: ReplySettings) -> History:
    """The author's earlier posts about the brand within the history window."""
    return store.author_history(
        conn,
        brand=row.brand,
        platform=row.platform,
        author=row.post_author or "",
        before=row.posted_at,
        since=row.posted_at - settings.history_window,
        exclude=row.post_pk,
    )


def open_thread(conn: Connection, item_id: int, settings: ReplySettings, *, now: datetime) -> None:
    """Queue the alert that starts the item's thread."""
    row = store.item(conn, item_id)
    if row is None:
        return
    message = messages.alert(
        row,
        brand_history=history_of(conn, row, settings),
        playbook=playbook_for(row, settings),
        mentions=mentions_for(row.category, settings),
        key=thread_key(item_id),
        zone=settings.zone,
        now=now,
    )
    outbox.enqueue(conn, message, now=now)


def refresh(conn: Connection, item_id: int, settings: ReplySettings, *, now: datetime, note: str | None = None) -> None:
    """After a state change: edit the thread's first message (or its burst summary) and add ``note``."""
    row = store.item(conn, item_id)
    if row is None:
        return
    if row.summary_key:
        # One edit of the summary per check, however many of its posts changed: the check's last step.
        store.touch_burst(conn, row.summary_key)
        return
    key = thread_key(item_id)
    revision = row.revision
    outbox.enqueue(
        conn,
        messages.alert(
            row,
            brand_history=history_of(conn, row, settings),
            playbook=playbook_for(row, settings),
            mentions=mentions_for(row.category, settings),
            key=key,
            update=True,
            revision=revision,
            zone=settings.zone,
            now=now,
        ),
        now=now,
    )
    if note:
        outbox.enqueue(conn, messages.state_note(row, key=key, revision=revision, note=note), now=now)


def refresh_burst(conn: Connection, key: str, *, now: datetime, force: bool = False, zone: tzinfo = UTC) -> bool:
    """Re-render a burst summary when it holds more posts than it shows (or when ``force``)."""
    burst = store.burst(conn, key)
    if burst is None or (not force and burst.rendered_posts >= burst.posts):
        return False
    revision = store.burst_rendered(conn, key, posts_shown=burst.posts)
    stats = store.burst_stats(conn, key)
    top = store.top_of_burst(conn, key, limit=messages.TOP_IN_SUMMARY)
    outbox.enqueue(conn, messages.summary(burst, stats, top, update_rev=revision, zone=zone), now=now)
    return True


def burst_note(conn: Connection, key: str, *, now: datetime, note: str) -> None:
    """A line in a burst summary's thread."""
    burst = store.burst(conn, key)
    if burst is None:
        return
    revision = burst.revision
    outbox.enqueue(
        conn,
        outbox.Message(
            dedup_key=f"{key}:note:{revision}", kind="reply_note", channel=burst.channel, text=note, thread_key=key
        ),
        now=now,
    )
