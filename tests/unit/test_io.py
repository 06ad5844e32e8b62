import io

import numpy as np
import pytest
from PIL import Image

from clearocr.errors import (
    CorruptInputError,
    EmptyInputError,
    EncryptedPDFError,
    ImageTooLargeError,
    InputError,
    PageRangeError,
    UnsupportedInputError,
)
from clearocr.io import open_source, to_rgb_array


def png_bytes(image: Image.Image, fmt: str = "PNG", **kwargs) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **kwargs)
    return buffer.getvalue()


def test_every_source_kind_loads(tmp_path):
    image = Image.new("RGB", (40, 30), "white")
    path = tmp_path / "page.png"
    image.save(path, dpi=(300, 300))
    sources = [
        str(path),
        path,
        path.read_bytes(),
        io.BytesIO(path.read_bytes()),
        image,
        np.zeros((30, 40), dtype=np.uint8),
        np.zeros((30, 40, 4), dtype=np.uint8),
    ]
    for source in sources:
        with open_source(source) as document:
            page = next(document.iter_pages())
            assert page.image.shape == (30, 40, 3) and page.image.dtype == np.uint8
    with open_source(path) as document:
        assert round(document.page(1).dpi) == 300


@pytest.mark.parametrize("fmt", ["JPEG", "BMP", "GIF", "WEBP", "TIFF"])
def test_image_formats(fmt):
    data = png_bytes(Image.new("RGB", (20, 10), "white"), fmt)
    with open_source(data) as document:
        assert document.page(1).image.shape == (10, 20, 3)


def test_multipage_tiff_pages_and_selection():
    frames = [Image.new("L", (20 + i, 10), 255) for i in range(3)]
    data = png_bytes(frames[0], "TIFF", save_all=True, append_images=frames[1:])
    with open_source(data) as document:
        assert document.page_count == 3
        widths = [p.image.shape[1] for p in document.iter_pages("1,3")]
    assert widths == [20, 22]


def test_transparent_png_becomes_white_not_black():
    rgba = Image.new("RGBA", (4, 4), (0, 0, 0, 0))
    assert to_rgb_array(rgba).min() == 255


def test_zero_byte_file_names_file(tmp_path):
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    with pytest.raises(EmptyInputError) as info:
        open_source(path)
    assert "empty.jpg" in str(info.value) and "0 bytes" in str(info.value)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        open_source(tmp_path / "nope.png")
    with pytest.raises(UnsupportedInputError, match="directory"):
        open_source(tmp_path)


def test_not_an_image(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("this is plain text, not a picture")
    with pytest.raises(CorruptInputError) as info:
        open_source(path)
    assert "notes.png" in str(info.value) and "not an image" in str(info.value)


def test_truncated_png_is_reported_when_read(tmp_path):
    data = png_bytes(Image.effect_noise((200, 200), 50).convert("RGB"))
    path = tmp_path / "cut.png"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CorruptInputError) as info:
        with open_source(path) as document:
            document.page(1)
    assert "cut.png" in str(info.value) and "truncated" in str(info.value)


def test_wrong_type():
    with pytest.raises(UnsupportedInputError, match="int"):
        open_source(42)


def test_pixel_limit_and_real_decompression_bomb():
    data = png_bytes(Image.new("RGB", (20, 20)))
    with pytest.raises(ImageTooLargeError, match="decompression bomb"):
        with open_source(data, max_pixels=100) as document:
            document.page(1)
    bomb = png_bytes(Image.new("1", (15000, 15000)))  # 225 Mpx that compresses to a few KB
    with pytest.raises(ImageTooLargeError):
        with open_source(bomb) as document:
            document.page(1)


def test_pdf_pages_render_lazily_at_dpi(samples):
    with open_source(samples / "invoice-3pages.pdf", dpi=72) as document:
        assert document.page_count == 3
        pages = document.iter_pages("2-3")
        first = next(pages)
        assert (
            first.number == 2
            and first.image.shape[0] == 842
            and first.image.shape[1] in (595, 596)
            and first.dpi == 72
        )
        assert next(pages).number == 3


def test_pdf_text_layer_words_have_pixel_boxes(samples):
    with open_source(samples / "invoice-3pages.pdf", dpi=150) as document:
        page = document.page(1)
    words = {w.text: w for w in page.layer_words}
    assert "INV-2024-00172" in words and "Sveavägen" in words
    x0, y0, x1, y1 = words["INV-2024-00172"].bbox
    height, width = page.image.shape[:2]
    assert 0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height
    assert y0 < height / 4  # printed near the top; the origin is top-left
    crop = page.image[y0:y1, x0:x1]
    assert crop.min() < 100  # the box covers dark printed text


def test_scanned_pdf_has_no_layer(samples):
    with open_source(samples / "invoice-3pages-scanned.pdf", dpi=50) as document:
        assert document.page(1).layer_words == []


def test_encrypted_pdf(tmp_path, samples):
    pypdf = pytest.importorskip("pypdf")
    writer = pypdf.PdfWriter(clone_from=str(samples / "invoice-3pages.pdf"))
    writer.encrypt(user_password="secret", owner_password="owner")
    path = tmp_path / "locked.pdf"
    with open(path, "wb") as handle:
        writer.write(handle)
    with pytest.raises(EncryptedPDFError) as info:
        open_source(path)
    assert "locked.pdf" in str(info.value) and "password" in str(info.value)


def test_zero_page_and_truncated_pdf(tmp_path, samples):
    import pypdfium2 as pdfium

    empty = pdfium.PdfDocument.new()
    buffer = io.BytesIO()
    empty.save(buffer)
    with pytest.raises((EmptyInputError, CorruptInputError), match="pages"):
        open_source(buffer.getvalue())
    data = (samples / "invoice-3pages.pdf").read_bytes()
    with pytest.raises((CorruptInputError, EmptyInputError)):
        with open_source(data[:300]) as document:
            document.page(1)


def test_page_range_beyond_pdf(samples):
    with open_source(samples / "invoice-3pages.pdf") as document:
        with pytest.raises(PageRangeError) as info:
            list(document.iter_pages("2-7"))
    assert "invoice-3pages.pdf" in str(info.value)


@pytest.mark.parametrize("rotate", [0, 90, 180, 270])
@pytest.mark.parametrize("shift_origin", [False, True])
def test_text_layer_boxes_sit_on_the_rendered_text(rotate, shift_origin):
    """/Rotate and a MediaBox whose origin is not (0, 0) (PDFs made with fpdf2, rotated and shifted
    with pypdf): every layer word's box is inside the page and covers ink in the rendered image."""
    import io as stdio

    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import RectangleObject

    from clearocr.io import open_source
    from clearocr.testing.hostile import make_pdf as _pdf

    writer = PdfWriter(clone_from=PdfReader(stdio.BytesIO(_pdf(text="Invoice 42 Total 9.00"))))
    for page in writer.pages:
        if rotate:
            page.rotate(rotate)
        if shift_origin:
            page.mediabox = RectangleObject([-100, -50, 495, 792])
    buffer = stdio.BytesIO()
    writer.write(buffer)
    with open_source(buffer.getvalue(), dpi=100) as source:
        page = source.page(1)
    height, width = page.image.shape[:2]
    assert [w.text for w in page.layer_words] == ["Invoice", "42", "Total", "9.00"]
    for word in page.layer_words:
        x0, y0, x1, y1 = word.bbox
        assert 0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height, word
        assert page.image[y0:y1, x0:x1].min() < 128, word  # dark pixels: the word is drawn there


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
@pytest.mark.parametrize("as_path", [False, True])
def test_single_frame_pixels_are_freed_once_the_page_is_an_array(tmp_path, fmt, as_path):
    """Pillow's decoded copy goes as soon as the page array exists; asking again decodes again."""
    rng = np.random.default_rng(5)
    pixels = rng.integers(0, 256, size=(40, 64, 3), dtype=np.uint8)
    image = Image.fromarray(pixels)
    exif = Image.Exif()
    exif[0x0112] = 6  # turned: the page is transposed on loading
    buffer = io.BytesIO()
    image.save(buffer, fmt, exif=exif.tobytes())
    path = tmp_path / f"page.{fmt.lower()}"
    path.write_bytes(buffer.getvalue())
    source = open_source(path if as_path else buffer.getvalue())
    first = source.page(1)
    assert first.image.shape == (64, 40, 3) and first.steps[0][0] == "exif_transpose"
    with pytest.raises(ValueError):  # the PIL image is closed: its pixels are gone
        source._image.getpixel((0, 0))
    again = source.page(1)
    assert np.array_equal(first.image, again.image) and again.steps == first.steps
    source.close()


def test_a_callers_pil_image_stays_usable():
    image = Image.new("RGB", (30, 20), "white")
    source = open_source(image)
    source.page(1)
    source.close()
    assert image.getpixel((0, 0)) == (255, 255, 255)
