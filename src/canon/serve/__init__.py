"""`canon serve`: the mart and warehouse HTTP API, the metric catalog and its web page.

Import `canon.serve.app.create_app` (or call `Project.serve_app()`) for the FastAPI
application; the `serve:` block of canon.yml lives in `canon.config.serve`, beside the rest of
the configuration, so reading canon.yml never imports the web stack.
"""
