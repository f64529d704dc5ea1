"""`canon serve`: the mart and warehouse HTTP API, the metric catalog and its web page.

Import `canon.serve.app.create_app` for the FastAPI application; this package itself stays
free of web imports because `canon.config` reads `canon.serve.config` on every command.
"""
