"""Audit reports: terminal (Rich), Markdown for pull requests, one self-contained HTML page."""

from canon.audit.report.html import render_html, write_html
from canon.audit.report.markdown import render_markdown
from canon.audit.report.terminal import print_report, render_text

__all__ = ["print_report", "render_html", "render_markdown", "render_text", "write_html"]
