"""Numbers read in the user's locale: what each locale means, and what it cannot tell (refused)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grace_desktop.domain.errors import DomainError
from grace_desktop.ui.number_input import NumberReader
from grace_desktop.ui.qt import QtCore

QLocale = QtCore.QLocale


def read(locale: str, text: str) -> float | None:
    return NumberReader(QLocale(locale)).parse("size", text)


@pytest.mark.parametrize("locale, text, value", [
    ("de_DE", "0,5", 0.5), ("de_DE", "1.000,5", 1000.5), ("de_DE", "1000,5", 1000.5), ("de_DE", "-2,25", -2.25),
    ("en_US", "0.5", 0.5), ("en_US", "1,000.5", 1000.5), ("en_US", "1000.5", 1000.5), ("en_US", "1,234,567", 1234567),
    ("fr_FR", "1 000,5", 1000.5), ("fr_FR", "1\u202f000,5", 1000.5), ("fr_FR", "1\u00a0000,5", 1000.5),
    ("de_CH", "1'000.5", 1000.5), ("en_IN", "12,34,567.5", 1234567.5), ("en_US", "1e6", 1e6),
    ("en_US", " 0.25 ", 0.25), ("en_US", "", None), ("de_DE", "   ", None), ("en_US", ".5", 0.5),
])
def test_what_each_locale_means(locale, text, value):
    assert read(locale, text) == value


@pytest.mark.parametrize("locale, text, says", [
    ("en_US", "0,5", "'0,5' is ambiguous in en_US: the decimal mark is '.' and ',' groups thousands"),
    ("en_US", "1,5", "ambiguous in en_US"),
    ("en_US", "1.000,5", "ambiguous in en_US"),
    ("en_US", "12,34,567", "ambiguous in en_US"),  # Indian grouping is not en_US's
    ("de_DE", "0.5", "'0.5' is ambiguous in de_DE: the decimal mark is ',' and '.' groups thousands"),
    ("de_DE", "1,000.5", "ambiguous in de_DE"),
    ("de_DE", "1,2,3", "ambiguous in de_DE"),
    ("fr_FR", "0.5", "ambiguous in fr_FR"),
    ("en_US", "abc", "must be a number, got 'abc'"),
    ("en_US", "inf", "must be a finite number"),
    ("en_US", "1e309", "must be a finite number"),
    ("en_US", "1.2.3", "ambiguous"),
])
def test_what_is_refused_names_the_field_and_the_rule(locale, text, says):
    with pytest.raises(DomainError) as info:
        read(locale, text)
    assert info.value.field == "size"
    assert says in str(info.value)


LOCALES = ["en_US", "de_DE", "fr_FR", "de_CH", "en_IN", "es_ES", "ru_RU", "ja_JP", "pt_BR", "it_IT", "sv_SE", "pl_PL"]


@settings(max_examples=300, deadline=None)
@given(value=st.decimals(min_value=0, max_value=10**9, places=4, allow_nan=False), locale=st.sampled_from(LOCALES),
       decimals=st.integers(min_value=0, max_value=4))
def test_what_a_locale_writes_it_reads_back(value, locale, decimals):
    reader = NumberReader(QLocale(locale))
    number = round(float(value), decimals)
    written = reader.format(number, decimals)
    assert reader.parse("size", written) == pytest.approx(number, rel=1e-12, abs=10 ** -(decimals + 1))
