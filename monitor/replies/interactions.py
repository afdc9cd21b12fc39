"""Slack Socket Mode payloads (button clicks, emoji reactions) turned into queue actions. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from monitor.replies.actions import ACTIONS, Action
from monitor.replies.messages import ACTION_PREFIX


def from_envelope(kind: str, payload: Mapping[str, Any], *, reactions: Mapping[str, str]) -> list[Action]:
    """The actions in one Socket Mode envelope (``interactive`` or ``events_api``); [] for anything else."""
    if kind == "interactive" and payload.get("type") == "block_actions":
        return _button_clicks(payload)
    if kind == "events_api":
        event = _mapping(payload.get("event"))
        if event.get("type") == "reaction_added":
            return _reaction(event, reactions)
    return []


def _button_clicks(payload: Mapping[str, Any]) -> list[Action]:
    user = str(_mapping(payload.get("user")).get("id") or "")
    channel, ts = _message_of(payload)
    out = []
    for action in payload.get("actions") or []:
        if not isinstance(action, Mapping):
            continue
        action_id = str(action.get("action_id") or "")
        name = action_id.removeprefix(ACTION_PREFIX)
        if action_id.startswith(ACTION_PREFIX) and name in ACTIONS:
            out.append(Action(action=name, user=user, target=str(action.get("value") or ""), channel=channel, ts=ts))
    return out


def _message_of(payload: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """The (channel id, ts) of the message whose button was clicked: the container, else channel/message."""
    container = _mapping(payload.get("container"))
    channel = container.get("channel_id") or _mapping(payload.get("channel")).get("id")
    ts = container.get("message_ts") or _mapping(payload.get("message")).get("ts")
    return (str(channel) if channel else None, str(ts) if ts else None)


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _reaction(event: Mapping[str, Any], reactions: Mapping[str, str]) -> list[Action]:
    item = _mapping(event.get("item"))
    # Skin-tone variants ("white_check_mark::skin-tone-2") count as the base emoji.
    name = str(event.get("reaction") or "").split("::", 1)[0]
    action = reactions.get(name)
    if action is None or item.get("type") != "message" or not item.get("channel") or not item.get("ts"):
        return []
    return [Action(action=action, user=str(event.get("user") or ""), channel=str(item["channel"]), ts=str(item["ts"]))]
