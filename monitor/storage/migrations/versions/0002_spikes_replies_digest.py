"""spikes, reply queue, feedback, digest runs

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from monitor.storage.types import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "digest_runs",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("digest_date", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("blocks", sa.JSON(), nullable=True),
        sa.Column("chart", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.Column("slack_ts", sa.String(length=32), nullable=True),
        sa.Column("file_id", sa.String(length=64), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digest_runs")),
        sa.UniqueConstraint("digest_date", "channel", name=op.f("uq_digest_runs_digest_date_channel")),
    )
    op.create_table(
        "spike_detectors",
        sa.Column("brand", sa.String(length=128), nullable=False),
        sa.Column("metric", sa.String(length=16), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("last_bucket_at", UTCDateTime(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("brand", "metric", name=op.f("pk_spike_detectors")),
    )
    op.create_table(
        "spikes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("spike_key", sa.String(length=191), nullable=False),
        sa.Column("brand", sa.String(length=128), nullable=False),
        sa.Column("metric", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("opened_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("resolved_at", UTCDateTime(), nullable=True),
        sa.Column("peak_at", UTCDateTime(), nullable=False),
        sa.Column("peak_count", sa.Float(), nullable=False),
        sa.Column("expected", sa.Float(), nullable=False),
        sa.Column("updates", sa.Integer(), server_default="0", nullable=False),
        sa.Column("drivers", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spikes")),
        sa.UniqueConstraint("spike_key", name=op.f("uq_spikes_spike_key")),
    )
    with op.batch_alter_table("spikes", schema=None) as batch_op:
        batch_op.create_index("ix_spikes_brand_opened_at", ["brand", "opened_at"], unique=False)

    op.create_table(
        "classification_feedback",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("post_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("label", sa.String(length=16), nullable=False),
        sa.Column("model_label", sa.String(length=16), nullable=True),
        sa.Column("user_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["post_pk"], ["posts.id"], name=op.f("fk_classification_feedback_post_pk_posts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_classification_feedback")),
    )
    with op.batch_alter_table("classification_feedback", schema=None) as batch_op:
        batch_op.create_index("ix_classification_feedback_post_pk", ["post_pk"], unique=False)

    op.create_table(
        "reply_items",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("brand", sa.String(length=128), nullable=False),
        sa.Column("post_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("post_id", sa.String(length=191), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("priority", sa.String(length=16), nullable=False),
        sa.Column("priority_score", sa.Float(), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=True),
        sa.Column("channel", sa.String(length=128), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("posted_at", UTCDateTime(), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("reminded_at", UTCDateTime(), nullable=True),
        sa.Column("escalated_at", UTCDateTime(), nullable=True),
        sa.Column("snoozed_until", UTCDateTime(), nullable=True),
        sa.Column("acknowledged_at", UTCDateTime(), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=64), nullable=True),
        sa.Column("first_reply_at", UTCDateTime(), nullable=True),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("closed_by", sa.String(length=64), nullable=True),
        sa.Column("within_sla", sa.Boolean(), nullable=True),
        sa.Column("alert_key", sa.String(length=191), nullable=False),
        sa.ForeignKeyConstraint(
            ["post_pk"], ["posts.id"], name=op.f("fk_reply_items_post_pk_posts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reply_items")),
        sa.UniqueConstraint("brand", "post_pk", name=op.f("uq_reply_items_brand_post_pk")),
    )
    with op.batch_alter_table("reply_items", schema=None) as batch_op:
        batch_op.create_index("ix_reply_items_brand_posted_at", ["brand", "posted_at"], unique=False)
        batch_op.create_index("ix_reply_items_platform_post_id", ["platform", "post_id"], unique=False)
        batch_op.create_index("ix_reply_items_status_due_at", ["status", "due_at"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("reply_items", schema=None) as batch_op:
        batch_op.drop_index("ix_reply_items_status_due_at")
        batch_op.drop_index("ix_reply_items_platform_post_id")
        batch_op.drop_index("ix_reply_items_brand_posted_at")

    op.drop_table("reply_items")
    with op.batch_alter_table("classification_feedback", schema=None) as batch_op:
        batch_op.drop_index("ix_classification_feedback_post_pk")

    op.drop_table("classification_feedback")
    with op.batch_alter_table("spikes", schema=None) as batch_op:
        batch_op.drop_index("ix_spikes_brand_opened_at")

    op.drop_table("spikes")
    op.drop_table("spike_detectors")
    op.drop_table("digest_runs")
