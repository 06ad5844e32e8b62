"""Regenerate the sample documents in samples/ (made by us, MIT-licensed like the code).

    python scripts/make_samples.py

* invoice-3pages.pdf: a born-digital 3-page invoice with a text layer (fpdf2, core Helvetica font).
* invoice-3pages-scanned.pdf: the same pages as images only (no text layer), as a scanner makes them.
* invoice.png: page 1 as a 150-dpi greyscale "scan": slightly rotated, with sensor noise.
* handwritten-note.png: a short note in a handwriting font (Debian's fonts-dkg-handwriting), small and
  low-resolution like a phone snapshot, with uneven baselines and paper noise.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
from fpdf import FPDF
from PIL import Image, ImageFilter

OUT = Path(__file__).resolve().parent.parent / "samples"

ITEMS = [
    ("A4 copy paper, 80 g/m2, 500 sheets", 20, "4.95"),
    ("Recycled envelopes C5, box of 100", 5, "12.40"),
    ("Ballpoint pens, blue, pack of 10", 12, "3.80"),
    ("Archive boxes, brown cardboard", 8, "6.25"),
    ("Laser toner cartridge TN-2420", 2, "68.90"),
    ("Sticky notes 76x76 mm, 12 pads", 6, "5.60"),
    ("Desk organiser, black mesh", 3, "14.75"),
    ("Whiteboard markers, assorted, 4 pcs", 10, "4.20"),
]
MORE_ITEMS = [
    ("Ring binders A4, 50 mm, red", 15, "2.95"),
    ("Laminating pouches A4, 100 pcs", 2, "11.30"),
    ("Stapler, heavy duty, 100 sheets", 1, "24.90"),
    ("Staples 24/6, box of 5000", 4, "1.85"),
    ("Printer paper A3, 500 sheets", 3, "11.60"),
    ("Label rolls 62 mm x 30 m", 6, "7.45"),
]


def money(value: float) -> str:
    return f"{value:,.2f}"


def build_pdf() -> bytes:
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_auto_page_break(False)
    subtotal = 0.0

    def header(title: str) -> None:
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 20)
        pdf.set_xy(20, 20)
        pdf.cell(0, 10, "Nordic Paper Supplies AB")
        pdf.set_font("Helvetica", "", 10)
        for i, text in enumerate(["Sveavägen 42, 111 34 Stockholm, Sweden", "VAT no. SE556677889901",
                                  "invoices@nordicpaper.example  +46 8 123 456 78"]):
            pdf.set_xy(20, 32 + i * 5)
            pdf.cell(0, 5, text)
        pdf.set_font("Helvetica", "B", 16)
        pdf.set_xy(130, 20)
        pdf.cell(60, 10, title, align="R")

    def table(rows, start_y: float) -> float:
        nonlocal subtotal
        pdf.set_font("Helvetica", "B", 10)
        y = start_y
        for x, w, text, align in [(20, 90, "Description", "L"), (110, 20, "Qty", "R"),
                                  (130, 30, "Unit price", "R"), (160, 30, "Amount", "R")]:
            pdf.set_xy(x, y)
            pdf.cell(w, 7, text, align=align)
        pdf.line(20, y + 8, 190, y + 8)
        pdf.set_font("Helvetica", "", 10)
        y += 10
        for description, quantity, price in rows:
            amount = quantity * float(price)
            subtotal += amount
            for x, w, text, align in [(20, 90, description, "L"), (110, 20, str(quantity), "R"),
                                      (130, 30, price, "R"), (160, 30, money(amount), "R")]:
                pdf.set_xy(x, y)
                pdf.cell(w, 6, text, align=align)
            y += 8
        return y

    header("INVOICE")
    pdf.set_font("Helvetica", "", 10)
    for i, (key, value) in enumerate([("Invoice no:", "INV-2024-00172"), ("Invoice date:", "2024-03-14"),
                                      ("Due date:", "2024-04-13"), ("Customer no:", "C-30418")]):
        pdf.set_xy(130, 34 + i * 6)
        pdf.cell(30, 6, key)
        pdf.set_xy(160, 34 + i * 6)
        pdf.cell(30, 6, value, align="R")
    pdf.set_font("Helvetica", "B", 10)
    pdf.set_xy(20, 62)
    pdf.cell(0, 6, "Bill to:")
    pdf.set_font("Helvetica", "", 10)
    for i, text in enumerate(["Café Solrosen HB", "Storgatan 7", "753 20 Uppsala"]):
        pdf.set_xy(20, 68 + i * 5)
        pdf.cell(0, 5, text)
    table(ITEMS, 95)
    pdf.set_xy(20, 270)
    pdf.set_font("Helvetica", "", 9)
    pdf.cell(0, 5, "Continued on page 2.")

    header("INVOICE (cont.)")
    y = table(MORE_ITEMS, 60)
    vat = round(subtotal * 0.25, 2)
    pdf.line(120, y + 2, 190, y + 2)
    for i, (key, value) in enumerate([("Subtotal", money(subtotal)), ("VAT 25%", money(vat)),
                                      ("Total due (SEK)", money(subtotal + vat))]):
        pdf.set_font("Helvetica", "B" if i == 2 else "", 11)
        pdf.set_xy(120, y + 5 + i * 7)
        pdf.cell(40, 7, key)
        pdf.set_xy(160, y + 5 + i * 7)
        pdf.cell(30, 7, value, align="R")

    header("TERMS")
    pdf.set_font("Helvetica", "", 10)
    terms = [
        "Payment within 30 days of the invoice date to bankgiro 5050-1055.",
        "Please quote the invoice number INV-2024-00172 with your payment.",
        "Interest on late payment is charged at the reference rate plus 8%.",
        "Goods remain the property of Nordic Paper Supplies AB until paid in full.",
        "Questions about this invoice: invoices@nordicpaper.example",
        "Thank you for your order!",
    ]
    for i, text in enumerate(terms):
        pdf.set_xy(20, 60 + i * 8)
        pdf.cell(0, 6, text)
    return bytes(pdf.output())


def rasterize(pdf_bytes: bytes, dpi: int) -> list[Image.Image]:
    document = pdfium.PdfDocument(pdf_bytes)
    pages = [document[i].render(scale=dpi / 72).to_pil().convert("L") for i in range(len(document))]
    document.close()
    return pages


def scan_effects(image: Image.Image, angle: float, seed: int) -> Image.Image:
    """A slight rotation, grey paper, softened edges and sparse dust specks, like a cheap scan."""
    rng = np.random.default_rng(seed)
    rotated = image.rotate(angle, resample=Image.BICUBIC, expand=False, fillcolor=255)
    array = np.asarray(rotated.filter(ImageFilter.GaussianBlur(0.6)), dtype=np.float32)
    array = array * 0.9 + 12
    specks = rng.random(array.shape) < 0.0008
    array[specks] = rng.uniform(40, 160, int(specks.sum()))
    return Image.fromarray(np.clip(array, 0, 255).astype(np.uint8)).quantize(16).convert("L")


NOTE_LINES = [
    "Shopping: milk, bread and apples",
    "Call Alice at 5pm about the invoice",
    "Pharmacy: Metformin 500 mg, Lisinopril",
    "Meeting notes: review the Q1 goals",
]
HANDWRITING_FONT = "/usr/share/fonts/truetype/fifthhorseman/dkg.ttf"


def handwritten_note(seed: int = 7) -> Image.Image:
    """The note, drawn at 2x and shrunk to about 100 dpi (a low-resolution capture)."""
    from PIL import ImageDraw, ImageFont

    rng = np.random.default_rng(seed)
    font = ImageFont.truetype(HANDWRITING_FONT, 64)
    page = Image.new("L", (1500, 120 + 110 * len(NOTE_LINES)), 250)
    draw = ImageDraw.Draw(page)
    for row, text in enumerate(NOTE_LINES):
        x, y = 60 + int(rng.integers(0, 30)), 60 + row * 110 + int(rng.integers(-8, 8))
        for word in text.split(" "):
            draw.text((x, y + int(rng.integers(-4, 5))), word, font=font, fill=int(rng.integers(20, 70)))
            x += int(draw.textlength(word + " ", font=font)) + int(rng.integers(0, 12))
    page = page.rotate(float(rng.uniform(-1.5, 1.5)), resample=Image.BICUBIC, fillcolor=250)
    small = page.resize((page.width * 2 // 5, page.height * 2 // 5), Image.LANCZOS)
    noise = rng.normal(0, 6, (small.height, small.width))
    return Image.fromarray(np.clip(np.asarray(small, dtype=float) + noise, 0, 255).astype(np.uint8))


def main() -> None:
    OUT.mkdir(exist_ok=True)
    pdf_bytes = build_pdf()
    (OUT / "invoice-3pages.pdf").write_bytes(pdf_bytes)
    scans = [scan_effects(page, 0.6 * (-1) ** i, i) for i, page in enumerate(rasterize(pdf_bytes, 150))]
    buffer = io.BytesIO()
    scans[0].save(buffer, "PDF", resolution=150, save_all=True, append_images=scans[1:])
    (OUT / "invoice-3pages-scanned.pdf").write_bytes(buffer.getvalue())
    scans[0].save(OUT / "invoice.png", dpi=(150, 150), optimize=True)
    for path in sorted(OUT.iterdir()):
        print(f"{path.name}: {path.stat().st_size / 1024:.0f} KB")


if __name__ == "__main__":
    import sys

    if sys.argv[1:] == ["note"]:
        handwritten_note().save(OUT / "handwritten-note.png", dpi=(100, 100), optimize=True)
        raise SystemExit
    main()
    handwritten_note().save(OUT / "handwritten-note.png", dpi=(100, 100), optimize=True)
