"""quarantine for items that cannot be read or stored (and each source's quarantine incident); Slack envelopes
already applied

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

from monitor.storage.types import BigId, UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "quarantine",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("brand", sa.String(length=128), nullable=False),
        sa.Column("platform", sa.String(length=32), nullable=True),
        sa.Column("item_id", sa.String(length=191), nullable=True),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("retried_at", UTCDateTime(), nullable=True),
        sa.Column("released_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quarantine")),
        sa.UniqueConstraint("source", "brand", "fingerprint", name=op.f("uq_quarantine_source_brand_fingerprint")),
    )
    op.create_index("ix_quarantine_released_at_source", "quarantine", ["released_at", "source"])
    op.add_column("source_health", sa.Column("quarantined_since", UTCDateTime(), nullable=True))
    op.create_table(
        "slack_envelopes",
        sa.Column("envelope_id", sa.String(length=191), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("envelope_id", name=op.f("pk_slack_envelopes")),
    )
    op.create_index("ix_slack_envelopes_received_at", "slack_envelopes", ["received_at"])


def downgrade() -> None:
    op.drop_index("ix_slack_envelopes_received_at", table_name="slack_envelopes")
    op.drop_table("slack_envelopes")
    with op.batch_alter_table("source_health") as batch:  # SQLite drops a column by copying the table
        batch.drop_column("quarantined_since")
    op.drop_index("ix_quarantine_released_at_source", table_name="quarantine")
    op.drop_table("quarantine")
