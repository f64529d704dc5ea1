"""canon for agents: `canon mcp`, the workflow as MCP tools over the `Project` facade.

`server.py` registers the tools, resources and the prompt on the official SDK's `MCPServer`;
`tools.py` holds their bodies (one facade call each); `views.py` the typed results. Importing
this package imports the SDK: only `canon mcp` does.
"""
