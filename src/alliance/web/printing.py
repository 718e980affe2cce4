"""The progress report as a document of its own: one HTML file with its style inside
(nothing linked, scripted or fetched), and the same rendered as PDF by WeasyPrint.

WeasyPrint is given a fetcher that refuses every address: the document holds everything
it draws (its charts are inline SVG), so a link in a country's narrative is never
followed while the PDF is made.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any, NoReturn

from PIL import ImageFile

from alliance.countries.commitments import SECTIONS
from alliance.reports import presentation
from alliance.reports.building import ProgressReport
from alliance.reports.catalogue import catalogue
from alliance.web.templating import shared_templates

STYLE = Path(__file__).parent / "static" / "report.css"


def report_html(report: ProgressReport, *, published_at: datetime | None = None) -> str:
    """The report as a standalone HTML document."""
    template = shared_templates().get_template("progress_report_document.html")
    return template.render(
        report=report,
        published_at=published_at,
        style=STYLE.read_text(encoding="utf-8"),
        sections=SECTIONS,
        p=presentation,
        indicators=catalogue(),
    )


def _refuse(url: str, *args: Any, **kwargs: Any) -> NoReturn:
    raise ValueError(f"the report fetches nothing: {url[:80]}")


@cache
def _weasyprint_html() -> Any:
    """WeasyPrint's HTML class, imported on first use (it loads Pango, which nothing else
    needs). Importing it sets Pillow's process-wide ``LOAD_TRUNCATED_IMAGES``; the flag is
    put back, so that media hashed after a PDF was made are still refused when truncated.
    The report draws no raster image, so WeasyPrint never needs the flag."""
    truncated = ImageFile.LOAD_TRUNCATED_IMAGES
    from weasyprint import HTML  # noqa: PLC0415

    ImageFile.LOAD_TRUNCATED_IMAGES = truncated
    return HTML


def report_pdf(report: ProgressReport, *, published_at: datetime | None = None) -> bytes:
    """The report as PDF (A4, page numbers, the definitions on pages of their own)."""
    pdf: bytes = _weasyprint_html()(
        string=report_html(report, published_at=published_at), url_fetcher=_refuse
    ).write_pdf()
    return pdf
