"""A generated dbt project for audit tests and benchmarks: money-metric definitions hidden among decoys.

`generate_project(dest, n_models, n_definitions, seed)` writes a dbt-duckdb project, a canon
project over it and `ground_truth.json` (each definition's decision vector and figures, stated
by the generator from its own parameters, never from canon). It lives in the package, not in
`bench/`, because both the audit tests and the benchmarks use it: tests never import `bench/`.
It is not an `--example` for people (the acme example is); it is test and benchmark data.
"""
