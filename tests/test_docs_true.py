"""Issue 17: the docs are true to the code: the Slack app manifest covers what the code calls, the README lists
every command and links what exists, the demo's posts carry the metrics the priority code reads."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from monitor.cli import build_parser
from monitor.demo import sample_posts_path
from monitor.replies import priority
from monitor.replies.settings import ReplySettings

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = ROOT / "deploy" / "slack-app-manifest.yml"
# The bot scopes each Slack Web API method we call needs (api.slack.com/methods).
SCOPES = {
    "chat_postMessage": "chat:write",
    "chat_update": "chat:write",
    "conversations_history": "channels:history",
    "conversations_replies": "channels:history",
    "conversations_list": "channels:read",
    "files_upload_v2": "files:write",
}
NO_SCOPE = {"auth_test", "send_socket_mode_response", "connect", "is_connected", "close"}


def _called_slack_methods() -> set[str]:
    source = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "monitor").rglob("*.py"))
    called = set(re.findall(r"_call\(\s*\"([a-z_A-Z]+)\"", source))
    called |= set(re.findall(r"client\.([a-z_A-Z0-9]+)\(", source))
    return called


def test_the_manifest_grants_every_scope_the_code_needs_and_socket_mode() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    called = _called_slack_methods()
    unknown = called - set(SCOPES) - NO_SCOPE
    assert not unknown, f"add the scope of {unknown} to SCOPES and to the manifest"
    missing = {SCOPES[m] for m in called & set(SCOPES)} - scopes
    assert not missing, f"the manifest lacks {missing}"
    assert "files:write" in scopes  # the digest's chart
    assert {"groups:history", "groups:read", "reactions:read"} <= scopes  # private channels, reactions
    settings = manifest["settings"]
    assert settings["socket_mode_enabled"] is True and settings["interactivity"]["is_enabled"] is True
    assert settings["event_subscriptions"]["bot_events"] == ["reaction_added"]
    assert ReplySettings().reactions, "reactions are handled, so the event is needed"


def test_the_readme_has_a_slack_set_up_section_with_the_manifest_and_both_tokens() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Slack set-up") :]
    section = section[: section.index("\n## ", 3)]
    assert "deploy/slack-app-manifest.yml" in section
    assert "SLACK_BOT_TOKEN" in section and "xoxb-" in section
    assert "SLACK_APP_TOKEN" in section and "xapp-" in section and "connections:write" in section
    assert "files:write" in (ROOT / "docs" / "replies.md").read_text(encoding="utf-8")


def test_every_command_is_in_the_readmes_table() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("## Commands") : readme.index("## Configuration")]
    listed = set(re.findall(r"^\| `brand-monitor ([a-z-]+)", table, flags=re.MULTILINE))
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    commands = set(sub.choices)  # type: ignore[arg-type]
    assert commands <= listed, f"missing from the README: {sorted(commands - listed)}"


def test_docs_named_in_the_code_and_readme_exist() -> None:
    named: set[str] = set()
    for path in [*ROOT.glob("monitor/**/*.py"), *ROOT.glob("connectors/*.py"), *ROOT.glob("models/*.py")]:
        named |= set(re.findall(r"\b((?:docs/)?[A-Za-z_]+\.md)\b", path.read_text(encoding="utf-8")))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    named |= set(re.findall(r"\]\(((?:docs|deploy)/[^)#]+)\)", readme))
    named |= set(re.findall(r"!\[[^]]*\]\(([^)]+)\)", readme))
    missing = sorted(n for n in named if not (ROOT / n).exists())
    assert not missing, f"pointers to files that do not exist: {missing}"
    help_text = build_parser().format_help()
    assert ".md" not in help_text


def test_the_demo_posts_carry_the_metrics_the_priority_code_reads() -> None:
    read = {"followers", "link_karma", "comment_karma", *priority._ENGAGEMENT_KEYS}
    for line in sample_posts_path().read_text(encoding="utf-8").splitlines():
        post = json.loads(line)
        unread = set(post.get("metrics") or {}) - read
        assert not unread, f"post {post['id']}: metrics {unread} are read by nothing"
        assert priority.reach(post["metrics"]) is not None, f"post {post['id']}: no reach"
