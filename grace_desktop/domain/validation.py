"""Small checks shared by the models: every failure names its field."""

from __future__ import annotations

import math

from grace_desktop.domain.errors import DomainError


def finite(field: str, value: object) -> float:
    # bool is an int subclass: without this, True would pass as 1 (a size, a leverage...).
    if isinstance(value, bool):
        raise DomainError(field, f"must be a number, got {value!r}")
    if not isinstance(value, (int, float)):
        try:
            value = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise DomainError(field, f"must be a number, got {value!r}") from None
    number = float(value)
    if math.isnan(number) or math.isinf(number):
        raise DomainError(field, f"must be a finite number, got {number}")
    return number


def positive(field: str, value: object) -> float:
    number = finite(field, value)
    if number <= 0:
        raise DomainError(field, f"must be > 0, got {number:g}")
    return number


def non_negative(field: str, value: object) -> float:
    number = finite(field, value)
    if number < 0:
        raise DomainError(field, f"must be >= 0, got {number:g}")
    return number


def fraction(field: str, value: object, *, allow_zero: bool = True) -> float:
    number = finite(field, value)
    low_ok = number >= 0 if allow_zero else number > 0
    if not low_ok or number >= 1:
        bound = "[0, 1)" if allow_zero else "(0, 1)"
        raise DomainError(field, f"must be a fraction in {bound}, got {number:g}")
    return number


def leverage(field: str, value: object) -> float:
    number = finite(field, value)
    if number < 1:
        raise DomainError(field, f"must be >= 1, got {number:g}")
    return number


def text(field: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise DomainError(field, f"must be a non-empty string, got {value!r}")
    return value.strip()


def is_multiple(value: float, step: float) -> bool:
    """True when `value` is a whole number of `step`s, tolerant of binary float noise."""
    steps = value / step
    return abs(steps - round(steps)) <= 1e-9 * max(1.0, abs(steps))
