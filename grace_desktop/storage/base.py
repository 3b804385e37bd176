"""Common base of the repositories: each holds the Storage it reads and writes through."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

if TYPE_CHECKING:
    from grace_desktop.storage.database import Storage

P = ParamSpec("P")
T = TypeVar("T")
R = TypeVar("R", bound="Repository")


class Repository:
    def __init__(self, store: Storage) -> None:
        self._store = store


def writes(method: Callable[Concatenate[R, P], T]) -> Callable[Concatenate[R, P], T]:
    """A repository method that writes: called off the writer thread, it runs there as one job
    (its validation, writes and any read-back together) and the caller waits for it."""

    @functools.wraps(method)
    def run(self: R, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return self._store.run_write(method, self, *args, **kwargs)

    return run


def check_limit(limit: int) -> int:
    """A page size: refuse nonsense rather than return everything or nothing."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 100_000:
        raise ValueError(f"limit: must be an integer in [1, 100000], got {limit!r}")
    return limit


def where_equal(**columns: object) -> tuple[str, list[Any]]:
    """` WHERE a = ? AND b = ?` for the columns given a value (None: no filter), and its parameters."""
    parts = [f"{name} = ?" for name, value in columns.items() if value is not None]
    params = [value for value in columns.values() if value is not None]
    return (" WHERE " + " AND ".join(parts) if parts else ""), params


def journal_filters(
    account: str | None, market: str | None, since: float | None, until: float | None, time_column: str
) -> tuple[list[str], list[Any]]:
    """WHERE parts shared by the journal queries; since is inclusive and until exclusive (epoch seconds)."""
    where: list[str] = []
    params: list[Any] = []
    for column, value in (("account", account), ("market", market)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    if since is not None:
        where.append(f"{time_column} >= ?")
        params.append(float(since))
    if until is not None:
        where.append(f"{time_column} < ?")
        params.append(float(until))
    return where, params
