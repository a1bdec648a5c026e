"""Rendering printed documents: Jinja2 templates, WeasyPrint PDF/A-3, flowchart SVG, XLSX workbooks, QR codes."""
