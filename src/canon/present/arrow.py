"""Small Arrow arrays built from Python values without pyarrow's pandas probe.

`pa.array(list_of_str)` asks pandas whether the list is array-like, which imports pandas
(≈0.3 s) when it is installed; a query that returns in 50 ms should not pay that. Strings
are built from their buffers instead: UTF-8 bytes, int32 offsets and a validity bitmap.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence

import pyarrow as pa


def string_array(values: Sequence[str | None]) -> pa.Array:
    """A `pa.string()` array of `values` (None → null), equal to `pa.array(values, pa.string())`."""
    offsets = array("i", [0])
    data = bytearray()
    valid = bytearray((len(values) + 7) // 8)
    nulls = 0
    for i, value in enumerate(values):
        if value is None:
            nulls += 1
        else:
            data += value.encode()
            valid[i // 8] |= 1 << (i % 8)
        offsets.append(len(data))
    bitmap = pa.py_buffer(bytes(valid)) if nulls else None
    return pa.StringArray.from_buffers(
        len(values), pa.py_buffer(offsets.tobytes()), pa.py_buffer(bytes(data)), bitmap, nulls
    )
