"""incidents: posts due for reply grouped into one thread (replacing burst summaries); the complaint phrase
a post was flagged by

Revision ID: 0007
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

from monitor.storage.types import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("posts", sa.Column("complaint_phrase", sa.String(length=191), nullable=True))
    op.add_column("reply_items", sa.Column("incident_key", sa.String(length=191), nullable=True))
    op.create_index("ix_reply_items_incident_key", "reply_items", ["incident_key"])
    op.create_table(
        "reply_incidents",
        sa.Column("incident_key", sa.String(length=191), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("brand", sa.String(length=128), nullable=True),
        sa.Column("channel", sa.String(length=128), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("terms", sa.JSON(), nullable=False),
        sa.Column("spike_key", sa.String(length=191), nullable=True),
        sa.Column("explanation", sa.JSON(), nullable=True),
        sa.Column("window_start", UTCDateTime(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_post_at", UTCDateTime(), nullable=False),
        sa.Column("posts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("rendered_posts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("revision", sa.Integer(), server_default="0", nullable=False),
        sa.Column("paged_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("incident_key", name=op.f("pk_reply_incidents")),
    )
    op.create_index("ix_reply_incidents_brand_last_post_at", "reply_incidents", ["brand", "last_post_at"])
    op.create_index("ix_reply_incidents_spike_key", "reply_incidents", ["spike_key"])
    # Burst summaries already sent become incidents of kind "burst": same key, so their posts and buttons still
    # find them.
    op.execute(
        "INSERT INTO reply_incidents (incident_key, kind, channel, title, terms, window_start, created_at,"
        " last_post_at, posts, rendered_posts, revision)"
        " SELECT summary_key, 'burst', channel, 'Many posts at once', '[]', window_start, created_at, created_at,"
        " posts, rendered_posts, revision FROM reply_bursts"
    )
    op.execute("UPDATE reply_items SET incident_key = summary_key WHERE summary_key IS NOT NULL")
    op.drop_table("reply_bursts")


def downgrade() -> None:
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
    op.execute(
        "INSERT INTO reply_bursts (summary_key, channel, window_start, created_at, posts, rendered_posts, revision)"
        " SELECT incident_key, channel, window_start, created_at, posts, rendered_posts, revision"
        " FROM reply_incidents"
    )
    op.drop_index("ix_reply_incidents_spike_key", table_name="reply_incidents")
    op.drop_index("ix_reply_incidents_brand_last_post_at", table_name="reply_incidents")
    op.drop_table("reply_incidents")
    op.drop_index("ix_reply_items_incident_key", table_name="reply_items")
    with op.batch_alter_table("reply_items") as batch:  # SQLite drops a column by copying the table
        batch.drop_column("incident_key")
    with op.batch_alter_table("posts") as batch:
        batch.drop_column("complaint_phrase")
