"""Reading order on randomised multi-column pages, clearocr beside Tesseract (not a test).

Every page is drawn from wide ranges by ``random.Random(seed)``, so no rule can be fitted to a page:

* 1-4 columns, gutters 1-8% of the page width, justified or ragged-right text;
* DejaVu Sans or Liberation Serif at 24-38 px (A4 at 200 dpi: about 9-14 pt), line pitch 1.2-1.6 em;
* a title across 1 to all columns, sometimes a running header and a page number;
* skew up to 3 degrees (either way), Gaussian scanner noise and JPEG compression (quality 55-95).

Justified lines are set word by word with the spare width spread over the word gaps, so a gap inside
a line can be as wide as the gutter: the case where a text detector draws one box across two columns.

The known reading order: running header, title, then each column top to bottom, left column first,
then the page number. Reported per family (columns x justified/ragged): CER of the page text against
that order (whitespace normalised, ``clearocr.metrics``) and **pairs in order** (of all pairs of
reference lines both found in the output, the share in the reference's order), for clearocr (default
options, ``languages=en``) and for Tesseract 5 with its own page segmentation (``--psm 3`` through
tesserocr), on the same pages.

Seeds: develop on ``--first-seed 0`` and keep the report seeds (``--first-seed 1000``) unseen until a
change is final; say which seeds a figure comes from.

    python benchmarks/layout_random.py --pages 24 --first-seed 1000 --json benchmarks/results/layout_random.json
"""

from __future__ import annotations

import argparse
import io
import random
import sys
import time
from pathlib import Path
from typing import Any

from layout_order import FONTS, PAGE_H, PAGE_W, WORDS, order_figures, pairs_in_order, write_results

ROOT = Path(__file__).resolve().parent.parent


def _font(family: str, size: int, bold: bool = False) -> Any:
    from PIL import ImageFont

    path = Path(FONTS[family][1 if bold else 0])
    return ImageFont.truetype(str(path), size) if path.exists() else ImageFont.load_default(size)


def _words_for(rng: random.Random, font: Any, width: float) -> list[str]:
    """Random words that fill one line of ``width`` pixels with single spaces."""
    words: list[str] = []
    while True:
        word = rng.choice(WORDS)
        if words and font.getlength(" ".join([*words, word])) > width:
            return words
        words.append(word)


def _draw_line(
    draw: Any, x: float, y: float, words: list[str], font: Any, width: float, justify: bool
) -> None:
    """One line at ``(x, y)``; justified lines spread the spare width over their word gaps."""
    if not justify or len(words) < 2:
        draw.text((x, y), " ".join(words), fill="black", font=font)
        return
    spare = width - sum(font.getlength(w) for w in words)
    gap = spare / (len(words) - 1)
    cursor = x
    for word in words:
        draw.text((cursor, y), word, fill="black", font=font)
        cursor += font.getlength(word) + gap


def page_parameters(seed: int) -> dict[str, Any]:
    """The random choices of one page (the page is a function of these and the seed)."""
    rng = random.Random(f"layout-random-{seed}")
    columns = rng.choice([1, 2, 2, 3, 3, 4])
    return {
        "columns": columns,
        "gutter": round(rng.uniform(0.01, 0.08), 4),
        "justified": rng.random() < 0.5,
        "font": rng.choice(sorted(FONTS)),
        "size": rng.randint(24, 38) if columns < 4 else rng.randint(24, 30),
        "pitch": round(rng.uniform(1.2, 1.6), 2),
        "title_span": rng.randint(1, columns),
        "header": rng.random() < 0.4,
        "page_number": rng.random() < 0.5,
        "skew": round(rng.uniform(-3.0, 3.0), 2) if rng.random() < 0.6 else 0.0,
        "noise": round(rng.uniform(0.0, 12.0), 1),
        "jpeg": rng.randint(55, 95) if rng.random() < 0.6 else None,
    }


def render(seed: int) -> tuple[Any, list[str], dict[str, Any]]:
    """``(PIL image, reference lines in reading order, parameters)`` of one page."""
    import numpy as np
    from PIL import Image, ImageDraw

    params = page_parameters(seed)
    rng = random.Random(f"layout-random-text-{seed}")
    image = Image.new("RGB", (PAGE_W, PAGE_H), "white")
    draw = ImageDraw.Draw(image)
    margin = 120
    columns, gutter = params["columns"], params["gutter"] * PAGE_W
    column_width = (PAGE_W - 2 * margin - (columns - 1) * gutter) / columns
    font = _font(params["font"], params["size"])
    pitch = int(params["size"] * params["pitch"])
    reference: list[str] = []
    y = margin
    if params["header"]:
        header = " ".join(rng.choice(WORDS) for _ in range(3)).title()
        draw.text((margin, y), header, fill="black", font=_font(params["font"], 24))
        reference.append(header)
        y += 60
    title_font = _font(params["font"], int(params["size"] * 1.7), bold=True)
    title_width = params["title_span"] * column_width + (params["title_span"] - 1) * gutter
    title = _words_for(rng, title_font, title_width * 0.9)[:8]
    draw.text((margin, y), " ".join(title), fill="black", font=title_font)
    reference.append(" ".join(title))
    y += int(params["size"] * 1.7 * 1.8)
    bottom = PAGE_H - margin - (80 if params["page_number"] else 0)
    rows = max(1, int((bottom - y) // pitch))
    for column in range(columns):
        x = margin + column * (column_width + gutter)
        for row in range(rows):
            words = _words_for(rng, font, column_width)
            last_of_paragraph = rng.random() < 0.12
            _draw_line(
                draw,
                x,
                y + row * pitch,
                words,
                font,
                column_width,
                params["justified"] and not last_of_paragraph,
            )
            reference.append(" ".join(words))
    if params["page_number"]:
        number = str(rng.randint(2, 400))
        draw.text((PAGE_W / 2, PAGE_H - margin - 40), number, fill="black", font=_font(params["font"], 24))
        reference.append(number)
    if params["skew"]:
        image = image.rotate(params["skew"], resample=Image.BICUBIC, expand=True, fillcolor="white")
    if params["noise"]:
        noisy = np.asarray(image, dtype=np.float32) + np.random.default_rng(seed).normal(
            0, params["noise"], (image.height, image.width, 1)
        )
        image = Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))
    if params["jpeg"]:
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=params["jpeg"])
        image = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
    return image, reference, params


def family(params: dict[str, Any]) -> str:
    """The reporting family of a page: columns and justification."""
    if params["columns"] == 1:
        return "1 column"
    return f"{params['columns']} columns, {'justified' if params['justified'] else 'ragged'}"


def read_tesseract(api: Any, image: Any) -> str:
    """Tesseract's own page segmentation and reading order (``--psm 3``)."""
    api.SetImage(image)
    return str(api.GetUTF8Text())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=24)
    parser.add_argument(
        "--first-seed", type=int, default=1000, help="0: development seeds; 1000: report seeds"
    )
    parser.add_argument("--json", default=str(ROOT / "benchmarks" / "results" / "layout_random.json"))
    parser.add_argument("--save-pages", default=None, help="also write the rendered pages (PNG) here")
    parser.add_argument("--no-tesseract", action="store_true", help="clearocr only")
    args = parser.parse_args()

    import numpy as np

    import clearocr
    from clearocr.metrics import cer, normalize_text

    api = None
    if not args.no_tesseract:
        import tesserocr

        from clearocr.engines.tesseract import tessdata_dir

        api = tesserocr.PyTessBaseAPI(path=tessdata_dir() or "", lang="eng", psm=tesserocr.PSM.AUTO)
    reader = clearocr.Reader()
    rows = []
    for seed in range(args.first_seed, args.first_seed + args.pages):
        image, reference, params = render(seed)
        if args.save_pages:
            Path(args.save_pages).mkdir(parents=True, exist_ok=True)
            image.save(Path(args.save_pages) / f"page-{seed}.png")
        truth = normalize_text("\n".join(reference))
        readers: list[tuple[str, Any]] = [
            ("clearocr", lambda im: reader.read(np.asarray(im), languages="en").text)
        ]
        if api is not None:
            readers.append(("tesseract", lambda im: read_tesseract(api, im)))
        for name, read in readers:
            started = time.perf_counter()
            text = read(image)
            seconds = time.perf_counter() - started
            ordered, pairs = pairs_in_order(reference, text)
            rows.append(
                {
                    "seed": seed,
                    "family": family(params),
                    "params": params,
                    "program": name,
                    "cer": cer(truth, normalize_text(text)),
                    "pairs_in_order": ordered,
                    "pairs": pairs,
                    "seconds": round(seconds, 2),
                }
            )
        print(
            f"seed {seed}: {family(params)}, "
            + ", ".join(f"{r['program']} {r['cer']:.1%}" for r in rows[-len(readers) :]),
            file=sys.stderr,
        )
    reader.close()
    if api is not None:
        api.End()
    programs = ["clearocr"] + (["tesseract"] if api is not None else [])
    families = sorted({r["family"] for r in rows})
    header = "| family | pages | " + " | ".join(f"{p} CER | {p} pairs in order" for p in programs) + " |"
    table = [header, "|---|---:|" + "---:|---:|" * len(programs)]
    summary = []
    for name in [*families, "all"]:
        cells = []
        pages = 0
        for program in programs:
            items = [r for r in rows if r["program"] == program and name in (r["family"], "all")]
            pages = len(items)
            mean_cer, ordered = order_figures(items)
            summary.append(
                {
                    "family": name,
                    "program": program,
                    "pages": pages,
                    "cer_mean": mean_cer,
                    "pairs_in_order": ordered,
                }
            )
            cells += [f"{mean_cer:.1%}", f"{ordered:.1%}"]
        table.append(f"| {name} | {pages} | " + " | ".join(cells) + " |")
    write_results(args.json, table, summary, rows, seeds=[args.first_seed, args.first_seed + args.pages - 1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
