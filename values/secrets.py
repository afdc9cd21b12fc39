"""Secrets as a type: read once from the environment at config load, never shown by ``str`` or ``repr``.

Config keys ending in ``_env`` name environment variables. A settings model
that has such keys lists them in ``secret_fields``; validation reads each named
variable from the env mapping in the validation context (``{"env": ...}``,
default ``os.environ``) into a :class:`Secret`. Code asks the settings for
``settings.secret(field)`` and never reads the environment itself, so the set
of secrets a process knows is exactly what its config read (see
:func:`secrets_in`, which the log and health redactor is built from).
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar, Self

from pydantic import BaseModel, PrivateAttr, ValidationInfo, model_validator


class Secret:
    """A credential; ``str``/``repr`` name the variable it came from, never the value."""

    __slots__ = ("_value", "source")

    def __init__(self, value: str, *, source: str) -> None:
        self._value = value
        self.source = source  # the environment variable's name

    def get_secret_value(self) -> str:
        """The value itself: pass it to a client library, never to a message."""
        return self._value

    def __str__(self) -> str:
        return f"<secret from ${self.source}>"

    def __repr__(self) -> str:
        return f"Secret(${self.source})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash((Secret, self._value))

    def __reduce__(self) -> Any:
        raise TypeError("a Secret is not pickled: read it from the environment where it is needed")

    def __copy__(self) -> Secret:
        return self  # immutable: copies of settings share it

    def __deepcopy__(self, memo: dict[int, Any]) -> Secret:
        return self


class MissingSecret(LookupError):
    """``settings.secret(field)`` for a secret that is not configured or whose variable is unset."""


def environment(info: ValidationInfo) -> Mapping[str, str]:
    """The env mapping validation reads secrets from: the context's ``env``, else ``os.environ``."""
    context = info.context or {}
    env = context.get("env") if isinstance(context, Mapping) else None
    return os.environ if env is None else env


class SecretSettings(BaseModel):
    """A settings model whose ``secret_fields`` name environment variables; they are read once, at validation."""

    # Names of fields holding *environment variable names* (or None: an optional secret, not configured).
    secret_fields: ClassVar[tuple[str, ...]] = ()

    _secrets: dict[str, Secret] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _read_secrets(self, info: ValidationInfo) -> Self:
        env = environment(info)
        found: dict[str, Secret] = {}
        missing = []
        for field in self.secret_fields:
            name = getattr(self, field)
            if name is None:
                continue  # not configured: simply absent
            value = env.get(name, "")
            if value:
                found[field] = Secret(value, source=name)
            else:
                missing.append(field)
        self._secrets = found
        if missing and self.secrets_required():
            raise ValueError(
                "; ".join(
                    f"{field} names environment variable {getattr(self, field)} which is not set: {self.missing_hint()}"
                    for field in missing
                )
            )
        return self

    def secrets_required(self) -> bool:
        """Whether a configured secret whose variable is unset makes the settings invalid (default: no)."""
        return False

    def missing_hint(self) -> str:
        """What to do about an unset variable, for the error message."""
        return "export it"

    def secret(self, field: str) -> Secret:
        """The secret read for ``field``; :class:`MissingSecret` if it is not configured or its variable was unset."""
        if field not in self.secret_fields:
            raise MissingSecret(f"{field} is not a secret field of {type(self).__name__}")
        try:
            return self._secrets[field]
        except KeyError:
            name = getattr(self, field)
            where = f"environment variable {name} is not set" if name else "it is not configured"
            raise MissingSecret(f"{field}: {where}") from None

    def has_secret(self, field: str) -> bool:
        """Whether ``field``'s secret was read (configured and set)."""
        return field in self._secrets

    def secrets(self) -> tuple[Secret, ...]:
        """Every secret these settings read."""
        return tuple(self._secrets.values())


def secrets_in(model: BaseModel) -> list[Secret]:
    """Every secret read anywhere in a validated settings tree (sections, sources, lists of sections)."""
    return list(_walk(model))


def _walk(value: object) -> Iterator[Secret]:
    if isinstance(value, SecretSettings):
        yield from value.secrets()
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _walk(getattr(value, name))
    elif isinstance(value, tuple | list):
        for item in value:
            yield from _walk(item)
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _walk(item)
