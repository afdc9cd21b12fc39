"""``check-config --online``: ask Slack (``auth.test``) and each enabled source (one cheap request) whether
they accept us, each within a time limit, all at once.

A source is asked for the first page of its first brand's search, through its
real connector: what the daemon's first poll would do, stopped after one page.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta

from connectors.base import AuthError, Cursor, SourceError
from connectors.registry import SOURCES
from connectors.settings import SourceSettings
from monitor.alerts.sink import DeliveryError
from monitor.alerts.slack import SlackSink
from monitor.clock import utc_now
from monitor.config import Config
from monitor.ops.preflight import Problem


def online_problems(config: Config, *, timeout: float = 20.0) -> list[Problem]:
    """What Slack and the enabled sources say, each check given ``timeout`` seconds."""
    checks: dict[str, Callable[[], Problem | None]] = {}
    if not config.slack.console and config.slack.token is not None:
        checks["slack.token_env"] = lambda: _slack(config, timeout=timeout)
    for name, settings in config.enabled_sources().items():
        checks[f"sources.{name}"] = _source_check(config, name, settings)
    return _run_all(checks, timeout=timeout)


def _slack(config: Config, *, timeout: float) -> Problem | None:
    assert config.slack.token is not None
    sink = SlackSink(config.slack.token, base_url=config.slack.base_url, timeout=timedelta(seconds=timeout))
    try:
        sink.check_auth()
    except DeliveryError as exc:
        fix = f"put a valid bot token (xoxb-…) in ${config.slack.token_env}" if exc.auth else "check [slack] base_url"
        return Problem("slack.token_env", f"Slack refused auth.test ({exc}): {fix}")
    return None


def _source_check(config: Config, name: str, settings: SourceSettings) -> Callable[[], Problem | None]:
    def check() -> Problem | None:
        brands = [b for b in config.brands if settings.brands is None or b.name in settings.brands]
        if not brands:
            return None
        brand = brands[0]
        connector = SOURCES[name].build(settings, clock=utc_now)
        platform = getattr(connector, "platform", name)
        query = brand.search_query(platform, brand.handles_on(platform))
        pages = iter(connector.fetch(query, Cursor()))
        try:
            next(pages, None)  # one page is enough to know the source answers and accepts us
        except AuthError as exc:
            return Problem(f"sources.{name}", f"credentials rejected: {exc}")
        except SourceError as exc:
            return Problem(f"sources.{name}", f"{exc}: check base_url and the source's settings")
        finally:
            close = getattr(pages, "close", None)
            if close is not None:
                close()
        return None

    return check


def _run_all(checks: dict[str, Callable[[], Problem | None]], *, timeout: float) -> list[Problem]:
    """Run every check in its own thread; one that has not answered within ``timeout`` is reported as such."""
    results: dict[str, Problem | None] = {}

    def run(field: str, check: Callable[[], Problem | None]) -> None:
        try:
            results[field] = check()
        except Exception as exc:  # noqa: BLE001 - any failure of a check is that check's answer
            results[field] = Problem(field, f"the check failed: {type(exc).__name__}: {exc}")

    threads = {
        field: threading.Thread(target=run, args=(field, check), name=f"check {field}", daemon=True)
        for field, check in checks.items()
    }
    for thread in threads.values():
        thread.start()
    deadline = time.monotonic() + timeout  # all run at once: the whole check takes at most ``timeout``
    problems = []
    for field, thread in threads.items():
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
        if thread.is_alive():  # left behind (a daemon thread): the process does not wait for it
            problems.append(Problem(field, f"no answer within {timeout:g}s: check the URL and the network"))
        elif results.get(field) is not None:
            problems.append(results[field])  # type: ignore[arg-type]
    return problems
