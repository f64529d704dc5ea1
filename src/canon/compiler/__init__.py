"""The compiler: contract + question → one sqlglot tree, rendered for any dialect."""
