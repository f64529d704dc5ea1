"""The audit: find every definition of a metric, extract its decisions, reproduce, bridge, explain."""
