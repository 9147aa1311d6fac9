"""Certificate rendering: the verification link, its QR code (inline SVG) and the PDF.

The verification URL carries an HMAC of the certificate number, so the public
page can't be walked by guessing numbers; only a scanned QR code (or a
signed-in user allowed to see the certificate) opens it.
"""

from __future__ import annotations

import io
from typing import Any

import qrcode
import qrcode.image.svg
from django.core import signing
from django.urls import reverse
from django.utils.translation import gettext as _

from core.pdf import cjk_font
from exams.models import Certificate

_SALT = "exams.certificate.verify"


def signature(number: str) -> str:
    return signing.Signer(salt=_SALT).sign(number).rsplit(":", 1)[1]


def signature_ok(number: str, sig: str) -> bool:
    try:
        signing.Signer(salt=_SALT).unsign(f"{number}:{sig}")
    except signing.BadSignature:
        return False
    return True


def verify_path(certificate: Certificate) -> str:
    return reverse("exams:certificate_verify", args=[certificate.number]) + f"?s={signature(certificate.number)}"


def qr_svg(url: str) -> str:
    """An inline <svg> (no XML declaration) encoding ``url``."""
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    svg = image.to_string(encoding="unicode")
    return svg[svg.index("<svg") :]


def pdf_bytes(certificate: Certificate, verify_url: str) -> bytes:
    """An A4 landscape certificate with Chinese text (reportlab's built-in CID font) and the QR code."""
    from reportlab.graphics import renderPDF
    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.pdfgen import canvas

    font = cjk_font()
    buffer = io.BytesIO()
    width, height = landscape(A4)
    pdf = canvas.Canvas(buffer, pagesize=(width, height))
    pdf.setTitle(certificate.number)
    pdf.setStrokeColorRGB(0.75, 0.22, 0.17)
    pdf.setLineWidth(4)
    pdf.rect(30, 30, width - 60, height - 60)
    pdf.setFont(font, 24)
    pdf.drawCentredString(width / 2, height - 110, certificate.get_cert_type_display())
    rows: list[tuple[str, Any]] = [
        (_("Certificate number"), certificate.number),
        (_("Holder"), certificate.holder_name),
        (_("ID card number"), certificate.masked_id_number),
        (_("Enterprise"), certificate.enterprise_name),
        (_("Issued on"), certificate.issued_on.isoformat()),
        (_("Valid until"), certificate.valid_until.isoformat()),
        (_("Issued by"), certificate.provider.name),
    ]
    pdf.setFont(font, 15)
    y = height - 180
    for label, value in rows:
        pdf.drawString(90, y, f"{label}：{value}")
        y -= 34
    widget = QrCodeWidget(verify_url)
    x0, y0, x1, y1 = widget.getBounds()
    size = 150
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(widget)
    renderPDF.draw(drawing, pdf, width - 90 - size, 90)
    pdf.setFont(font, 10)
    pdf.drawCentredString(width - 90 - size / 2, 75, _("Scan to verify"))
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
