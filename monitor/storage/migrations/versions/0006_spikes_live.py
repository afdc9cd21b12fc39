"""spike detectors on live data: the provisional replay's bookkeeping, the latest check, the warm-up state

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

from monitor.storage.types import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("spike_detectors") as batch:
        batch.add_column(sa.Column("provisional", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("last_check", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("history_from", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("alerts_from", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("spike_detectors") as batch:
        batch.drop_column("alerts_from")
        batch.drop_column("history_from")
        batch.drop_column("last_check")
        batch.drop_column("provisional")
