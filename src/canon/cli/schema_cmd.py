"""`canon schema`: the JSON Schema of metric contracts, for editors."""

from __future__ import annotations

import sys

import orjson

from canon.cli import app
from canon.project import contract_schema


@app.command("schema")
def schema_cmd() -> None:
    """Print the JSON Schema of `metrics/*.yml` (save it as canon.schema.json for your editor)."""
    sys.stdout.write(orjson.dumps(contract_schema(), option=orjson.OPT_INDENT_2).decode() + "\n")
