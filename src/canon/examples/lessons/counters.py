"""Global id counters, advanced in a fixed order so ids are the same on every run."""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa

from canon.examples.lessons.ids import sequence_ids


@dataclass
class Counters:
    next: dict[str, int] = field(default_factory=dict)

    def ids(self, prefix: str, count: int) -> pa.Array:
        start = self.next.get(prefix, 1)
        self.next[prefix] = start + count
        return sequence_ids(prefix, start, count)
