"""A caller that gives up on an order (a timeout, a cancelled task) never leaves memory behind the file."""

from __future__ import annotations

import asyncio
import threading

from tests.venues.helpers import order


async def test_an_order_cancelled_while_its_write_is_in_flight_is_live_in_memory_as_in_the_file(make_venue, store):
    venue = await make_venue()
    await venue.push_tick("SOL-PERP", 100.0)
    real_save = store.paper.save
    writing, release = threading.Event(), threading.Event()

    def slow_save(*args, **kwargs):
        writing.set()
        release.wait(5)  # the worker thread is mid-write when the caller gives up
        return real_save(*args, **kwargs)

    store.paper.save = slow_save
    request = order("SOL-PERP", "buy", 2.0, leverage=2.0)
    task = asyncio.get_running_loop().create_task(venue.place_order(request))
    await asyncio.to_thread(writing.wait, 5)
    task.cancel()  # what asyncio.wait_for does on a timeout
    release.set()
    await asyncio.gather(task, return_exceptions=True)
    store.paper.save = real_save

    saved = store.paper.load("alice")
    assert [p.size for p in saved.positions] == [2.0]  # the write could not be called back
    live = await venue.positions("alice")
    assert [p.size for p in live] == [2.0]  # so the venue's memory must agree with the file
    found = await venue.order_by_client_id("alice", request.client_id)
    assert found is not None and found.status.value == "filled"
    assert (await venue.portfolio("alice")).balance == saved.balance
