"""Domain errors raised by services and mapped to HTTP by views and the API."""

from __future__ import annotations

from collections.abc import Mapping


class DomainError(Exception):
    """Base for errors a person can act on; never a 500."""

    status = 400


class ValidationFailed(DomainError):
    """Input broke a rule; ``errors`` maps field names to messages."""

    status = 422

    def __init__(self, errors: Mapping[str, str | list[str]]) -> None:
        self.errors: dict[str, list[str]] = {
            field: [str(m) for m in (msgs if isinstance(msgs, list) else [msgs])]
            for field, msgs in errors.items()
        }
        super().__init__("; ".join(f"{k}: {', '.join(v)}" for k, v in self.errors.items()))

    def sentence(self) -> str:
        """Every message in one line, for a flash message on a page without the form."""
        return " ".join(message for messages in self.errors.values() for message in messages)


class Conflict(DomainError):
    status = 409

    def __init__(self, message: str, detail: dict[str, object] | None = None) -> None:
        self.message = message
        self.detail = detail or {}
        super().__init__(message)


class NotFound(DomainError):
    status = 404


class PermissionDenied(DomainError):
    status = 403


class FieldErrors:
    """Collects every problem with an input before raising, so people see them all."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(str(message))

    def __contains__(self, field: str) -> bool:
        return field in self.errors

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationFailed(self.errors)
