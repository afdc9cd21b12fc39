"""leases for singleton jobs across instances; indexes for retention

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

from monitor.storage.types import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "leases",
        sa.Column("name", sa.String(length=191), nullable=False),
        sa.Column("holder", sa.String(length=128), nullable=False),
        sa.Column("acquired_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_leases")),
    )
    op.create_index("ix_posts_created_at", "posts", ["created_at"])
    op.create_index("ix_outbox_created_at", "outbox", ["created_at"])
    op.create_index("ix_outbox_thread_key", "outbox", ["thread_key"])
    op.create_index("ix_outbox_update_key", "outbox", ["update_key"])


def downgrade() -> None:
    op.drop_index("ix_outbox_update_key", table_name="outbox")
    op.drop_index("ix_outbox_thread_key", table_name="outbox")
    op.drop_index("ix_outbox_created_at", table_name="outbox")
    op.drop_index("ix_posts_created_at", table_name="posts")
    op.drop_table("leases")
