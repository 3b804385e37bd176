"""Guard against a Qt binding that corrupts reference counts (PySide6 6.12.0 on CPython 3.11).

PySide6-Essentials 6.12.0 drops one reference to None on every call of a void method
(QLabel.setText, QWidget.setEnabled, ...). On CPython < 3.12 None is not immortal, so a
window that repaints labels 30 times a second dies with "Fatal Python error: none_dealloc"
within minutes. 6.11.3 is clean. This test fails fast instead of the app crashing later.
"""

from __future__ import annotations

import sys

from grace_desktop.ui.qt import QLabel, QWidget


def test_void_calls_keep_none_and_bool_refcounts(qtbot):
    label = QLabel()
    widget = QWidget()
    qtbot.addWidget(label)
    qtbot.addWidget(widget)
    calls = 2000
    none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
    for i in range(calls):
        label.setText("x")
        widget.setEnabled(bool(i % 2))
    none_lost = none_before - sys.getrefcount(None)
    true_lost = true_before - sys.getrefcount(True)
    assert none_lost < calls // 10, f"Qt binding leaked {none_lost} references to None over {calls} calls"
    assert true_lost < calls // 10, f"Qt binding leaked {true_lost} references to True over {calls} calls"
