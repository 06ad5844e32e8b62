"""Inputs that once lost text or memory without a typed error (issue 26, items 3, 9, 11, 12, 13).

Every input is generated here; none comes from an evaluation set.
"""

from __future__ import annotations

import io
import struct
import time
import zlib

import numpy as np
import pytest
from PIL import Image, ImageDraw

from clearocr.errors import EmptyInputError, ImageTooLargeError, TooManyPagesError, UnsupportedInputError
from clearocr.io import document_suffixes, open_source, scale_to_uint8
from clearocr.options import parse_page_spec


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def _png(image: Image.Image, **kwargs) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", **kwargs)
    return buffer.getvalue()


def _float_tiff(values: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(values.astype(np.float32), "F").save(buffer, "TIFF")
    return buffer.getvalue()


# --- item 3: 32-bit float TIFF -------------------------------------------------------------------


def test_float_tiff_in_unit_range_keeps_its_ink():
    values = np.ones((60, 200), dtype=np.float32)
    values[20:30, 10:190] = 0.0  # a dark bar of "ink"
    values[:3, :3] = np.nan
    with open_source(_float_tiff(values)) as document:
        page = document.page(1).image
    assert page.dtype == np.uint8
    assert page[25, 100].tolist() == [0, 0, 0]
    assert page[50, 100].tolist() == [255, 255, 255]
    assert page[1, 1].tolist() == [255, 255, 255]  # NaN is paper, not ink


def test_float_tiff_of_other_ranges_is_stretched():
    values = np.full((40, 80), 4000.0, dtype=np.float32)
    values[10:20, :] = -100.0
    with open_source(_float_tiff(values)) as document:
        page = document.page(1).image
    assert page[15, 40, 0] == 0 and page[30, 40, 0] == 255


def test_float_tiff_of_nan_only_is_a_typed_error():
    with pytest.raises(EmptyInputError, match="finite"):
        with open_source(_float_tiff(np.full((20, 20), np.nan)), name="nan.tif") as document:
            document.page(1)


def test_scale_to_uint8_keeps_byte_range_and_scales_unit_floats():
    assert scale_to_uint8(np.array([0, 128, 255], dtype=np.int32)).tolist() == [0, 128, 255]
    assert scale_to_uint8(np.array([0.0, 0.5, 1.0])).tolist() == [0, 128, 255]
    assert scale_to_uint8(np.array([0, 65535], dtype=np.uint16)).tolist() == [0, 255]


def test_float_array_with_nan_reads_as_paper():
    values = np.ones((30, 40))
    values[5, 5] = np.nan
    values[10, 10] = 0.0
    with open_source(values) as document:
        page = document.page(1).image
    assert page[5, 5, 0] == 255 and page[10, 10, 0] == 0


# --- item 9: one list of formats -----------------------------------------------------------------


def test_every_suffix_read_opens_is_a_document_suffix(tmp_path):
    suffixes = document_suffixes()
    for suffix in (".j2k", ".jp2", ".ppm", ".pgm", ".pbm", ".pnm", ".png", ".tif", ".pdf", ".webp", ".dib"):
        assert suffix in suffixes
    image = Image.new("RGB", (64, 32), "white")
    for suffix, fmt in ((".ppm", "PPM"), (".j2k", "JPEG2000")):
        path = tmp_path / f"page{suffix}"
        image.save(path, fmt)
        with open_source(path) as document:
            assert document.page(1).image.shape == (32, 64, 3)


def test_batch_walk_collects_j2k_and_ppm(tmp_path):
    from clearocr.batch import expand_inputs

    image = Image.new("RGB", (64, 32), "white")
    image.save(tmp_path / "a.ppm", "PPM")
    image.save(tmp_path / "b.j2k", "JPEG2000")
    problems: list = []
    pairs = expand_inputs([str(tmp_path)], problems)
    assert sorted(relative for _, relative in pairs) == ["a.ppm", "b.j2k"]
    assert problems == []


# --- item 11: a header that claims 2^31 frames ---------------------------------------------------


def _apng_claiming(frames: int) -> bytes:
    data = _png(Image.new("L", (4, 4), 255))
    return data[:33] + _chunk(b"acTL", struct.pack(">II", frames, 0)) + data[33:]


def test_page_selection_is_counted_before_it_is_expanded():
    started = time.perf_counter()
    with pytest.raises(TooManyPagesError, match="2,147,483,648 pages selected"):
        parse_page_spec(None, 2**31, "claims.png", max_pages=1000)
    with pytest.raises(TooManyPagesError):
        parse_page_spec("1-5,3-200000000", 2**31, "claims.png", max_pages=1000)
    assert time.perf_counter() - started < 0.5
    assert parse_page_spec("3-5,1,4-6", 10, max_pages=6) == [1, 3, 4, 5, 6]


def test_apng_claiming_two_billion_frames_is_refused_in_bounded_memory():
    import clearocr

    data = _apng_claiming(2**31)
    assert len(data) < 120
    started = time.perf_counter()
    with pytest.raises(TooManyPagesError):
        clearocr.read(data, name="claims.png")
    assert time.perf_counter() - started < 5


# --- item 12: a PDF page too large to render legibly --------------------------------------------


def _pdf_page(width_pt: float, height_pt: float) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=width_pt, height=height_pt)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("side", [1_000_000, 100_000_000])
def test_pdf_page_too_large_for_a_legible_render_is_refused(side):
    with open_source(_pdf_page(side, side), name="huge.pdf") as document:
        with pytest.raises(ImageTooLargeError, match="dpi"):
            document.page(1)


def test_pdf_poster_page_is_rendered_within_the_budget():
    from clearocr.io import MAX_RENDER_PIXELS

    with open_source(_pdf_page(25 * 72, 50 * 72), name="poster.pdf") as document:
        page = document.page(1)
    assert page.image.shape[0] * page.image.shape[1] <= MAX_RENDER_PIXELS
    assert page.dpi is not None and page.dpi >= 20


# --- item 13: formats told by their leading signature --------------------------------------------


def test_png_with_pdf_marker_in_metadata_is_a_png():
    image = Image.new("RGB", (200, 60), "white")
    ImageDraw.Draw(image).text((10, 20), "Total 9.00", fill="black")
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "made from %PDF-1.7 by a scanner")
    data = _png(image, pnginfo=info)
    assert b"%PDF-" in data[:1024]
    with open_source(data, name="scan.png") as document:
        assert document.page(1).image.shape == (60, 200, 3)


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (b"\xef\xbb\xbf%!PS-Adobe-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n", "PostScript"),
        (b'\xef\xbb\xbf<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>', "SVG"),
        (b'\xef\xbb\xbf<?xml version="1.0"?><svg/>', "XML"),
    ],
)
def test_text_formats_after_a_byte_order_mark_are_named(data, what):
    with pytest.raises(UnsupportedInputError, match=what):
        open_source(data, name="drawing.png")
