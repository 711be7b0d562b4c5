"""Text inputs are held to the length of the column that stores them, with a French message,
before the database sees them: PostgreSQL would refuse a longer value with an error, SQLite
would keep it. Forms, serializers and services take the limit from the model, never a copy."""

from __future__ import annotations

from django import forms
from django.db import models
from rest_framework import serializers


def column_length(model: type[models.Model], field: str) -> int | None:
    return model._meta.get_field(field).max_length


def too_long_message(limit: int) -> str:
    return f"Saisissez au plus {limit} caractères."


def too_long(value: str, limit: int) -> str | None:
    """The message for a text longer than its column, naming the length received; refused,
    never cut."""
    if len(value) > limit:
        return f"Saisissez au plus {limit} caractères (reçu : {len(value)})."
    return None


def length_errors(model: type[models.Model], values: dict[str, str]) -> dict[str, str]:
    """The message of each value longer than its column."""
    errors = {}
    for field, value in values.items():
        limit = column_length(model, field)
        if limit is not None and len(value or "") > limit:
            errors[field] = too_long_message(limit)
    return errors


def form_field(model: type[models.Model], field: str, **kwargs) -> forms.CharField:
    """An optional text input of a page, as long as its column at most (the service says what
    is missing or wrong)."""
    limit = column_length(model, field)
    return forms.CharField(
        required=False,
        max_length=limit,
        error_messages={"max_length": too_long_message(limit)},
        **kwargs,
    )


def serializer_field(model: type[models.Model], field: str, **kwargs) -> serializers.CharField:
    """The same input in the API (a JSON string, nothing else)."""
    from guichet.common.api import StrictCharField

    limit = column_length(model, field)
    messages = {"max_length": too_long_message(limit), **kwargs.pop("error_messages", {})}
    return StrictCharField(max_length=limit, error_messages=messages, **kwargs)
