"""Initial schema: posts, mentions, cursors, source health, outbox.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from monitor.storage.types import BigId, UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "posts",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("post_id", sa.String(191), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("author", sa.String(191), nullable=False),
        sa.Column("author_id", sa.String(191)),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("url", sa.Text),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("fetched_at", UTCDateTime, nullable=False),
        sa.Column("reply_to", sa.String(191)),
        sa.Column("thread_id", sa.String(191)),
        sa.Column("metrics", sa.JSON, nullable=False),
        sa.Column("extra", sa.JSON, nullable=False),
        sa.Column("platform_lang", sa.String(16)),
        sa.Column("lang", sa.String(16)),
        sa.Column("from_brand", sa.Boolean, nullable=False),
        sa.Column("sentiment", sa.String(16)),
        sa.Column("sentiment_score", sa.Float),
        sa.Column("negative_score", sa.Float),
        sa.Column("low_confidence", sa.Boolean),
        sa.Column("classified_at", UTCDateTime),
        sa.PrimaryKeyConstraint("id", name="pk_posts"),
        sa.UniqueConstraint("platform", "post_id", name="uq_posts_platform_post_id"),
    )
    op.create_index(
        "ix_posts_unclassified",
        "posts",
        ["id"],
        sqlite_where=sa.text("classified_at IS NULL"),
        postgresql_where=sa.text("classified_at IS NULL"),
    )
    op.create_index("ix_posts_platform_reply_to", "posts", ["platform", "reply_to"])
    op.create_index("ix_posts_platform_thread_id", "posts", ["platform", "thread_id"])
    op.create_index("ix_posts_platform_author", "posts", ["platform", "author"])

    op.create_table(
        "mentions",
        sa.Column("brand", sa.String(128), nullable=False),
        sa.Column("post_pk", BigId, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("negative", sa.Boolean),
        sa.Column("from_brand", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("brand", "post_pk", name="pk_mentions"),
        sa.ForeignKeyConstraint(["post_pk"], ["posts.id"], name="fk_mentions_post_pk_posts", ondelete="CASCADE"),
    )
    op.create_index("ix_mentions_brand_created_at", "mentions", ["brand", "created_at"])
    op.create_index("ix_mentions_post_pk", "mentions", ["post_pk"])

    op.create_table(
        "cursors",
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("brand", sa.String(128), nullable=False),
        sa.Column("position", sa.Text),
        sa.Column("recent_ids", sa.JSON, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("source", "brand", name="pk_cursors"),
    )

    op.create_table(
        "source_health",
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("brand", sa.String(128), nullable=False),
        sa.Column("last_attempt_at", UTCDateTime),
        sa.Column("last_success_at", UTCDateTime),
        sa.Column("last_post_at", UTCDateTime),
        sa.Column("last_error_at", UTCDateTime),
        sa.Column("last_error", sa.Text),
        sa.Column("consecutive_failures", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_poll_at", UTCDateTime),
        sa.Column("disabled_at", UTCDateTime),
        sa.Column("disabled_reason", sa.Text),
        sa.Column("reported_at", UTCDateTime),
        sa.Column("posts_total", BigId, nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("source", "brand", name="pk_source_health"),
    )

    op.create_table(
        "outbox",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("dedup_key", sa.String(191), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(128), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("blocks", sa.JSON),
        sa.Column("thread_key", sa.String(191)),
        sa.Column("update_key", sa.String(191)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", UTCDateTime, nullable=False),
        sa.Column("claimed_at", UTCDateTime),
        sa.Column("claimed_by", sa.String(64)),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("sent_at", UTCDateTime),
        sa.Column("slack_channel", sa.String(64)),
        sa.Column("slack_ts", sa.String(32)),
        sa.Column("last_error", sa.Text),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sa.UniqueConstraint("dedup_key", name="uq_outbox_dedup_key"),
    )
    op.create_index("ix_outbox_status_next_attempt_at", "outbox", ["status", "next_attempt_at"])


def downgrade() -> None:
    op.drop_table("outbox")
    op.drop_table("source_health")
    op.drop_table("cursors")
    op.drop_index("ix_mentions_post_pk", "mentions")
    op.drop_index("ix_mentions_brand_created_at", "mentions")
    op.drop_table("mentions")
    op.drop_table("posts")
