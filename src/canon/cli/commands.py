"""Import every command module so each registers itself on the app (one line per module)."""

from canon.cli import (
    audit_cmd,  # noqa: F401
    demo_cmd,  # noqa: F401
    generate_cmd,  # noqa: F401
    info_cmd,  # noqa: F401
    init_cmd,  # noqa: F401
    load_cmd,  # noqa: F401
    mart_cmd,  # noqa: F401
    query_cmd,  # noqa: F401
    schema_cmd,  # noqa: F401
    serve_cmd,  # noqa: F401
    test_cmd,  # noqa: F401
    workflow_cmd,  # noqa: F401
)
