"""Executable checks generated from contracts (`canon test`)."""
