"""Import every command module so each registers itself on the app (one line per module)."""

from canon.cli import (
    demo_cmd,  # noqa: F401
    generate_cmd,  # noqa: F401
    info_cmd,  # noqa: F401
    init_cmd,  # noqa: F401
)
