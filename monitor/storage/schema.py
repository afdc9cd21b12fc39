"""The tables. Changes here need a migration in ``migrations/versions``."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
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
