"""What a person can do to a post in the reply queue: the action names that buttons, reactions and config use.

Their own module, below settings (which checks ``[replies] reactions`` against them) and actions (which
applies them), so that neither has to import the other.
"""

from __future__ import annotations

ACKNOWLEDGE, HANDLED, NOT_NEGATIVE, SNOOZE = "acknowledge", "handled", "not_negative", "snooze"
ACTIONS = frozenset({ACKNOWLEDGE, HANDLED, NOT_NEGATIVE, SNOOZE})
