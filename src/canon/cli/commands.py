"""Import every command module so each registers itself on the app (one line per module)."""

from canon.cli import (
    info_cmd,  # noqa: F401
    load_cmd,  # noqa: F401
)
