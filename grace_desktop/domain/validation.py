"""Small checks shared by the models: every failure names its field."""

from __future__ import annotations

import math
import numbers
import unicodedata
from decimal import Decimal

from grace_desktop.domain.errors import DomainError


def finite(field: str, value: object) -> float:
    # bool is an int subclass: without this, True would pass as 1 (a size, a leverage...).
    if isinstance(value, bool):
        raise DomainError(field, f"must be a number, got {value!r}")
    if not isinstance(value, (int, float)):
        try:
            value = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError, OverflowError):
            raise DomainError(field, f"must be a number, got {shown(value)}") from None
    try:
        number = float(value)
    except OverflowError:  # an int beyond float range
        raise DomainError(field, f"must be a finite number, got {shown(value)}") from None
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
    if not math.isfinite(steps):  # a size near float's maximum over a small lot: no whole number of lots
        return False
    return abs(steps - round(steps)) <= 1e-9 * max(1.0, abs(steps))


# ----- strict checks for values that arrive from callers (the order ticket, scripts, the monitor) -----
# `finite` above coerces anything float() takes; these accept only what a trader could mean by a
# number or a name, and never let an odd value raise anything but DomainError.

MAX_NAME_LENGTH = 64
_MAX_NUMBER_TEXT = 64
# Control (Cc), format (Cf: zero-width and bidi overrides), lone surrogates (Cs: SQLite cannot
# store them) and line/paragraph separators: invisible or unstorable in a name.
_BAD_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def shown(value: object, limit: int = 40) -> str:
    """A short, safe rendering of any value for a message (repr can raise, or be huge)."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 128:
        return f"an integer of {value.bit_length()} bits"
    try:
        text = repr(value)
    except Exception:  # a caller's object whose repr fails still deserves a message
        return f"a {type(value).__name__}"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def real(field: str, value: object) -> float:
    """A finite real number from an int, float, Decimal, Fraction or numeric text; bool, bytes,
    complex, containers and other objects are refused, as are ints too large for a float."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, Decimal, str)):
        raise DomainError(field, f"must be a number, got {shown(value)}")
    if isinstance(value, str) and len(value) > _MAX_NUMBER_TEXT:
        raise DomainError(field, f"must be a number, got text of {len(value)} characters")
    try:
        number = float(value)
    except OverflowError:
        raise DomainError(field, f"must be a finite number, got {shown(value)}") from None
    except Exception:  # a numbers.Real from elsewhere may fail in its own way: still not a number
        raise DomainError(field, f"must be a number, got {shown(value)}") from None
    if not math.isfinite(number):
        raise DomainError(field, f"must be a finite number, got {shown(value)}")
    return number + 0.0  # -0.0 becomes 0.0, so a sign never leaks into sizes or messages


def real_positive(field: str, value: object) -> float:
    number = real(field, value)
    if number <= 0:
        raise DomainError(field, f"must be > 0, got {number:g}")
    return number


def name(field: str, value: object, *, max_length: int = MAX_NAME_LENGTH, allow_empty: bool = False) -> str:
    """A printable name (account, market, venue, reason): str, trimmed, at most `max_length` chars."""
    if not isinstance(value, str):
        raise DomainError(field, f"must be text, got {shown(value)}")
    text = str.__str__(value).strip()  # a str subclass becomes a plain str; its __str__ is not trusted
    if not text and not allow_empty:
        raise DomainError(field, "must not be empty")
    if len(text) > max_length:
        raise DomainError(field, f"must be at most {max_length} characters, got {len(text)}")
    bad = next((c for c in text if unicodedata.category(c) in _BAD_CATEGORIES), None)
    if bad is not None:
        raise DomainError(field, f"must not contain control characters, got U+{ord(bad):04X}")
    return text
