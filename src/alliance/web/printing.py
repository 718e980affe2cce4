"""The progress report as a document of its own: one HTML file with its style inside
(nothing linked, scripted or fetched), and the same rendered as PDF by WeasyPrint.

WeasyPrint is given a fetcher that refuses every address: the document holds everything
it draws (its charts are inline SVG), so a link in a country's narrative is never
followed while the PDF is made.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn

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


def report_pdf(report: ProgressReport, *, published_at: datetime | None = None) -> bytes:
    """The report as PDF (A4, page numbers, the definitions on pages of their own)."""
    from weasyprint import HTML  # noqa: PLC0415 - on use: it loads Pango, which nothing else needs

    pdf: bytes = HTML(
        string=report_html(report, published_at=published_at), url_fetcher=_refuse
    ).write_pdf()
    return pdf
