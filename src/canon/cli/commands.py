"""Import every command module so each registers itself on the app (one line per module)."""

from canon.cli import (
    info_cmd,  # noqa: F401
    lessons_cmd,  # noqa: F401
    mart_cmd,  # noqa: F401
    query_cmd,  # noqa: F401
    schema_cmd,  # noqa: F401
    test_cmd,  # noqa: F401
)
