"""Presentation: money formatting and rendering result tables for terminals, CSV and JSON."""
