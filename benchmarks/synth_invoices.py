"""Synthetic invoices and receipts in thirteen locales, for developing the field extractor (never for reporting).

    python benchmarks/synth_invoices.py --out /tmp/synth --per-template 3        # generate PNG + JSON truth
    python benchmarks/synth_invoices.py --out /tmp/synth --evaluate oracle        # extract from the drawn text
    python benchmarks/synth_invoices.py --out /tmp/synth --evaluate ocr           # OCR with no --lang, then extract

Each document is drawn with Pillow from a template (``invoice``: issuer and address top left, document title
top right, a number/date block, bill-to, an item table and totals; ``title_first``: the document type as the
first and largest line, the issuer under it, the number and dates as a table whose values sit under their
labels, legal details in the footer; ``receipt``: a narrow till slip, centred issuer, date and time, items,
total, cash and change). The parties, addresses and phone numbers come from Faker's locale providers
(en_US, en_IN, sv_SE, es_ES, es_AR, de_DE, fr_FR, id_ID, zh_CN, and it_IT, pt_BR, pl_PL, ja_JP); amounts and dates are printed in the locale's
CLDR formats by Babel (``1.234,56``, ``174 600,50``, ``Rp174.600``, ``7. März 2024``, ``2024年3月7日``); the
labels are the ones each country's invoices print (written here, one table per locale, see :data:`LOCALES`).
Totals are consistent: items sum to the subtotal, subtotal + tax = total.

Truth per document (``<id>.json``): issuer, its address, invoice_number, invoice_date, due_date, subtotal,
tax, total, currency, plus the boxes (x0, y0, x1, y1, pixels) of the printed values. The generator is seeded: the same
``--seed`` gives the same documents.

Evaluation (``--evaluate``) prints per-locale field accuracy and writes JSON
(benchmarks/results/synth_invoices_<mode>.json): ``oracle`` builds the Document from the drawn rows (the
extractor alone, no recognition errors), ``ocr`` reads each PNG with clearocr's defaults (language
detection, no ``--lang``). These figures are development figures: the vocabularies and rules were changed
while looking at them. The real invoice and receipt sets (benchmarks/extraction.py,
benchmarks/extraction_cv.py) are where extraction is reported.

Requires the ``bench`` extra (Faker, Babel); Chinese and Japanese need a CJK font (Debian's fonts-wqy-microhei) and is
skipped with a warning without one.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import logging
import random
import sys
import time
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger("synth_invoices")

FONT_DIRS = [Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/truetype/liberation")]
LATIN_FONTS = {
    "dejavu": ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
    "liberation-sans": ("LiberationSans-Regular.ttf", "LiberationSans-Bold.ttf"),
    "liberation-serif": ("LiberationSerif-Regular.ttf", "LiberationSerif-Bold.ttf"),
}
CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
CJK_LOCALES = ("zh_CN", "ja_JP")


@dataclass(frozen=True)
class Locale:
    """How one country's invoices print: Faker and Babel locale, currency, labels (alternatives in tuples)."""

    code: str
    currency: str
    decimals: int
    titles: tuple[str, ...]
    receipt_titles: tuple[str, ...]
    number: tuple[str, ...]
    date: tuple[str, ...]
    due: tuple[str, ...]
    subtotal: tuple[str, ...]
    tax: tuple[str, ...]
    total: tuple[str, ...]
    bill_to: tuple[str, ...]
    items: tuple[str, str, str, str]
    cash: str
    change: str
    thanks: str
    tax_id: str
    number_shapes: tuple[str, ...]
    date_formats: tuple[str, ...] = ("short", "medium", "long")


LOCALES: dict[str, Locale] = {
    "en_US": Locale(
        "en_US", "USD", 2, ("INVOICE", "Invoice"), ("Receipt", "SALES RECEIPT"),
        ("Invoice No.", "Invoice #", "Invoice Number"), ("Invoice Date", "Date"), ("Due Date", "Payment Due"),
        ("Subtotal",), ("Sales Tax {rate}%", "Tax ({rate}%)"), ("Total", "Amount Due", "TOTAL"),
        ("Bill To", "Billed To"), ("Description", "Qty", "Unit Price", "Amount"), "CASH", "CHANGE",
        "Thank you for your business!", "EIN", ("INV-{y}-{n4}", "{n6}", "US{n5}"),
    ),
    "en_IN": Locale(
        "en_IN", "INR", 2, ("TAX INVOICE", "Tax Invoice"), ("Cash Memo", "Bill of Supply"),
        ("Invoice No", "Invoice No.", "Bill No"), ("Invoice Date", "Dated"), ("Due Date",),
        ("Sub Total", "Taxable Value"), ("GST @ {rate}%", "IGST {rate}%"), ("Grand Total", "Total Amount"),
        ("Bill To", "Buyer"), ("Particulars", "Qty", "Rate", "Amount"), "Cash", "Balance",
        "Thank you, visit again", "GSTIN", ("{L2}/{y}/{n4}", "INV{n6}", "{L3}-{n5}"),
        ("short", "medium", "numeric4"),
    ),
    "sv_SE": Locale(
        "sv_SE", "SEK", 2, ("FAKTURA", "Faktura"), ("Kvitto", "KVITTO"),
        ("Fakturanummer", "Fakturanr", "Faktura nr"), ("Fakturadatum", "Datum"),
        ("Förfallodatum", "Förfallodag", "Sista betalningsdag"), ("Netto", "Delsumma", "Summa exkl. moms"),
        ("Moms {rate}%", "Moms {rate} %"), ("Att betala", "Summa att betala", "Totalt"), ("Kund", "Fakturaadress"),
        ("Beskrivning", "Antal", "À-pris", "Belopp"), "Kontant", "Växel", "Tack för besöket!", "Org.nr",
        ("{n5}", "{y}{n4}", "F{n5}"), ("short", "medium", "long"),
    ),
    "es_ES": Locale(
        "es_ES", "EUR", 2, ("FACTURA", "Factura"), ("Ticket", "FACTURA SIMPLIFICADA"),
        ("Nº de factura", "Factura nº", "Número de factura"), ("Fecha de factura", "Fecha"),
        ("Fecha de vencimiento", "Vencimiento"), ("Base imponible", "Subtotal"), ("IVA {rate}%", "IVA ({rate}%)"),
        ("Total", "TOTAL FACTURA", "Total a pagar"), ("Cliente", "Facturar a"),
        ("Concepto", "Cant.", "Precio", "Importe"), "Efectivo", "Cambio", "Gracias por su visita", "CIF",
        ("{y}/{n4}", "F-{n5}", "A{n6}"),
    ),
    "es_AR": Locale(
        "es_AR", "ARS", 2, ("FACTURA A", "FACTURA B", "Factura"), ("Ticket", "TIQUE FACTURA B"),
        ("Nº", "Comp. Nro", "Número"), ("Fecha de emisión", "Fecha"), ("Vencimiento", "Fecha de vto."),
        ("Subtotal", "Importe neto gravado"), ("IVA {rate}%",), ("Total", "Importe total"), ("Cliente", "Señor(es)"),
        ("Descripción", "Cant.", "P. unit.", "Importe"), "Efectivo", "Su vuelto", "Gracias por su compra", "CUIT",
        ("{n4}-{n8}", "000{n1}-{n8}"),
    ),
    "de_DE": Locale(
        "de_DE", "EUR", 2, ("RECHNUNG", "Rechnung"), ("Kassenbon", "Quittung"),
        ("Rechnungsnummer", "Rechnungs-Nr.", "Rechnung Nr."), ("Rechnungsdatum", "Datum"),
        ("Fällig am", "Zahlbar bis", "Fälligkeitsdatum"), ("Nettobetrag", "Zwischensumme", "Summe netto"),
        ("MwSt. {rate}%", "USt. {rate} %", "zzgl. {rate}% MwSt."), ("Gesamtbetrag", "Rechnungsbetrag", "Summe"),
        ("Rechnungsempfänger", "Kunde"), ("Bezeichnung", "Menge", "Einzelpreis", "Betrag"), "Bar", "Rückgeld",
        "Vielen Dank für Ihren Einkauf", "USt-IdNr.", ("RE-{y}-{n4}", "{n6}", "R{n5}"),
    ),
    "fr_FR": Locale(
        "fr_FR", "EUR", 2, ("FACTURE", "Facture"), ("Ticket de caisse", "Reçu"),
        ("N° de facture", "Facture n°", "Numéro de facture"), ("Date de facture", "Date"),
        ("Date d'échéance", "Échéance", "À payer avant le"), ("Total HT", "Montant HT"), ("TVA {rate}%", "TVA {rate} %"),
        ("Total TTC", "Net à payer", "Montant TTC"), ("Facturé à", "Client"),
        ("Désignation", "Qté", "Prix unitaire", "Montant"), "Espèces", "Rendu", "Merci de votre visite",
        "N° TVA", ("FA{y}{n4}", "{n7}", "F-{n5}"),
    ),
    "id_ID": Locale(
        "id_ID", "IDR", 0, ("FAKTUR", "INVOICE", "Faktur Penjualan"), ("NOTA", "Struk Belanja"),
        ("No. Faktur", "Nomor Faktur", "No. Nota"), ("Tanggal", "Tgl. Faktur"), ("Jatuh Tempo", "Tgl. Jatuh Tempo"),
        ("Subtotal", "Jumlah"), ("PPN {rate}%", "Pajak {rate}%"), ("Total", "TOTAL", "Grand Total"),
        ("Kepada", "Pelanggan"), ("Nama Barang", "Qty", "Harga", "Jumlah"), "Tunai", "Kembali",
        "Terima kasih atas kunjungan Anda", "NPWP", ("INV/{y}/{n5}", "{L2}{n6}", "FK-{n5}"),
    ),
    "zh_CN": Locale(
        "zh_CN", "CNY", 2, ("发票", "增值税普通发票"), ("收据", "购物小票"), ("发票号码", "发票号", "单号"),
        ("开票日期", "日期"), ("付款期限", "到期日"), ("金额", "小计"), ("税额 {rate}%", "税率 {rate}%"),
        ("合计", "价税合计", "总计"), ("购买方", "客户"), ("商品名称", "数量", "单价", "金额"), "现金", "找零",
        "谢谢惠顾", "纳税人识别号", ("{n8}", "{n10}"), ("medium", "numeric_zh", "long"),
    ),
    "it_IT": Locale(
        "it_IT", "EUR", 2, ("FATTURA", "Fattura"), ("Scontrino", "DOCUMENTO COMMERCIALE"),
        ("Fattura n.", "Numero fattura", "N. fattura"), ("Data fattura", "Data"), ("Scadenza", "Data scadenza"),
        ("Imponibile", "Totale imponibile"), ("IVA {rate}%",), ("Totale", "Totale fattura", "Totale da pagare"),
        ("Cliente", "Spett.le"), ("Descrizione", "Q.tà", "Prezzo", "Importo"), "Contanti", "Resto",
        "Grazie e arrivederci", "P.IVA", ("{n4}/{y}", "FT{n5}", "{y}-{n4}"),
    ),
    "pt_BR": Locale(
        "pt_BR", "BRL", 2, ("NOTA FISCAL", "Fatura"), ("Cupom Fiscal", "Recibo"),
        ("Fatura nº", "Número da fatura", "Nota fiscal nº"), ("Data de emissão", "Emissão"),
        ("Vencimento", "Data de vencimento"), ("Subtotal", "Valor líquido"), ("ICMS {rate}%", "Impostos ({rate}%)"),
        ("Total", "Valor total", "Total a pagar"), ("Cliente", "Destinatário"), ("Descrição", "Qtd", "Preço", "Valor"),
        "Dinheiro", "Troco", "Obrigado pela preferência", "CNPJ", ("{n6}", "NF-{n5}", "{n3}.{n3}"),
    ),
    "pl_PL": Locale(
        "pl_PL", "PLN", 2, ("FAKTURA VAT", "Faktura"), ("PARAGON FISKALNY", "Paragon"),
        ("Faktura nr", "Numer faktury", "Nr faktury"), ("Data wystawienia",), ("Termin płatności", "Płatne do"),
        ("Wartość netto", "Razem netto"), ("VAT {rate}%", "Kwota VAT {rate}%"),
        ("Do zapłaty", "Razem do zapłaty", "Wartość brutto"), ("Nabywca",), ("Nazwa", "Ilość", "Cena", "Wartość"),
        "Gotówka", "Reszta", "Dziękujemy za zakupy", "NIP", ("FV/{n4}/{y}", "{n3}/{y}", "FV {n5}"),
    ),
    "ja_JP": Locale(
        "ja_JP", "JPY", 0, ("請求書",), ("領収書", "レシート"), ("請求書番号", "請求番号"), ("請求日", "発行日"),
        ("お支払期限", "支払期限"), ("小計", "税抜金額"), ("消費税 {rate}%", "消費税等 ({rate}%)"),
        ("合計", "ご請求金額", "税込合計"), ("宛先",), ("品名", "数量", "単価", "金額"), "お預り", "お釣り",
        "ありがとうございました", "登録番号", ("{n6}", "INV-{n5}"), ("medium", "long"),
    ),
}  # fmt: skip

#: Each locale's item names (the items are not fields; a few per language read as real items do).
ITEMS = {
    "en": ["Consulting services", "Office chair", "Printer paper A4", "Software license", "Coffee beans 1kg",
           "USB-C cable", "Maintenance", "Delivery charge"],
    "sv": ["Konsulttjänster", "Kontorsstol", "Skrivarpapper A4", "Programlicens", "Kaffebönor 1kg", "Frakt"],
    "es": ["Servicios de consultoría", "Silla de oficina", "Papel A4", "Licencia de software", "Café en grano",
           "Transporte"],
    "de": ["Beratungsleistung", "Bürostuhl", "Druckerpapier A4", "Softwarelizenz", "Kaffeebohnen 1kg", "Versand"],
    "fr": ["Prestation de conseil", "Chaise de bureau", "Papier A4", "Licence logicielle", "Café en grains",
           "Livraison"],
    "id": ["Jasa konsultasi", "Kursi kantor", "Kertas A4", "Lisensi perangkat lunak", "Kopi bubuk", "Ongkos kirim"],
    "zh": ["咨询服务", "办公椅", "打印纸", "软件许可", "咖啡豆", "运费"],
    "it": ["Consulenza", "Sedia da ufficio", "Carta A4", "Licenza software", "Caffè in grani", "Spedizione"],
    "pt": ["Consultoria", "Cadeira de escritório", "Papel A4", "Licença de software", "Café em grãos", "Frete"],
    "pl": ["Usługi doradcze", "Krzesło biurowe", "Papier A4", "Licencja", "Kawa ziarnista", "Wysyłka"],
    "ja": ["コンサルティング", "事務椅子", "コピー用紙", "ソフトウェア", "コーヒー豆", "送料"],
}  # fmt: skip
TAX_RATES = {"it_IT": [22, 10], "pt_BR": [18, 12], "pl_PL": [23, 8], "ja_JP": [10, 8], "en_US": [7, 8], "en_IN": [18, 12], "sv_SE": [25, 12], "es_ES": [21, 10], "es_AR": [21],
             "de_DE": [19, 7], "fr_FR": [20, 10], "id_ID": [11], "zh_CN": [13, 6]}  # fmt: skip
TEMPLATES = ("invoice", "title_first", "receipt")


@dataclass
class Drawn:
    """One text run drawn on the page: text, bbox (pixels), and the row it belongs to (same baseline)."""

    text: str
    bbox: tuple[int, int, int, int]
    row: int


@dataclass
class Canvas:
    """A page being drawn, with every text run it printed."""

    width: int
    height: int
    locale: str
    family: str
    runs: list[Drawn] = field(default_factory=list)
    rows: int = 0

    def __post_init__(self) -> None:
        from PIL import Image, ImageDraw

        self.image = Image.new("L", (self.width, self.height), 255)
        self.draw = ImageDraw.Draw(self.image)

    def font(self, size: int, bold: bool = False) -> Any:
        from PIL import ImageFont

        if self.locale in CJK_LOCALES:
            return ImageFont.truetype(str(CJK_FONT), size)
        name = LATIN_FONTS[self.family][1 if bold else 0]
        path = next((d / name for d in FONT_DIRS if (d / name).exists()), None)
        return ImageFont.truetype(str(path), size) if path else ImageFont.load_default(size)

    def text(
        self, x: float, y: float, text: str, font: Any, align: str = "left", row: int | None = None
    ) -> Drawn:
        """Draw ``text`` with its left (or right/centre, by ``align``) edge at ``x``; returns the run."""
        width = font.getlength(text)
        left = x - width if align == "right" else (x - width / 2 if align == "centre" else x)
        self.draw.text((left, y), text, fill=0, font=font)
        x0, y0, x1, y1 = self.draw.textbbox((left, y), text, font=font)
        run = Drawn(text, (int(x0), int(y0), int(x1), int(y1)), self.rows if row is None else row)
        self.runs.append(run)
        return run

    def next_row(self) -> int:
        self.rows += 1
        return self.rows


def _money(value: Decimal, loc: Locale, sign: bool) -> str:
    from babel.numbers import format_currency, format_decimal

    pattern = "#,##0" if loc.decimals == 0 else "#,##0.00"
    if loc.code == "en_IN":
        pattern = "#,##,##0.00"
    if not sign:
        return format_decimal(value, format=pattern, locale=loc.code)
    if loc.code == "sv_SE":
        return f"{format_decimal(value, format=pattern, locale=loc.code)} kr"
    if loc.code == "id_ID":
        return f"Rp {format_decimal(value, format=pattern, locale=loc.code)}"
    if loc.code == "en_IN":
        return f"Rs. {format_decimal(value, format=pattern, locale=loc.code)}"
    return format_currency(value, loc.currency, locale=loc.code, currency_digits=loc.decimals == 0)


def _date(value: dt.date, loc: Locale, style: str) -> str:
    from babel.dates import format_date

    if style == "numeric4":
        return value.strftime("%d/%m/%Y")
    if style == "numeric_zh":
        return value.strftime("%Y-%m-%d")
    return format_date(value, style, locale=loc.code)


def _invoice_number(rng: random.Random, loc: Locale, year: int) -> str:
    shape = rng.choice(loc.number_shapes)
    letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
    out = shape.replace("{y}", str(year))
    for n in range(10, 0, -1):
        if f"{{n{n}}}" in out:
            out = out.replace(f"{{n{n}}}", "".join(rng.choice("0123456789") for _ in range(n)))
    for n in (3, 2):
        if f"{{L{n}}}" in out:
            out = out.replace(f"{{L{n}}}", "".join(rng.choice(letters) for _ in range(n)))
    return out


def make_document(seed: int, locale: str, template: str) -> tuple[Any, dict[str, Any], list[Drawn]]:
    """Draw one document. Returns (PIL image, truth dict, drawn runs)."""
    from faker import Faker

    rng = random.Random(seed)
    loc = LOCALES[locale]
    fake = Faker(locale)
    fake.seed_instance(seed)
    lang = locale.split("_")[0]
    issued = dt.date(2019, 1, 1) + dt.timedelta(days=rng.randrange(0, 6 * 365))
    due = issued + dt.timedelta(days=rng.choice([10, 14, 15, 30, 45]))
    style = rng.choice(loc.date_formats)
    rate = rng.choice(TAX_RATES[locale])
    quantum = Decimal(1) if loc.decimals == 0 else Decimal("0.01")
    scale = 1000 if loc.currency == "IDR" else (50 if loc.currency in ("INR", "ARS") else 1)
    items = []
    for _ in range(rng.randint(2, 5)):
        qty = rng.randint(1, 6)
        unit = (Decimal(rng.randint(150, 45000)) / 100 * scale).quantize(quantum, ROUND_HALF_UP)
        items.append((rng.choice(ITEMS[lang]), qty, unit, (unit * qty).quantize(quantum)))
    subtotal = sum((it[3] for it in items), Decimal(0))
    tax = (subtotal * rate / 100).quantize(quantum, ROUND_HALF_UP)
    total = subtotal + tax
    issuer = fake.company()
    number = _invoice_number(rng, loc, issued.year)
    pick = rng.choice
    truth: dict[str, Any] = {
        "locale": locale, "template": template, "seed": seed, "issuer": issuer, "invoice_number": number,
        "invoice_date": issued.isoformat(), "due_date": due.isoformat(), "subtotal": f"{subtotal:.2f}",
        "tax": f"{tax:.2f}", "total": f"{total:.2f}", "currency": loc.currency, "boxes": {},
    }  # fmt: skip
    receipt = template == "receipt"
    width, height = (640, 1300) if receipt else (1240, 1754)
    canvas = Canvas(width, height, locale, rng.choice(sorted(LATIN_FONTS)))
    body, small = canvas.font(22 if receipt else 24), canvas.font(20)
    big, title_font = canvas.font(34, bold=True), canvas.font(44, bold=True)
    margin = 40 if receipt else 90
    box = truth["boxes"]
    date_text = _date(issued, loc, style)

    def row(y: float, label: str, value: str, key: str | None, x_label: float, x_value: float, align="left"):
        r = canvas.next_row()
        canvas.text(x_label, y, label, body, row=r)
        run = canvas.text(x_value, y, value, body, align=align, row=r)
        if key:
            box[key] = run.bbox

    if receipt:
        centre = width / 2
        box["issuer"] = canvas.text(centre, 40, issuer, big, "centre", canvas.next_row()).bbox
        y = 95
        address = fake.address().split("\n")
        truth["address"] = " ".join(address)
        for part in address:
            canvas.text(centre, y, part, small, "centre", canvas.next_row())
            y += 30
        canvas.text(centre, y, f"Tel: {fake.phone_number()}", small, "centre", canvas.next_row())
        y += 50
        canvas.text(centre, y, pick(loc.receipt_titles), big, "centre", canvas.next_row())
        y += 60
        r = canvas.next_row()
        box["invoice_date"] = canvas.text(margin, y, date_text, body, row=r).bbox
        canvas.text(width - margin, y, f"{rng.randint(8, 21):02d}:{rng.randint(0, 59):02d}", body, "right", r)
        y += 36
        row(y, f"{pick(loc.number)}:", number, "invoice_number", margin, width - margin, "right")
        y += 50
        for name, qty, _unit, amount in items:
            r = canvas.next_row()
            canvas.text(margin, y, f"{qty} x {name}"[:30], body, row=r)
            canvas.text(width - margin, y, _money(amount, loc, False), body, "right", r)
            y += 34
        y += 20
        row(y, pick(loc.subtotal), _money(subtotal, loc, False), "subtotal", margin, width - margin, "right")
        y += 34
        row(
            y,
            pick(loc.tax).format(rate=rate),
            _money(tax, loc, False),
            "tax",
            margin,
            width - margin,
            "right",
        )
        y += 40
        r = canvas.next_row()
        canvas.text(margin, y, pick(loc.total), big, row=r)
        box["total"] = canvas.text(width - margin, y, _money(total, loc, True), big, "right", r).bbox
        y += 60
        paid = (total / (1000 * scale)).to_integral_value(rounding="ROUND_CEILING") * 1000 * scale
        paid = max(paid, total)
        row(y, loc.cash, _money(paid, loc, False), None, margin, width - margin, "right")
        y += 34
        row(y, loc.change, _money(paid - total, loc, False), None, margin, width - margin, "right")
        y += 60
        canvas.text(centre, y, loc.thanks, small, "centre", canvas.next_row())
        truth["due_date"] = None  # a receipt has no due date
        return canvas.image.crop((0, 0, width, int(y + 60))), truth, canvas.runs

    title = pick(loc.titles)
    if template == "invoice":
        r = canvas.next_row()
        box["issuer"] = canvas.text(margin, 80, issuer, big, row=r).bbox
        canvas.text(width - margin, 76, title, title_font, "right", r)
        y = 130
        address = fake.address().split("\n")
        truth["address"] = " ".join(address)
        for part in address:
            canvas.text(margin, y, part, body, row=canvas.next_row())
            y += 32
        canvas.text(margin, y, f"Tel {fake.phone_number()}", body, row=canvas.next_row())
        y = 150
        x_label, x_value = width - 560, width - margin
        row(y, pick(loc.number), number, "invoice_number", x_label, x_value, "right")
        row(y + 36, pick(loc.date), date_text, "invoice_date", x_label, x_value, "right")
        row(y + 72, pick(loc.due), _date(due, loc, style), "due_date", x_label, x_value, "right")
        y = 360
    else:
        box["title"] = canvas.text(width / 2, 70, title, title_font, "centre", canvas.next_row()).bbox
        box["issuer"] = canvas.text(margin, 160, issuer, big, row=canvas.next_row()).bbox
        y = 210
        truth["address"] = fake.address().replace("\n", ", ")
        canvas.text(margin, y, truth["address"], body, row=canvas.next_row())
        y += 70
        labels = [pick(loc.number), pick(loc.date), pick(loc.due)]
        values = [number, date_text, _date(due, loc, style)]
        columns = [margin, margin + 360, margin + 720]
        r = canvas.next_row()
        for x, label in zip(columns, labels):
            canvas.text(x, y, label, small, row=r)
        r = canvas.next_row()
        for x, value, key in zip(columns, values, ("invoice_number", "invoice_date", "due_date")):
            box[key] = canvas.text(x, y + 32, value, body, row=r).bbox
        y += 110
    canvas.text(margin, y, pick(loc.bill_to), body, row=canvas.next_row())
    customer = Faker(locale)
    customer.seed_instance(seed + 1)
    canvas.text(margin, y + 34, customer.name(), body, row=canvas.next_row())
    canvas.text(margin, y + 68, customer.address().split("\n")[0], body, row=canvas.next_row())
    y += 140
    columns = [margin, width - 520, width - 330, width - margin]
    r = canvas.next_row()
    for index, (x, label) in enumerate(zip(columns, loc.items)):
        canvas.text(x, y, label, body, "right" if index == 3 else "left", r)
    y += 46
    for name, qty, unit, amount in items:
        r = canvas.next_row()
        canvas.text(columns[0], y, name, body, row=r)
        canvas.text(columns[1], y, str(qty), body, row=r)
        canvas.text(columns[2], y, _money(unit, loc, False), body, row=r)
        canvas.text(columns[3], y, _money(amount, loc, False), body, "right", r)
        y += 38
    y += 30
    x_label, x_value = width - 560, width - margin
    row(y, pick(loc.subtotal), _money(subtotal, loc, False), "subtotal", x_label, x_value, "right")
    row(y + 38, pick(loc.tax).format(rate=rate), _money(tax, loc, False), "tax", x_label, x_value, "right")
    r = canvas.next_row()
    canvas.text(x_label, y + 82, pick(loc.total), big, row=r)
    box["total"] = canvas.text(x_value, y + 82, _money(total, loc, True), big, "right", r).bbox
    footer = f"{issuer} · {loc.tax_id} {rng.randint(10**8, 10**9 - 1)} · {fake.phone_number()}"
    canvas.text(width / 2, height - 90, footer, small, "centre", canvas.next_row())
    return canvas.image, truth, canvas.runs


def generate(out: Path, locales: list[str], per_template: int, seed: int) -> list[Path]:
    """Write ``<locale>_<template>_<k>.png`` and ``.json`` (truth + drawn rows) under ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for li, locale in enumerate(locales):
        if locale in CJK_LOCALES and not CJK_FONT.exists():
            log.warning(
                "no CJK font at %s: %s skipped (apt-get install fonts-wqy-microhei)", CJK_FONT, locale
            )
            continue
        for ti, template in enumerate(TEMPLATES):
            for k in range(per_template):
                doc_seed = seed * 100_000 + li * 1000 + ti * 100 + k
                image, truth, runs = make_document(doc_seed, locale, template)
                stem = out / f"{locale}_{template}_{k}"
                image.save(stem.with_suffix(".png"))
                truth["runs"] = [{"text": r.text, "bbox": r.bbox, "row": r.row} for r in runs]
                stem.with_suffix(".json").write_text(json.dumps(truth, ensure_ascii=False, indent=1))
                written.append(stem.with_suffix(".png"))
    return written


def drawn_document(truth: dict[str, Any], source: str, size: tuple[int, int]) -> Any:
    """The Document a perfect reader would give: one Line per drawn row (runs left to right, joined by
    two spaces), words with boxes interpolated over each run's width."""
    from clearocr.document import Document, Line, Page, Word

    rows: dict[int, list[dict[str, Any]]] = {}
    for run in truth["runs"]:
        rows.setdefault(run["row"], []).append(run)
    lines = []
    for runs in sorted(rows.values(), key=lambda rs: (min(r["bbox"][1] for r in rs), rs[0]["bbox"][0])):
        runs.sort(key=lambda r: r["bbox"][0])
        words = []
        for run in runs:
            x0, y0, x1, y1 = run["bbox"]
            tokens = run["text"].split()
            step = (x1 - x0) / max(1, len(run["text"]))
            cursor = 0
            for token in tokens:
                start = run["text"].index(token, cursor)
                cursor = start + len(token)
                words.append(Word(token, (int(x0 + start * step), y0, int(x0 + cursor * step), y1), 1.0))
        text = "  ".join(r["text"] for r in runs)
        box = (min(w.bbox[0] for w in words), min(w.bbox[1] for w in words),
               max(w.bbox[2] for w in words), max(w.bbox[3] for w in words))  # fmt: skip
        lines.append(Line(text, box, 1.0, words))
    return Document(source=source, pages=[Page(number=1, width=size[0], height=size[1], lines=lines)])


#: Truth key -> InvoiceFields attribute.
FIELDS = {
    "issuer": "vendor_name",
    "invoice_number": "invoice_number",
    "invoice_date": "invoice_date",
    "due_date": "due_date",
    "subtotal": "subtotal",
    "tax": "tax_amount",
    "total": "total",
    "currency": "currency",
}


def _alnum(text: str | None) -> str:
    return "".join(ch for ch in (text or "").casefold() if ch.isalnum())


def right(key: str, want: Any, got: str | None) -> bool:
    """Issuer: letters and digits equal, either containing the other; numbers: letters and digits equal;
    amounts, dates and currency: equal."""
    if got is None:
        return False
    if key == "issuer":
        a, b = _alnum(want), _alnum(got)
        return bool(b) and (a in b or b in a) and len(b) >= 0.5 * len(a)
    if key == "invoice_number":
        return _alnum(want) == _alnum(got)
    return str(want) == str(got)


def read_cached(png: Path, truth: dict[str, Any]) -> Any:
    """``clearocr.read(png)`` with defaults (language detection), cached under
    benchmarks/results/ocr-cache/synthetic/ by name and seed; languages detected again from the text (as
    clearocr.read does after reading), so a cache made before a change of detection stays usable."""
    import clearocr
    from clearocr.document import Document
    from clearocr.languages import detect_languages

    cache = ROOT / "benchmarks" / "results" / "ocr-cache" / "synthetic"
    cache.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(png.read_bytes()).hexdigest()[:12]  # a changed drawing is read again
    cached = cache / f"{png.stem}_{truth['seed']}_{digest}.json"
    if cached.exists():
        document = Document.from_dict(json.loads(cached.read_text()))
        document.languages = detect_languages(document.text)
        return document
    document = clearocr.read(png)
    cached.write_text(document.to_json(indent=None))
    return document


def evaluate(folder: Path, mode: str, extractor: str) -> dict[str, Any]:
    """Extract every document under ``folder`` (``mode``: ``oracle`` or ``ocr``) and score it."""
    from PIL import Image

    from clearocr.extraction import extract_fields
    from clearocr.languages import detect_languages

    rows = []
    for png in sorted(folder.glob("*.png")):
        truth = json.loads(png.with_suffix(".json").read_text())
        if mode == "oracle":
            with Image.open(png) as image:
                document = drawn_document(truth, str(png), image.size)
            document.languages = detect_languages(document.text)
        else:
            document = read_cached(png, truth)
        started = time.perf_counter()
        fields = extract_fields(document, None, extractor).values()
        seconds = time.perf_counter() - started
        row = {"id": png.stem, "locale": truth["locale"], "template": truth["template"],
               "languages": document.languages, "seconds": seconds, "fields": {}}  # fmt: skip
        for key, attribute in FIELDS.items():
            if truth.get(key) is None:
                continue
            row["fields"][key] = {"want": truth[key], "got": fields.get(attribute),
                                  "right": right(key, truth[key], fields.get(attribute))}  # fmt: skip
        rows.append(row)
    return {"mode": mode, "extractor": extractor, "rows": rows}


def table(result: dict[str, Any], show_misses: bool) -> str:
    """Per-locale accuracy of each field (right / present), and the mean extraction time."""
    rows = result["rows"]
    locales = sorted({r["locale"] for r in rows})
    header = "| locale | " + " | ".join(FIELDS) + " | ms/doc |"
    out = [header, "|" + "---|" * (len(FIELDS) + 2)]
    for locale in [*locales, "all"]:
        mine = [r for r in rows if locale in ("all", r["locale"])]
        cells = []
        for key in FIELDS:
            scored = [r["fields"][key]["right"] for r in mine if key in r["fields"]]
            cells.append(f"{sum(scored) / len(scored):.2f}" if scored else "-")
        ms = 1000 * sum(r["seconds"] for r in mine) / max(1, len(mine))
        out.append(f"| {locale} | " + " | ".join(cells) + f" | {ms:.0f} |")
    if show_misses:
        for r in rows:
            for key, f in r["fields"].items():
                if not f["right"]:
                    out.append(
                        f"  miss {r['id']} {key}: want {f['want']!r} got {f['got']!r} ({r['languages']})"
                    )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "synthetic")
    parser.add_argument("--locales", default=",".join(LOCALES))
    parser.add_argument("--per-template", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--evaluate", choices=["oracle", "ocr"], help="score the documents under --out")
    parser.add_argument("--extractor", default="scored", choices=["scored", "rules"])
    parser.add_argument("--show-misses", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if not args.evaluate:
        written = generate(args.out, args.locales.split(","), args.per_template, args.seed)
        log.info("%d documents under %s", len(written), args.out)
        return 0
    result = evaluate(args.out, args.evaluate, args.extractor)
    print(table(result, args.show_misses))
    path = ROOT / "benchmarks" / "results" / f"synth_invoices_{args.evaluate}_{args.extractor}.json"
    path.write_text(json.dumps(result, indent=1, ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
