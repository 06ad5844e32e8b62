"""The review page in a real browser: Debian's Chromium driven by Selenium through Debian's
chromium-driver (.ci/run installs both). The document is a synthetic receipt (tests/fixtures/pages.py)
read by the real engine, corrected by a user post-processor and run through the rule extractor."""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import pytest

import clearocr
from clearocr.correction import apply_postprocessors
from clearocr.export.review import to_review_html
from clearocr.extraction import RuleExtractor
from tests.fixtures.pages import lines_page

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        CHROMIUM is None or DRIVER is None,
        reason="no Chromium/chromedriver (apt-get install chromium chromium-driver; .ci/run does)",
    ),
]

#: Screenshots land here (CI keeps the folder as a test artifact).
ARTIFACTS = Path(
    os.environ.get("CLEAROCR_TEST_ARTIFACTS", Path(__file__).resolve().parents[2] / "test-artifacts")
)

RECEIPT = [
    "Garden Market AB",
    "Storgatan 12, Uppsala",
    "Invoice no: GM-20417",
    "Date: 2024-05-03",
    "Pencils 2 x 3.75 7.50",
    "Ladder 1 x 110.70 110.70",
    "Total SEK 118.20",
]


@pytest.fixture(scope="module")
def review_file(tmp_path_factory):
    page = lines_page(RECEIPT)
    buffer = io.BytesIO()
    page.image.save(buffer, format="PNG", dpi=(page.dpi, page.dpi))
    data = buffer.getvalue()
    document = clearocr.read(data, name="receipt.png")
    apply_postprocessors(
        document, lambda text: text.replace("Pencils", "Pencil-s")
    )  # a user's post-processor
    document.fields = RuleExtractor(["en"]).extract(document).to_dict()
    path = tmp_path_factory.mktemp("review") / "review.html"
    path.write_text(to_review_html(document, data), encoding="utf-8")
    return path, document


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1400,1000",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    yield driver
    driver.quit()


def test_review_page_in_chromium(review_file, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    path, document = review_file
    browser.get(path.as_uri())
    WebDriverWait(browser, 10).until(lambda d: d.execute_script("return document.readyState") == "complete")
    # No errors in the console (a blocked network request or a script error would show here).
    severe = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert severe == []
    # One box per word.
    boxes = browser.find_elements(By.CSS_SELECTOR, "rect.word")
    assert len(boxes) == len(document.pages[0].words) > 10
    # The page image is shown (the first page's at once; later pages' when they scroll into view).
    WebDriverWait(browser, 10).until(
        lambda d: d.execute_script(
            "const i = document.querySelector('.figure img'); return i && i.src.startsWith('data:image/jpeg') && i.complete && i.naturalWidth > 0"
        )
    )
    # The correction is marked in the corrected text, with what it replaced and who made it.
    marks = browser.find_elements(By.CSS_SELECTOR, "pre.corrected mark.fix")
    assert [m.text for m in marks] == ["Pencil-s"]
    assert "Pencils" in marks[0].get_attribute("title") and "Pencil-s" in marks[0].get_attribute("title")
    # Clicking a field highlights its box, and only its box.
    rows = browser.find_elements(By.CSS_SELECTOR, "tr.field-row")
    names = [r.get_attribute("data-field") for r in rows]
    assert "total" in names
    total = rows[names.index("total")]
    assert not browser.find_element(By.CSS_SELECTOR, 'rect.field[data-field="total"]').is_displayed()
    total.click()
    WebDriverWait(browser, 5).until(
        lambda d: d.find_element(By.CSS_SELECTOR, 'rect.field[data-field="total"]').is_displayed()
    )
    assert len(browser.find_elements(By.CSS_SELECTOR, "rect.field.on")) == 1
    box = browser.find_element(By.CSS_SELECTOR, 'rect.field[data-field="total"]')
    field = document.fields["total"]
    assert [int(float(box.get_attribute(k))) for k in ("x", "y")] == field["bbox"][:2]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(ARTIFACTS / "review.png"))
