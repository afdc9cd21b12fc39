"""reply queue: burst summaries, state revisions, the brand's closing reply

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from monitor.storage.types import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reply_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("summary_key", sa.String(length=191), nullable=True))
        batch_op.add_column(sa.Column("revision", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("snoozed_by", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("first_reply_id", sa.String(length=191), nullable=True))
        batch_op.create_index("ix_reply_items_channel_created_at", ["channel", "created_at"], unique=False)
        batch_op.create_index("ix_reply_items_summary_key", ["summary_key"], unique=False)
        batch_op.create_index("ix_reply_items_alert_key", ["alert_key"], unique=False)

    op.create_table(
        "reply_bursts",
        sa.Column("summary_key", sa.String(length=191), nullable=False),
        sa.Column("channel", sa.String(length=128), nullable=False),
        sa.Column("window_start", UTCDateTime(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("posts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("rendered_posts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("revision", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("summary_key", name=op.f("pk_reply_bursts")),
    )


def downgrade() -> None:
    op.drop_table("reply_bursts")
    with op.batch_alter_table("reply_items", schema=None) as batch_op:
        batch_op.drop_index("ix_reply_items_alert_key")
        batch_op.drop_index("ix_reply_items_summary_key")
        batch_op.drop_index("ix_reply_items_channel_created_at")
        batch_op.drop_column("first_reply_id")
        batch_op.drop_column("snoozed_by")
        batch_op.drop_column("revision")
        batch_op.drop_column("summary_key")
