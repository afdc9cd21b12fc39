"""Load ``config.toml`` into typed, frozen settings, reporting every problem at once."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from datetime import time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    create_model,
    field_validator,
    model_validator,
)

from connectors.base import Query
from connectors.registry import SOURCES
from connectors.settings import SourceSettings
from models.settings import ClassifierSettings
from monitor.digest.settings import DigestSettings
from monitor.ops.settings import LoggingSettings, ObservabilitySettings, RetentionSettings
from monitor.replies.settings import ReplySettings
from monitor.spikes.settings import SpikeSettings
from monitor.zones import ZoneName, check_zone
from values.durations import Duration
from values.query_syntax import QuerySyntaxError, parse_query
from values.query_tree import Expr, positive_terms, terms_query
from values.secrets import Secret, SecretSettings, secrets_in

DEFAULT_PATH = Path("config.toml")
ENV_PATH = "BRAND_MONITOR_CONFIG"


class ConfigError(Exception):
    """The config is unusable; ``problems`` lists each one as ``field: what is wrong``."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{source}: {len(problems)} problem(s) in the config:\n{lines}")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StorageSettings(_Section):
    """``[storage]``: where posts, cursors and the outbox live."""

    # SQLAlchemy URL. A relative SQLite path is taken relative to the config file.
    url: str = "sqlite:///brand-monitor.db"
    echo: bool = False

    @field_validator("url")
    @classmethod
    def _known_backend(cls, url: str) -> str:
        if not re.match(r"^(sqlite|postgresql)(\+\w+)?://", url):
            raise ValueError(f"unsupported database URL {url!r}: use sqlite:///path.db or postgresql://user@host/db")
        return url


class SlackSettings(_Section, SecretSettings):
    """``[slack]``: where alerts go: Slack with the bot token from ``token_env``, or the console with ``console``."""

    secret_fields = ("token_env",)

    token_env: str = "SLACK_BOT_TOKEN"
    # Print alerts on the console instead of sending them to Slack (the demo, trying things out); no token needed.
    console: bool = False
    base_url: str = "https://slack.com/api/"
    alerts_channel: str = "#brand-alerts"
    digest_channel: str = "#brand-digest"
    ops_channel: str = "#brand-monitor-ops"
    # Slack allows about one message per second per channel.
    min_interval: Duration = timedelta(seconds=1)
    timeout: Duration = timedelta(seconds=15)

    @property
    def token(self) -> Secret | None:
        """The bot token, when ``token_env``'s variable was set at load."""
        return self.secret("token_env") if self.has_secret("token_env") else None


class ScheduleSettings(_Section):
    """``[schedule]``: how often periodic jobs run, and the local time zone for the digest."""

    timezone: ZoneName = "UTC"
    digest_time: time = time(9, 0)
    classify_interval: Duration = timedelta(seconds=30)
    deliver_interval: Duration = timedelta(seconds=5)
    spike_check_interval: Duration = timedelta(minutes=5)
    reply_check_interval: Duration = timedelta(minutes=1)

    @property
    def tz(self) -> ZoneInfo:
        """The configured zone as a tzinfo."""
        return ZoneInfo(self.timezone)


class AlertSettings(_Section):
    """``[alerts]``: which simple alert rules are on."""

    negative_posts: bool = True  # one alert per new negative post


class BrandSettings(_Section):
    """One ``[[brands]]`` entry: what to look for (``terms`` or ``query``), what to leave out, whose brand it is."""

    name: str = Field(min_length=1)
    # The simple form: an OR of terms (words, #hashtags, @mentions, several words as a phrase).
    terms: tuple[str, ...] = ()
    # The query language (docs/sources.md): "acme" OR #acme, AND / NOT, "phrases", NEAR/n, lang:, platform:.
    query: str | None = None
    # The brand's own accounts per platform: { x = "acme", reddit = ["acme", "acme_support"] }
    handles: dict[str, str | tuple[str, ...]] = Field(default_factory=dict)
    # Posts never kept for this brand: by these authors ("spambot", or "x:spambot" on one platform) ...
    exclude_authors: tuple[str, ...] = ()
    # ... or linking to these sites (the brand's own press releases on news feeds): "acme.com" covers its subdomains.
    exclude_domains: tuple[str, ...] = ()
    # A competitor is monitored and compared in the digest, but never pages anyone (no alerts, no reply queue).
    competitor: bool = False
    _tree: Expr | None = PrivateAttr(default=None)

    @field_validator("terms")
    @classmethod
    def _no_blank_terms(cls, terms: tuple[str, ...]) -> tuple[str, ...]:
        if any(not t.strip() for t in terms):
            raise ValueError("search terms must not be blank")
        return terms

    @field_validator("exclude_domains")
    @classmethod
    def _bare_domains(cls, domains: tuple[str, ...]) -> tuple[str, ...]:
        bad = [d for d in domains if not re.fullmatch(r"[A-Za-z0-9.-]+\.[A-Za-z]{2,}", d.strip())]
        if bad:
            raise ValueError(f"{bad}: write each as a bare domain, e.g. acme.com (no scheme, path or wildcard)")
        return tuple(d.strip().lower().removeprefix("www.") for d in domains)

    @model_validator(mode="after")
    def _terms_or_query(self) -> BrandSettings:
        if self.query is not None and self.terms:
            raise ValueError("set terms or query, not both (a query says all that terms can: (a OR b OR c))")
        if self.query is None and not self.terms:
            raise ValueError("terms or query is required: what posts are about this brand?")
        if self.query is not None:
            try:
                self._tree = parse_query(self.query, platforms=set(SOURCES) | {"replay"})
            except QuerySyntaxError as exc:
                raise ValueError(f"query: {exc}") from None
        return self

    @property
    def tree(self) -> Expr:
        """The brand's query as a typed tree (the simple form: an OR of its terms)."""
        return self._tree if self._tree is not None else terms_query(self.terms)

    @property
    def search_terms(self) -> tuple[str, ...]:
        """The words and phrases a mention of the brand contains: ``terms``, or the query's terms not under NOT."""
        return self.terms or tuple(t.text for t in positive_terms(self.tree))

    def search_query(self, platform: str, handles: tuple[str, ...]) -> Query:
        """What a connector of ``platform`` is asked to find for this brand."""
        return Query(brand=self.name, terms=self.terms, handles=handles, expr=self._tree)

    def handles_on(self, platform: str) -> tuple[str, ...]:
        """The brand's own account names on ``platform``."""
        value = self.handles.get(platform, ())
        return (value,) if isinstance(value, str) else tuple(value)


# One optional section per registered source, built from the registry so the two cannot drift apart.
# (mypy cannot use a model built at run time as an annotation: the valid-type ignore below.)
_source_sections: dict[str, Any] = {name: (spec.settings | None, None) for name, spec in SOURCES.items()}
SourcesSettings = create_model(
    "SourcesSettings", __config__=ConfigDict(extra="forbid", frozen=True), **_source_sections
)


class Config(_Section):
    """The whole validated config."""

    storage: StorageSettings = StorageSettings()
    classifier: ClassifierSettings = ClassifierSettings()
    # Sections holding secrets are validated even when absent, so they read the env given to parse_config.
    slack: SlackSettings = Field(default_factory=dict, validate_default=True)
    schedule: ScheduleSettings = ScheduleSettings()
    alerts: AlertSettings = AlertSettings()
    spikes: SpikeSettings = SpikeSettings()
    replies: ReplySettings = Field(default_factory=dict, validate_default=True)
    digest: DigestSettings = DigestSettings()
    brands: tuple[BrandSettings, ...] = Field(min_length=1)
    sources: SourcesSettings = SourcesSettings()  # type: ignore[valid-type]  # built at run time, see above
    observability: ObservabilitySettings = ObservabilitySettings()
    logging: LoggingSettings = LoggingSettings()
    retention: RetentionSettings = RetentionSettings()

    @model_validator(mode="before")
    @classmethod
    def _team_zone(cls, data: Any) -> Any:
        """``[replies] timezone`` defaults to ``[schedule] timezone``: one zone for every time people read."""
        if not isinstance(data, Mapping):
            return data
        schedule, replies = data.get("schedule"), data.get("replies", {})
        zone = schedule.get("timezone") if isinstance(schedule, Mapping) else getattr(schedule, "timezone", None)
        if not isinstance(zone, str) or not isinstance(replies, Mapping) or "timezone" in replies:
            return data
        try:
            check_zone(zone)
        except ValueError:
            return data  # reported once, as [schedule] timezone
        return {**data, "replies": {**replies, "timezone": zone}}

    @model_validator(mode="after")
    def _cross_checks(self) -> Config:
        names = [b.name for b in self.brands]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"brands: duplicate brand name(s) {dupes}: each [[brands]] needs its own name")
        for platform, settings in self.enabled_sources().items():
            unknown = sorted(set(settings.brands or ()) - set(names))
            if unknown:
                raise ValueError(f"sources.{platform}.brands: unknown brand(s) {unknown}; known: {names}")
        return self

    def enabled_sources(self) -> dict[str, SourceSettings]:
        """The configured sources that are switched on, by platform name."""
        out: dict[str, SourceSettings] = {}
        for name in SOURCES:
            settings = getattr(self.sources, name)
            if settings is not None and settings.enabled:
                out[name] = settings
        return out

    def secrets(self) -> list[Secret]:
        """Every secret this config read from the environment (Slack tokens, every source's credentials)."""
        return secrets_in(self)

    def brand(self, name: str) -> BrandSettings:
        """The brand called ``name``."""
        for brand in self.brands:
            if brand.name == name:
                return brand
        raise KeyError(name)


def resolve_path(explicit: str | os.PathLike[str] | None, env: Mapping[str, str] | None = None) -> Path:
    """``--config`` if given, else ``./config.toml`` if present, else ``$BRAND_MONITOR_CONFIG``."""
    env = os.environ if env is None else env
    if explicit:
        return Path(explicit)
    if DEFAULT_PATH.exists() or not env.get(ENV_PATH):
        return DEFAULT_PATH
    return Path(env[ENV_PATH])


def load_config(path: str | os.PathLike[str], *, env: Mapping[str, str] | None = None) -> Config:
    """Read and validate the TOML file at ``path``; raise :class:`ConfigError` listing every problem."""
    path = Path(path)
    return parse_config(_read_toml(path), source=str(path), base_dir=path.parent, env=env)


def _read_toml(path: Path) -> dict[str, Any]:
    """The parsed file at ``path``; a :class:`ConfigError` saying what is wrong when it cannot be read."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(str(path), ["file not found: pass --config PATH or set $BRAND_MONITOR_CONFIG"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), [f"cannot read the file: {exc}"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), [f"not valid TOML: {exc}"]) from None
    return raw


def parse_config(
    raw: Mapping[str, Any],
    *,
    source: str = "<config>",
    base_dir: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> Config:
    """Validate an already-parsed TOML mapping."""
    env = os.environ if env is None else env
    raw = _anchor_sqlite_path(dict(raw), base_dir)
    try:
        return Config.model_validate(raw, context={"env": env, "base_dir": base_dir})
    except ValidationError as exc:
        errors = exc.errors()
        # A brand that fails leaves the list "too short" as well: say what is wrong with the brand, not that too.
        inside = {err["loc"][0] for err in errors if len(err["loc"]) > 1}
        errors = [e for e in errors if not (e["type"] == "too_short" and len(e["loc"]) == 1 and e["loc"][0] in inside)]
        raise ConfigError(source, [_describe(err) for err in errors]) from None


def _anchor_sqlite_path(raw: dict[str, Any], base_dir: Path | None) -> dict[str, Any]:
    storage = raw.get("storage")
    if base_dir is None or not isinstance(storage, dict) or not isinstance(storage.get("url"), str):
        return raw
    match = re.match(r"^(sqlite(?:\+\w+)?:///)(?!/)(.+)$", storage["url"])
    if match and match.group(2) != ":memory:":
        storage = {**storage, "url": match.group(1) + str((base_dir / match.group(2)).resolve())}
        raw["storage"] = storage
    return raw


def _describe(err: Mapping[str, Any]) -> str:
    where = ".".join(str(part) for part in err["loc"]) or "(top level)"
    kind, msg = err["type"], err["msg"]
    if kind == "extra_forbidden":
        return f"{where}: unknown key (misspelt, or not supported here); remove it or check the example config.toml"
    if kind == "missing":
        return f"{where}: required key is missing"
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    msg = msg.replace("a valid tuple", "a list").replace("Tuple should", "The list should")
    got = err.get("input")
    if kind.endswith("_type") or kind.endswith("_parsing"):
        return f"{where}: {msg} (got {got!r})"
    return f"{where}: {msg}"


def load_classifier_settings(path: str | os.PathLike[str] | None) -> ClassifierSettings:
    """Only the ``[classifier]`` section of the file at ``path`` (defaults when ``path`` is None).

    Commands that only run the model (``classify``, ``model evaluate``) need no brands, sources or Slack.
    """
    if path is None:
        return ClassifierSettings()
    path = Path(path)
    section = _read_toml(path).get("classifier", {})
    try:
        return ClassifierSettings.model_validate(section)
    except ValidationError as exc:
        problems = [_describe({**err, "loc": ("classifier", *err["loc"])}) for err in exc.errors()]
        raise ConfigError(str(path), problems) from None


def has_section(path: str | os.PathLike[str], name: str) -> bool:
    """Whether the TOML file at ``path`` has a ``[name]`` section (False when it cannot be read)."""
    try:
        return name in tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False
