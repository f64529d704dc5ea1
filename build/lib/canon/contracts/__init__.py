"""Metric contracts: the YAML schema, its loader with file positions, and the resolved model."""
