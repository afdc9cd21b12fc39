"""One Slack thread per post: opening it, editing its first message when the state changes, notes in it."""

from __future__ import annotations

import zlib
from datetime import datetime

from sqlalchemy import Connection

from monitor.alerts import outbox
from monitor.replies import incident_message, incidents, messages, paging, rules, store
from monitor.replies.settings import ReplySettings
from monitor.replies.store import History, Item


def thread_key(item_id: int) -> str:
    """The outbox key of an item's first message (its thread)."""
    return f"reply:{item_id}"


def playbook_for(row: Item, settings: ReplySettings) -> str:
    """The suggested first response: for a complaint its category's playbook (else the default one), for a
    question a neutral answer template; ``{author}``, ``{brand}`` and ``{category}`` filled in by the alert."""
    text = row.post_text or ""
    complaint = (
        row.post_sentiment == "negative"
        or settings.complaint_matcher.find(text) is not None
        or rules.complaint_word(text, settings.needs_reply) is not None
    )
    if not complaint:
        return settings.question_playbook
    return category_playbook(row.category, settings)


def category_playbook(category: str | None, settings: ReplySettings) -> str:
    """A complaint's suggested response: its category's playbook, else the default one."""
    for candidate in settings.categories:
        if candidate.name == category and candidate.playbook:
            return candidate.playbook
    return settings.default_playbook


def mentions_for(category: str | None, settings: ReplySettings) -> tuple[str, ...]:
    """The users and groups a category's alerts are addressed to."""
    return paging.category_team(category, settings)


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
    """Queue the alert that starts the item's thread; a high-priority post pages on-call (unless its incident did)."""
    row = store.item(conn, item_id)
    if row is None:
        return
    mentions = mentions_for(row.category, settings)
    if row.priority == "high" and row.incident_key is None:
        mentions = paging.on_call(settings, row.channel, now=now, category=row.category)
    message = messages.alert(
        row,
        brand_history=history_of(conn, row, settings),
        playbook=playbook_for(row, settings),
        mentions=mentions,
        key=thread_key(item_id),
        zone=settings.zone,
        now=now,
    )
    outbox.enqueue(conn, message, now=now)


def refresh(conn: Connection, item_id: int, settings: ReplySettings, *, now: datetime, note: str | None = None) -> None:
    """After a state change: edit the thread's first message (or its incident's) and add ``note``."""
    row = store.item(conn, item_id)
    if row is None:
        return
    if row.incident_key:
        # One edit of the incident per check, however many of its posts changed: the check's last step.
        incidents.touch(conn, row.incident_key)
    if row.summary_key or not row.alert_key:
        return  # no thread of its own (grouped, or held while an incident may form)
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


def render_incident(
    conn: Connection, key: str, settings: ReplySettings, *, now: datetime, force: bool = False
) -> bool:
    """Post an incident's message, or edit it when it holds more posts than it shows (or when ``force``).

    The first message pages on-call, once per incident (``paged_at``); edits never ping anyone again.
    """
    record = incidents.get(conn, key)
    if record is None or (not force and record.revision and record.rendered_posts >= record.posts):
        return False
    members = store.members(conn, key)
    links, waiting = _thread_links(conn, members)
    if waiting and not force and record.revision and record.rendered_posts == incidents.WAITING:
        return False  # nothing new to show until those threads are out (Slack slow or down: no edit per check)
    first = record.revision == 0
    page: tuple[str, ...] = ()
    if first and incidents.paged(conn, key, now=now):
        page = paging.on_call(settings, record.channel, now=now, category=record.category)
    elif record.paged_at is not None:
        page = paging.on_call(settings, record.channel, now=record.paged_at, category=record.category)
    # A thread still on its way gets its link by an edit once it is delivered, not never.
    revision = incidents.rendered(conn, key, posts_shown=incidents.WAITING if waiting else record.posts)
    message = incident_message.incident(
        record,
        members,
        playbook=category_playbook(record.category, settings),
        page=page,
        threads=links,
        update_rev=0 if first else revision,
        zone=settings.zone,
    )
    outbox.enqueue(conn, message, now=now)
    return True


def _thread_links(conn: Connection, members: list[Item]) -> tuple[dict[int, str], bool]:
    """Links to the delivered threads of an incident's posts that have one; whether some are still queued."""
    links, waiting = {}, False
    for row in members:
        if row.summary_key is not None or not row.alert_key:
            continue
        key = thread_key(row.id)
        if (where := outbox.location(conn, key)) is not None:
            channel, ts = where
            links[row.id] = f"https://slack.com/archives/{channel}/p{ts.replace('.', '')}"
        elif store.queued_message(conn, key):
            waiting = True
    return links, waiting


def incident_note(conn: Connection, key: str, *, now: datetime, note: str) -> None:
    """A line in an incident's thread."""
    record = incidents.get(conn, key)
    if record is None:
        return
    outbox.enqueue(
        conn,
        outbox.Message(
            dedup_key=f"{key}:note:{record.revision}:{zlib.crc32(note.encode()):08x}",
            kind="reply_note",
            channel=record.channel,
            text=note,
            thread_key=key,
        ),
        now=now,
    )
