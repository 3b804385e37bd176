"""Numbers typed by the user, read in the user's locale, and refused when the locale cannot tell.

"0,5" is a half where the comma is the decimal mark (de_DE, fr_FR) and is refused where the
comma groups thousands (en_US): it is not a well-formed grouping of 5, and guessing is how an
order becomes ten times too large. The locale itself is the oracle for grouping: a typed
integer part with separators must be grouped the way the locale groups numbers (3-digit groups
in most, 3 then 2 in en_IN), or carry no separators at all.

`NumberReader.parse(field, text)` returns a finite float or None (empty), else raises
DomainError naming the field; the settings panel and the order ticket both use it.
"""

from __future__ import annotations

import re
from functools import lru_cache

from grace_desktop.domain import validation as v
from grace_desktop.domain.errors import DomainError
from grace_desktop.ui.qt import QtCore

QLocale = QtCore.QLocale

_SPACES = frozenset({" ", "\u00a0", "\u202f", "\u2009"})
_MINUS = frozenset({"-", "\u2212", "\u2012", "\u2013"})
_WORDS = frozenset({"inf", "+inf", "-inf", "infinity", "nan", "-nan", "+nan"})
MAX_TEXT = 64


@lru_cache(maxsize=64)
def _group_sizes(locale_name: str) -> tuple[int, int]:
    """(primary, secondary) group lengths the locale writes: (3, 3) for en_US, (3, 2) for en_IN."""
    loc = QLocale(locale_name)
    written = loc.toString(1234567890.0, "f", 0)
    digits = "".join(c for c in written if c.isdigit())
    groups = [g for g in re.split(r"\D+", written) if g]
    if len(groups) < 2 or len(digits) != 10:
        return (3, 3)
    primary = len(groups[-1])
    secondary = len(groups[-2]) if len(groups) > 2 else primary
    return (primary, secondary)


class NumberReader:
    """Parses and formats numbers in one QLocale (the widget's, or the default)."""

    def __init__(self, locale: QLocale | None = None) -> None:
        self.locale = locale if locale is not None else QLocale()
        self.decimal = self.locale.decimalPoint()
        group = self.locale.groupSeparator()
        self.group = " " if group in _SPACES else group
        self.name = self.locale.name()
        self._grouping = _group_sizes(self.name)

    # ----- reading ---------------------------------------------------------------------------
    def parse(self, field: str, text: str) -> float | None:
        """The number `text` means in this locale; None if blank; DomainError(field, why) otherwise."""
        raw = text.strip()
        if not raw:
            return None
        if len(raw) > MAX_TEXT:
            raise DomainError(field, f"must be a number, got text of {len(raw)} characters")
        if raw.lower() in _WORDS:
            return v.real(field, raw.lower())  # "must be a finite number" for inf/nan
        s = "".join(" " if c in _SPACES else ("-" if c in _MINUS else c) for c in raw)
        sign = ""
        if s[0] in "+-":
            sign, s = ("-" if s[0] == "-" else ""), s[1:].lstrip()
        mantissa, exponent = s, ""
        m = re.fullmatch(r"(.*?)[eE]([+-]?\d+)", s)
        if m:
            mantissa, exponent = m.group(1), m.group(2)
        if self.decimal in mantissa:
            whole, _, frac = mantissa.partition(self.decimal)
        else:
            whole, frac = mantissa, ""
        if self.decimal in frac or not (whole or frac):
            raise self._refuse(field, raw)
        if frac and not frac.isdecimal():
            raise self._refuse(field, raw)
        digits = self._whole_digits(field, raw, whole, exponent)
        try:
            number = float(f"{sign}{digits or '0'}.{frac or '0'}" + (f"e{exponent}" if exponent else ""))
        except (ValueError, OverflowError):
            raise self._refuse(field, raw) from None
        return v.real(field, number)

    def _whole_digits(self, field: str, raw: str, whole: str, exponent: str) -> str:
        if whole.isdecimal() or whole == "":
            return whole
        if not self.group or exponent:
            raise self._refuse(field, raw)
        groups = whole.split(self.group)
        if not all(g.isdecimal() for g in groups):
            raise self._refuse(field, raw)
        primary, secondary = self._grouping
        ok = len(groups[-1]) == primary and all(len(g) == secondary for g in groups[1:-1]) \
            and 1 <= len(groups[0]) <= (secondary if len(groups) > 2 else primary)
        if not ok:
            raise self._ambiguous(field, raw)
        return "".join(groups)

    def _refuse(self, field: str, raw: str) -> DomainError:
        marks = {".", ",", "'", "\u2019", self.decimal, self.group} - {" "}
        if any(c in raw for c in marks):  # separators in places the locale does not put them
            return self._ambiguous(field, raw)
        return DomainError(field, f"must be a number, got {v.shown(raw)}")

    def _ambiguous(self, field: str, raw: str) -> DomainError:
        group = "a space" if self.group == " " else repr(self.group)
        return DomainError(
            field,
            f"{raw!r} is ambiguous in {self.name}: the decimal mark is {self.decimal!r} and {group} "
            f"groups thousands (for example {self.format(1234.5, 1)})",
        )

    # ----- writing ---------------------------------------------------------------------------
    def format(self, value: float, decimals: int) -> str:
        """`value` written as this locale writes it, with `decimals` digits (what a user would type)."""
        return str(self.locale.toString(float(value), "f", decimals))
