"""The venue contract suite: every case runs against every venue in VENUES that declares what it needs.

Tag a case with `@pytest.mark.requires(Capability.X, ...)`; a venue without those capabilities
skips it (and says which one it lacks).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.venues.contract.harness import VENUES, Harness


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "requires(*capabilities): venue capabilities a contract case needs")


@pytest.fixture(params=sorted(VENUES))
async def harness(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Harness]:
    needed = {c for marker in request.node.iter_markers("requires") for c in marker.args}
    async with VENUES[request.param](tmp_path) as built:
        missing = sorted(c.value for c in needed - built.venue.capabilities)
        if missing:
            pytest.skip(f"{request.param} does not declare {', '.join(missing)}")
        yield built
