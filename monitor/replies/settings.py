"""``[replies]`` settings: which posts need an answer, by when, where they go and who is paged."""

from __future__ import annotations

import re
from datetime import time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from monitor.replies.verbs import ACTIONS
from monitor.zones import ZoneName
from values.durations import Duration
from values.phrases import PhraseMatcher
from values.secrets import SecretSettings

PRIORITIES = ("high", "normal", "low")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# A Slack user (U…/W…) or user group (S…) id: what an escalation may mention.
_MENTION = re.compile(r"^[UWS][A-Z0-9]{2,}$")

# Words that make a post urgent whatever its score, in the languages the classifier reads. Matched as whole
# words on folded text (values.phrases): case, diacritics, ё/е and Arabic/Persian letter forms do not matter;
# a trailing * makes the last word a prefix.
DEFAULT_ESCALATION_KEYWORDS: dict[str, tuple[str, ...]] = {
    "en": ("lawsuit*", "sue", "lawyer*", "scam*", "fraud*", "refund", "boycott*", "chargeback", "police"),
    "pl": ("pozew", "pozwę", "pozwiemy", "prawnik*", "oszust*", "oszuści", "zwrot pieniędzy", "bojkot*", "reklamacj*"),
    "ru": ("суд", "суда", "иск", "адвокат*", "мошенни*", "развод", "развели", "возврат денег", "бойкот*"),
    "fa": ("شکایت*", "دادگاه", "وکیل", "کلاهبردار*", "کلاه‌بردار*", "بازپرداخت", "پس دادن پول", "تحریم"),
}
# Complaint phrases: with an escalation keyword, they queue a post for reply even when the model called it
# neutral (the safety net), and count the post as negative in the spike metrics. Matched like the keywords.
DEFAULT_COMPLAINT_PHRASES: dict[str, tuple[str, ...]] = {
    "en": (
        "not working", "doesn't work", "does not work", "stopped working", "broken", "is down", "still down",
        "down again", "fix it", "fix this", "still waiting", "never arrived", "charged twice", "double charged",
        "worst", "rip off", "ripoff", "money back", "unacceptable",
    ),
    "pl": (
        "nie działa", "nie działają", "zepsut*", "wciąż czekam", "nadal czekam", "nie dotarł*", "najgorsz*",
        "złodziej*", "skandal*", "oddajcie pieniądze", "pobrali dwa razy", "awaria",
    ),
    "ru": (
        "не работает", "не работают", "сломал*", "до сих пор жду", "не пришл*", "не пришел", "худш*", "верните деньги",
        "списали дважды", "обман*", "позор",
    ),
    "fa": (
        "کار نمی‌کند", "کار نمیکنه", "خراب", "هنوز منتظر", "نرسید", "بدترین", "پولم را پس", "پولمو پس",
        "افتضاح",
    ),
}  # fmt: skip
# Question markers (besides "?" / "؟"): a question addressed to the brand needs an answer even if neutral.
DEFAULT_QUESTION_WORDS: tuple[str, ...] = (
    "how do i", "how can i", "why is", "why does", "when will", "where is", "can you", "is there",
    "jak ", "dlaczego", "kiedy", "gdzie", "czy ",
    "как ", "почему", "когда", "где ", "можно ли",
    "چطور", "چرا", "کی ", "کجا", "آیا",
)  # fmt: skip

class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Window(_Section):
    """A weekly time window in a channel's zone: ``{ days = ["mon", "fri"], start = "09:00", end = "17:00" }``."""

    days: tuple[str, ...] = DAYS[:5]
    start: time = time(9, 0)
    end: time = time(17, 0)  # may be before start: the window runs past midnight

    @field_validator("days")
    @classmethod
    def _known_days(cls, days: tuple[str, ...]) -> tuple[str, ...]:
        bad = [d for d in days if d.lower()[:3] not in DAYS]
        if bad:
            raise ValueError(f"unknown day(s) {bad}: use {list(DAYS)}")
        return tuple(d.lower()[:3] for d in days)

    @model_validator(mode="after")
    def _not_empty(self) -> Window:
        if self.start == self.end:
            raise ValueError("start and end are equal: the window would be empty (omit hours for 24/7 cover)")
        return self


class ChannelHours(_Section):
    """When a channel is staffed: the SLA clock runs only in business hours and on-call windows."""

    timezone: ZoneName = "UTC"
    business: tuple[Window, ...] = ()
    on_call: tuple[Window, ...] = ()
    # Mentioned on escalation while an on-call window (rather than business hours) covers the time.
    on_call_mention: tuple[str, ...] = ()

    @field_validator("on_call_mention")
    @classmethod
    def _mentions(cls, ids: tuple[str, ...]) -> tuple[str, ...]:
        return _check_mentions(ids)


class Category(_Section):
    """A keyword category: routes matching posts to a team and suggests a first response."""

    name: str = Field(min_length=1, max_length=64)
    keywords: tuple[str, ...] = Field(min_length=1)  # any language; matched case-insensitively
    channel: str | None = None  # where its alerts go (default: the replies channel)
    mention: tuple[str, ...] = ()  # Slack users/groups told in the alert (U…, S…)
    playbook: str = ""  # suggested first response

    @field_validator("mention")
    @classmethod
    def _mentions(cls, ids: tuple[str, ...]) -> tuple[str, ...]:
        return _check_mentions(ids)


class NeedsReply(_Section):
    """Which posts need an answer from the brand."""

    negative: bool = True  # negative posts about the brand
    questions: bool = True  # questions addressed to the brand (handle mentioned or a reply in its thread)
    # The safety net: a complaint phrase or escalation keyword queues the post even when the model said
    # neutral, addressed to the brand or not; it also counts as negative in the spike metrics.
    complaints: bool = True
    # When true, negative posts must be addressed to the brand too; else naming the brand is enough.
    addressed_only: bool = False
    question_words: tuple[str, ...] = DEFAULT_QUESTION_WORDS
    complaint_words: tuple[str, ...] = ()  # more complaint phrases, any language (see [replies] complaint_phrases)
    # Spam: more links or hashtags than this, or any of the spam words.
    max_links: int = Field(default=3, ge=0)
    max_hashtags: int = Field(default=8, ge=0)
    spam_words: tuple[str, ...] = ("giveaway", "promo code", "crypto airdrop", "follow for follow", "dm for promo")


class PrioritySettings(_Section):
    """How urgent a post is: a score in [0, 1] from negativity, reach, engagement velocity and keywords."""

    high_at: float = Field(default=0.6, ge=0, le=1)  # score at or above: high priority
    low_below: float = Field(default=0.3, ge=0, le=1)  # score below: low priority
    # Reach (followers, or Reddit karma) that counts as the most influential (log scale below it).
    reach_full: int = Field(default=100_000, ge=1)
    # Engagements (likes, reposts, replies, score) per hour since posting that count as going viral.
    velocity_full: float = Field(default=200.0, gt=0)
    weight_negative: float = Field(default=0.4, ge=0)
    weight_reach: float = Field(default=0.3, ge=0)
    weight_velocity: float = Field(default=0.3, ge=0)
    # An escalation keyword alone makes a post high priority.
    keyword_is_high: bool = True

    @model_validator(mode="after")
    def _ordered(self) -> PrioritySettings:
        if self.low_below > self.high_at:
            raise ValueError("low_below must not be above high_at")
        return self


class IncidentSettings(_Section):
    """``[replies.incidents]``: similar posts due for reply close together become one incident thread."""

    enabled: bool = True
    posts: int = Field(default=5, ge=2)  # this many similar posts ...
    window: Duration = timedelta(minutes=10)  # ... within this long open an incident
    # Similar: the same category and brand, and near-duplicate text (word-set Jaccard at least `near_duplicate`)
    # or at least `shared_terms` content words in common.
    near_duplicate: float = Field(default=0.6, gt=0, le=1)
    shared_terms: int = Field(default=2, ge=1)
    # An incident takes in new similar posts until it has had none for this long.
    idle: Duration = timedelta(hours=1)
    # A normal or low priority post similar to a recent one (a cluster forming, short of `posts`) waits this
    # long for its thread, so a crisis that trickles in joins its incident instead. 0s: never wait.
    hold: Duration = timedelta(minutes=3)


class ReplySettings(_Section, SecretSettings):
    """``[replies]``: the reply queue with its SLA timers and one Slack thread per post."""

    secret_fields = ("app_token_env",)

    enabled: bool = False
    # When on, the reply alert replaces the one-alert-per-negative-post rule ([alerts] negative_posts).
    replaces_negative_alerts: bool = True
    channel: str | None = None  # default: [slack] alerts_channel
    high_priority_channel: str | None = None  # high priority posts go here (default: their usual channel)
    # SLA per platform and priority: sla.default, sla.x = "30m" or sla.x = { high = "15m", normal = "1h" }.
    sla: dict[str, Duration | dict[str, Duration]] = Field(default_factory=lambda: _default_sla())
    reminder_before: Duration = timedelta(minutes=15)
    snooze: Duration = timedelta(minutes=30)
    on_call: tuple[str, ...] = ()  # Slack users/groups mentioned when a post passes its deadline
    hours: dict[str, ChannelHours] = Field(default_factory=dict)  # per channel; absent: staffed 24/7
    needs_reply: NeedsReply = NeedsReply()
    priority: PrioritySettings = PrioritySettings()
    escalation_keywords: dict[str, tuple[str, ...]] = Field(default_factory=lambda: dict(DEFAULT_ESCALATION_KEYWORDS))
    complaint_phrases: dict[str, tuple[str, ...]] = Field(default_factory=lambda: dict(DEFAULT_COMPLAINT_PHRASES))
    categories: tuple[Category, ...] = ()
    incidents: IncidentSettings = IncidentSettings()
    # Suggested first responses ({author}, {brand}, {category} are filled in): a complaint gets its category's
    # playbook, else default_playbook; a question (not negative, no complaint words) gets question_playbook.
    default_playbook: str = (
        "Hi {author}, thanks for telling us and sorry about this. Could you send us a DM with the details "
        "so we can sort it out?"
    )
    question_playbook: str = (
        "Hi {author}, thanks for asking! [your answer] If anything is still unclear, send us a DM and we will help."
    )
    # The team's zone for times written in alert text (Slack shows its date tokens in each reader's own zone).
    # Default: [schedule] timezone.
    timezone: ZoneName | None = None
    # Posts older than this when classified (a first poll's history, a catch-up after downtime) are not
    # queued: they stay in the author's history, but nobody is paged about a week-old post.
    max_age: Duration = timedelta(hours=24)
    # The author's earlier posts about the brand shown in the alert, from this far back.
    history_window: Duration = timedelta(days=30)
    # More than burst_threshold new reply alerts in one channel within burst_window: the rest of the
    # window's posts go into one summary message (high priority ones keep their own thread up to burst_high).
    burst_threshold: int = Field(default=20, ge=1)
    burst_window: Duration = timedelta(minutes=1)
    burst_high: int = Field(default=10, ge=0)
    # Socket Mode (buttons and reactions): the app-level token (xapp-…) is read from this env var.
    socket_mode: bool = True
    app_token_env: str = "SLACK_APP_TOKEN"
    # Emoji reactions on an alert, as a fallback for the buttons.
    reactions: dict[str, str] = Field(
        default_factory=lambda: {
            "eyes": "acknowledge",
            "white_check_mark": "handled",
            "heavy_check_mark": "handled",
            "ok_hand": "not_negative",
            "zzz": "snooze",
        }
    )

    @field_validator("sla")
    @classmethod
    def _sla_shape(
        cls, sla: dict[str, timedelta | dict[str, timedelta]]
    ) -> dict[str, timedelta | dict[str, timedelta]]:
        for platform, value in sla.items():
            if isinstance(value, dict):
                unknown = sorted(set(value) - set(PRIORITIES))
                if unknown:
                    raise ValueError(f"sla.{platform}: unknown priority {unknown}; use {list(PRIORITIES)}")
        return sla

    def safety_net(self) -> dict[str, tuple[str, ...]]:
        """Every phrase that queues a post whatever the model said: escalation keywords, then complaints."""
        merged: dict[str, tuple[str, ...]] = {}
        for lists in (self.escalation_keywords, self.complaint_phrases, {"any": self.needs_reply.complaint_words}):
            for lang, phrases in lists.items():
                merged[lang] = merged.get(lang, ()) + tuple(phrases)
        return merged

    @cached_property
    def complaint_matcher(self) -> PhraseMatcher:
        """The safety net's phrases, built once for these settings."""
        return PhraseMatcher(self.safety_net())

    @field_validator("on_call")
    @classmethod
    def _mentions(cls, ids: tuple[str, ...]) -> tuple[str, ...]:
        return _check_mentions(ids)

    @field_validator("reactions")
    @classmethod
    def _actions(cls, reactions: dict[str, str]) -> dict[str, str]:
        bad = {emoji: action for emoji, action in reactions.items() if action not in ACTIONS}
        if bad:
            raise ValueError(f"unknown action(s) {bad}: use one of {sorted(ACTIONS)}")
        return {emoji.strip(":"): action for emoji, action in reactions.items()}

    @model_validator(mode="after")
    def _cross_checks(self) -> ReplySettings:
        names = [c.name for c in self.categories]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"categories: duplicate name(s) {dupes}")
        return self

    @property
    def zone(self) -> ZoneInfo:
        """The team's zone for times in alert text."""
        return ZoneInfo(self.timezone or "UTC")

    def sla_for(self, platform: str, priority: str) -> timedelta:
        """The SLA for a post on ``platform`` with ``priority``: platform entry, else default."""
        for key in (platform, "default"):
            value = self.sla.get(key)
            if isinstance(value, timedelta):
                return value
            if isinstance(value, dict) and priority in value:
                return value[priority]
        return timedelta(hours=1)


def _default_sla() -> dict[str, timedelta | dict[str, timedelta]]:
    return {"default": timedelta(hours=1)}


def _check_mentions(ids: tuple[str, ...]) -> tuple[str, ...]:
    bad = [i for i in ids if not _MENTION.match(i)]
    if bad:
        raise ValueError(f"{bad}: use Slack ids, U… for a person or S… for a user group (not names)")
    return ids
