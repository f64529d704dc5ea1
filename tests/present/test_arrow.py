"""`string_array` builds from buffers what `pa.array(values, pa.string())` builds (without pandas)."""

from __future__ import annotations

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from canon.present.arrow import string_array


@settings(deadline=None)
@given(st.lists(st.one_of(st.none(), st.text()), max_size=40))
def test_equals_pyarrow_constructor(values: list[str | None]) -> None:
    built = string_array(values)
    built.validate(full=True)
    assert built.equals(pa.array(values, pa.string()))
