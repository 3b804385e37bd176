from grace_desktop.domain.enums import Side
from grace_desktop.storage import open_storage
from grace_desktop.storage.trailing import TrailingMark


def test_trailing_marks_upsert_survive_reopen_and_delete(tmp_path):
    with open_storage(tmp_path) as store:
        store.trailing.save_many([TrailingMark("a", "SOL-PERP", Side.LONG, 10.0, 120.0, 11.0)])
        store.trailing.save_many([TrailingMark("a", "SOL-PERP", Side.LONG, 10.0, 125.5, 12.0)])
    with open_storage(tmp_path) as store:
        mark = store.trailing.get("a", "SOL-PERP")
        assert mark == TrailingMark("a", "SOL-PERP", Side.LONG, 10.0, 125.5, 12.0)
        store.trailing.delete("a", "SOL-PERP")
        assert store.trailing.get("a", "SOL-PERP") is None


def test_a_bad_mark_saves_nothing(tmp_path):
    import pytest

    from grace_desktop.domain.errors import DomainError

    with open_storage(tmp_path) as store:
        good = TrailingMark("a", "SOL-PERP", Side.LONG, 10.0, 120.0, 11.0)
        bad = TrailingMark("a", "ETH-PERP", Side.LONG, 10.0, -1.0, 11.0)
        with pytest.raises(DomainError, match="extreme"):
            store.trailing.save_many([good, bad])
        assert store.trailing.get("a", "SOL-PERP") is None
