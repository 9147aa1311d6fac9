"""Real documents from outside the project, for the tests (sources and licences: tests/fixtures/documents/README.md)."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "documents"
# pdf.js's test document: 17 pages, each with its number drawn large.
NUMBERED_PDF_PATH = FIXTURES / "page_with_number_and_link.pdf"
NUMBERED_PDF = NUMBERED_PDF_PATH.read_bytes()
