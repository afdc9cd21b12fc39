"""The tables. Changes here need a migration in ``migrations/versions``."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from monitor.storage.types import BigId, UTCDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

posts = Table(
    "posts",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("platform", String(32), nullable=False),
    Column("post_id", String(191), nullable=False),
    Column("source", String(32), nullable=False),  # the source that fetched it (replay can carry x posts)
    Column("author", String(191), nullable=False),
    Column("author_id", String(191)),
    Column("text", Text, nullable=False),
    Column("url", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("fetched_at", UTCDateTime, nullable=False),
    Column("reply_to", String(191)),
    Column("thread_id", String(191)),
    Column("metrics", JSON, nullable=False),
    Column("extra", JSON, nullable=False),
    Column("platform_lang", String(16)),  # the platform's hint
    Column("lang", String(16)),  # detected
    Column("from_brand", Boolean, nullable=False),  # written by one of the brand's own accounts
    Column("sentiment", String(16)),
    Column("sentiment_score", Float),
    Column("negative_score", Float),
    Column("low_confidence", Boolean),
    Column("classified_at", UTCDateTime),
    # The complaint phrase or escalation keyword found when it was classified (the safety net, 0007): the
    # post counts as negative (mentions.negative) whatever the model said.
    Column("complaint_phrase", String(191)),
    UniqueConstraint("platform", "post_id"),
    # The classifier's work queue: small, because classified rows leave it.
    Index(
        "ix_posts_unclassified",
        "id",
        sqlite_where=text("classified_at IS NULL"),
        postgresql_where=text("classified_at IS NULL"),
    ),
    Index("ix_posts_platform_reply_to", "platform", "reply_to"),
    Index("ix_posts_platform_thread_id", "platform", "thread_id"),
    Index("ix_posts_platform_author", "platform", "author"),
)

# A post can mention several brands; spike detection and the digest count per brand and time.
mentions = Table(
    "mentions",
    metadata,
    Column("brand", String(128), primary_key=True),
    Column("post_pk", BigId, ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True),
    Column("created_at", UTCDateTime, nullable=False),  # copied from the post for index-only counts
    Column("negative", Boolean),  # null until classified
    Column("from_brand", Boolean, nullable=False),
    Index("ix_mentions_brand_created_at", "brand", "created_at"),
    Index("ix_mentions_post_pk", "post_pk"),
)

cursors = Table(
    "cursors",
    metadata,
    Column("source", String(64), primary_key=True),
    Column("brand", String(128), primary_key=True),
    Column("position", Text),
    Column("recent_ids", JSON, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

source_health = Table(
    "source_health",
    metadata,
    Column("source", String(64), primary_key=True),
    Column("brand", String(128), primary_key=True),
    Column("last_attempt_at", UTCDateTime),
    Column("last_success_at", UTCDateTime),
    Column("last_post_at", UTCDateTime),  # last time a poll brought new posts
    Column("last_error_at", UTCDateTime),
    Column("last_error", Text),
    Column("consecutive_failures", Integer, nullable=False, server_default="0"),
    Column("next_poll_at", UTCDateTime),  # back-off after 429s and outages
    Column("disabled_at", UTCDateTime),  # credentials rejected: a person must fix it
    Column("disabled_reason", Text),
    Column("reported_at", UTCDateTime),  # last ops alert about this source
    Column("posts_total", BigId, nullable=False, server_default="0"),
    # Start of the current quarantine incident (items quarantined, no clean poll since); added in 0005.
    Column("quarantined_since", UTCDateTime),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    # What makes a message unique: enqueueing the same key twice is a no-op.
    Column("dedup_key", String(191), nullable=False, unique=True),
    Column("kind", String(32), nullable=False),
    Column("channel", String(128), nullable=False),
    Column("text", Text, nullable=False),  # plain-text fallback (notifications, screen readers)
    Column("blocks", JSON),
    Column("thread_key", String(191)),  # post as a reply in the thread of this message
    Column("update_key", String(191)),  # chat.update the message with this key instead of posting
    Column("status", String(16), nullable=False),  # pending | sending | sent | dead
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("claimed_at", UTCDateTime),
    Column("claimed_by", String(64)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime),
    Column("slack_channel", String(64)),
    Column("slack_ts", String(32)),
    Column("last_error", Text),
    Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),
)

# --- spikes (issue 5): one row per spike; its Slack thread is keyed by ``spike_key`` -------------
spikes = Table(
    "spikes",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("spike_key", String(191), nullable=False, unique=True),  # brand:metric:opened bucket
    Column("brand", String(128), nullable=False),
    Column("metric", String(16), nullable=False),  # negative | volume | share
    Column("status", String(16), nullable=False),  # open | resolved
    Column("opened_at", UTCDateTime, nullable=False),  # the bucket that opened it
    Column("updated_at", UTCDateTime, nullable=False),
    Column("resolved_at", UTCDateTime),
    Column("peak_at", UTCDateTime, nullable=False),
    Column("peak_count", Float, nullable=False),
    Column("expected", Float, nullable=False),  # the baseline at opening
    Column("updates", Integer, nullable=False, server_default="0"),
    Column("drivers", JSON),  # what drives it (terms, top posts, platforms, languages, viral or not)
    Index("ix_spikes_brand_opened_at", "brand", "opened_at"),
)

# The detector's learned state per (brand, metric), saved after every bucket it consumed.
spike_detectors = Table(
    "spike_detectors",
    metadata,
    Column("brand", String(128), primary_key=True),
    Column("metric", String(16), primary_key=True),
    Column("state", JSON, nullable=False),
    Column("last_bucket_at", UTCDateTime),  # the newest final bucket fed to `state`; the next run starts after it
    Column("updated_at", UTCDateTime, nullable=False),
    # Buckets still open to late posts are replayed on a copy of `state` at every check: the events
    # already acted on from them (so a replay never alerts twice) and spike ids renamed by late posts.
    Column("provisional", JSON),
    Column("last_check", JSON),  # the newest bucket's check: observed, expected, window, p-value, threshold, why
    Column("history_from", UTCDateTime),  # the first bucket the detector learned from
    Column("alerts_from", UTCDateTime),  # when it could first alert at full sensitivity (end of its warm-up)
)

# --- posts due for reply (issue 6) --------------------------------------------------------------
reply_items = Table(
    "reply_items",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("brand", String(128), nullable=False),
    Column("post_pk", BigId, ForeignKey("posts.id", ondelete="CASCADE"), nullable=False),
    Column("platform", String(32), nullable=False),
    Column("post_id", String(191), nullable=False),
    # open | acknowledged | snoozed | handled | replied | not_negative
    Column("status", String(16), nullable=False),
    Column("priority", String(16), nullable=False),  # high | normal | low
    Column("priority_score", Float, nullable=False),
    Column("category", String(64)),  # billing, delivery, outage, ... (routing)
    Column("channel", String(128), nullable=False),  # where its thread lives
    Column("reason", Text, nullable=False),  # why it needs a reply, shown in the alert
    Column("posted_at", UTCDateTime, nullable=False),
    Column("due_at", UTCDateTime, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("reminded_at", UTCDateTime),
    Column("escalated_at", UTCDateTime),
    Column("snoozed_until", UTCDateTime),
    Column("acknowledged_at", UTCDateTime),
    Column("acknowledged_by", String(64)),
    Column("first_reply_at", UTCDateTime),  # the brand's first reply on the platform
    Column("closed_at", UTCDateTime),
    Column("closed_by", String(64)),  # a Slack user id, or "platform" for the brand's own reply
    Column("within_sla", Boolean),  # set when closed: first response before due_at
    Column("alert_key", String(191), nullable=False),  # outbox key of the thread's first message
    # Set when the post is grouped into an incident and has no thread of its own: the incident's outbox key
    # (its reminders and escalation go to the incident's thread). Added in 0003 (for bursts).
    Column("summary_key", String(191)),
    Column("revision", Integer, nullable=False, server_default="0"),  # bumped per state change (chat.update keys)
    Column("snoozed_by", String(64)),
    Column("first_reply_id", String(191)),  # the brand's reply on the platform that closed it
    # The incident it belongs to, also when it keeps a thread of its own (high priority). Added in 0007.
    Column("incident_key", String(191)),
    UniqueConstraint("brand", "post_pk"),
    Index("ix_reply_items_status_due_at", "status", "due_at"),
    Index("ix_reply_items_brand_posted_at", "brand", "posted_at"),
    Index("ix_reply_items_platform_post_id", "platform", "post_id"),
    Index("ix_reply_items_channel_created_at", "channel", "created_at"),
    Index("ix_reply_items_summary_key", "summary_key"),
    Index("ix_reply_items_alert_key", "alert_key"),
    Index("ix_reply_items_incident_key", "incident_key"),
)

# One crisis, one incident (0007; replaces 0003's reply_bursts): posts due for reply grouped into one Slack
# thread, because they are similar (kind "similar"), came with a spike ("spike"), or are simply too many for
# one channel at once ("burst").
reply_incidents = Table(
    "reply_incidents",
    metadata,
    Column("incident_key", String(191), primary_key=True),  # also the outbox key of its message
    Column("kind", String(16), nullable=False),  # similar | spike | burst
    Column("brand", String(128)),  # null for a burst, which is per channel
    Column("channel", String(128), nullable=False),
    Column("category", String(64)),
    Column("title", String(300), nullable=False),
    Column("terms", JSON, nullable=False),  # folded words a post shares with it to join
    Column("spike_key", String(191)),  # the spike it came with, if any
    Column("explanation", JSON),  # the spike's explanation, shown in the incident
    Column("window_start", UTCDateTime, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_post_at", UTCDateTime, nullable=False),  # when a post last joined
    Column("posts", Integer, nullable=False, server_default="0"),  # posts in it so far
    Column("rendered_posts", Integer, nullable=False, server_default="0"),  # the count its message shows
    Column("revision", Integer, nullable=False, server_default="0"),
    Column("paged_at", UTCDateTime),  # on-call was paged for it (once)
    Index("ix_reply_incidents_brand_last_post_at", "brand", "last_post_at"),
    Index("ix_reply_incidents_spike_key", "spike_key"),
)

# "Not negative" and similar corrections from people, kept for evaluation and retraining.
classification_feedback = Table(
    "classification_feedback",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("post_pk", BigId, ForeignKey("posts.id", ondelete="CASCADE"), nullable=False),
    Column("label", String(16), nullable=False),  # the label a person says is right
    Column("model_label", String(16)),  # what the model said
    Column("user_id", String(64)),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_classification_feedback_post_pk", "post_pk"),
)

# --- the daily digest (issue 7): one row per (day, channel), sent exactly once ------------------
digest_runs = Table(
    "digest_runs",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("digest_date", Date, nullable=False),  # the local day it covers
    Column("channel", String(128), nullable=False),
    Column("status", String(16), nullable=False),  # pending | sent | dead
    Column("text", Text, nullable=False),
    Column("blocks", JSON),
    Column("chart", LargeBinary),  # PNG
    Column("created_at", UTCDateTime, nullable=False),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("sent_at", UTCDateTime),
    Column("slack_ts", String(32)),
    Column("file_id", String(64)),
    Column("last_error", Text),
    UniqueConstraint("digest_date", "channel"),
)

# --- several instances on one database (issue 8) -------------------------------------------------
# Who runs a singleton job (a poll of one (source, brand), the spike check, retention) until when.
leases = Table(
    "leases",
    metadata,
    Column("name", String(191), primary_key=True),
    Column("holder", String(128), nullable=False),
    Column("acquired_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
)
# Retention prunes by age, and keeps outbox rows that are still some thread's parent.
Index("ix_posts_created_at", posts.c.created_at)
Index("ix_outbox_created_at", outbox.c.created_at)
Index("ix_outbox_thread_key", outbox.c.thread_key)
Index("ix_outbox_update_key", outbox.c.update_key)

# --- nothing the internet sends stops a source (issue 14) ----------------------------------------
# Items a source returned that could not be read or stored: kept with their reason, retried by
# `brand-monitor quarantine retry` after a fix. One row per (source, brand, payload).
quarantine = Table(
    "quarantine",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("source", String(64), nullable=False),
    Column("brand", String(128), nullable=False),
    Column("platform", String(32)),  # when it could be read
    Column("item_id", String(191)),  # the platform's id for it, when it could be read (fitted to the column)
    # "read": the connector could not read it, raw is the platform's payload (re-read by the source's parser);
    # "store": read but not storable, raw is the post in the replay format (re-read by connectors.replay).
    Column("stage", String(16), nullable=False),
    Column("fingerprint", String(64), nullable=False),  # sha256 of raw: a re-read quarantines nothing twice
    Column("raw", Text, nullable=False),  # the item as received, JSON with every non-ASCII character escaped
    Column("reason", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),  # retries after the first failure
    Column("retried_at", UTCDateTime),
    Column("released_at", UTCDateTime),  # stored by a retry: no longer quarantined
    UniqueConstraint("source", "brand", "fingerprint"),
    Index("ix_quarantine_released_at_source", "released_at", "source"),
)

# Slack Socket Mode envelopes already applied: Slack re-sends an envelope whose ack it missed.
slack_envelopes = Table(
    "slack_envelopes",
    metadata,
    Column("envelope_id", String(191), primary_key=True),
    Column("received_at", UTCDateTime, nullable=False),
    Index("ix_slack_envelopes_received_at", "received_at"),
)
