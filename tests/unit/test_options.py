import pytest

from clearocr.errors import OptionsError, PageRangeError
from clearocr.options import ReadOptions, parse_page_spec


@pytest.mark.parametrize(
    "spec, count, expected",
    [
        (None, 3, [1, 2, 3]),
        ("all", 2, [1, 2]),
        ("1-3,5", 6, [1, 2, 3, 5]),
        ("2-", 4, [2, 3, 4]),
        ("3, 1", 3, [1, 3]),
        ("2-2", 2, [2]),
    ],
)
def test_page_spec(spec, count, expected):
    assert parse_page_spec(spec, count) == expected


@pytest.mark.parametrize("spec", ["0", "3-1", "a", "1-2-3", "1,,2"])
def test_bad_page_spec(spec):
    with pytest.raises(PageRangeError):
        parse_page_spec(spec, 10, "doc.pdf")


def test_page_beyond_document_names_file_and_count():
    with pytest.raises(PageRangeError) as info:
        parse_page_spec("1-5", 3, "doc.pdf")
    assert "doc.pdf" in str(info.value) and "3 page" in str(info.value)


def test_languages_from_string_and_defaults():
    options = ReadOptions.build(languages=" en, SV ,zh")
    assert options.languages == ["en", "sv", "zh"]
    assert ReadOptions().engine == "rapidocr" and ReadOptions().pdf_text == "auto"


@pytest.mark.parametrize(
    "overrides, fragment",
    [
        ({"dpi": 10}, "dpi"),
        ({"pdf_text": "never"}, "pdf_text"),
        ({"nonsense": 1}, "nonsense"),
        ({"pages": "x"}, "page"),
        ({"languages": ""}, "language"),
    ],
)
def test_invalid_options_raise_readable_error(overrides, fragment):
    with pytest.raises(OptionsError) as info:
        ReadOptions.build(**overrides)
    assert fragment in str(info.value)


def test_build_merges_overrides_without_mutating():
    base = ReadOptions.build(dpi=200)
    merged = ReadOptions.build(base, languages="sv")
    assert merged.dpi == 200 and merged.languages == ["sv"] and base.languages == ["auto"]
