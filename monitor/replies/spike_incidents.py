"""A spike of a brand's negative mentions opens its incident, or joins the one its posts already formed."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from monitor.config import BrandSettings
from monitor.replies import announce, incidents, similarity, store, threads
from monitor.replies.settings import ReplySettings
from values.textfold import words

log = logging.getLogger(__name__)


@dataclass
class SpikeIncidents:
    """The spike watch's incident hook: one crisis, one thread (the incident's), with the spike explained in it."""

    settings: ReplySettings
    brands: Mapping[str, BrandSettings]
    default_channel: str

    def __call__(
        self, conn: Connection, *, brand: str, spike_key: str, explanation: dict[str, Any], now: datetime
    ) -> tuple[str, str] | None:
        """Open or join the brand's incident for the spike; (its thread key, its channel)."""
        if not self.settings.incidents.enabled:
            return None
        for record in incidents.active(conn, brands=[brand], since=now - self.settings.incidents.idle):
            if record.spike_key is None:
                incidents.set_spike(conn, record.incident_key, spike_key=spike_key, explanation=explanation, now=now)
                threads.render_incident(conn, record.incident_key, self.settings, now=now, force=True)
                log.warning("replies: spike %s joins incident %s", spike_key, record.incident_key)
            return record.incident_key, record.channel
        terms = sorted({w for term in explanation.get("terms") or () for w in words(str(term))})
        record = incidents.Incident(
            incident_key=f"incident:spike:{spike_key}"[:191],
            kind=incidents.SPIKE,
            channel=self.settings.channel or self.default_channel,
            title="",
            window_start=now - self.settings.incidents.window,
            brand=brand,
            terms={"words": terms, "terms": terms},
            spike_key=spike_key,
            explanation=explanation,
            created_at=now,
            last_post_at=now,
        )
        if incidents.create(conn, record):
            announcer = announce.Announcer(self.settings)
            self._gather(conn, record, announcer, now=now)
            announcer.finish(conn, opened=[record.incident_key], now=now)
            log.warning("replies: spike %s opened incident %s", spike_key, record.incident_key)
        return record.incident_key, record.channel

    def _gather(
        self, conn: Connection, record: incidents.Incident, announcer: announce.Announcer, *, now: datetime
    ) -> None:
        """Posts of the brand queued shortly before the spike that match what drives it: they are part of it."""
        brand = record.brand or ""
        config = self.brands.get(brand)
        exclude = similarity.brand_words((brand, *(config.search_terms if config else ())))
        for row in store.recent_ungrouped(conn, brands=[brand], since=record.window_start):
            print_ = similarity.fingerprint(row.post_text or "", exclude=exclude)
            if similarity.joins(record.terms, print_, self.settings.incidents):
                announcer.move_into(conn, row, record.incident_key, now=now)
