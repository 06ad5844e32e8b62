"""Where the searchable-PDF writer was before the exporters moved to :mod:`clearocr.export`.

Kept so ``clearocr.pdf.to_pdf`` (named in earlier READMEs) still works: the code is
:mod:`clearocr.export.pdf`.
"""

from __future__ import annotations

from clearocr.errors import PdfOutputError
from clearocr.export.pdf import to_pdf

__all__ = ["PdfOutputError", "to_pdf"]
