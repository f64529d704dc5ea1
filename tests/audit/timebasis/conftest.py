from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.audit.timebasis.world import World, world


@pytest.fixture(scope="module")
def wh() -> Iterator[World]:
    yield from world()
