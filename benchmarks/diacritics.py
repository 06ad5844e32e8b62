"""Are Latin diacritics read right for the languages asked for? (not a test)

Pages are rendered with Pillow in DejaVu Sans (Pillow's bundled font when DejaVu is not installed),
1600 px wide, 20 lines of 6 words each, then made a poor scan (``--degrade 0.45``: scaled to 45%, so
text about 15 px high, blurred, saved as JPEG at quality 40; clean pages read without a single error), from the 3,000 most frequent words of each language in
wordfreq's lists (the words with a letter outside A-Z drawn four times as often, so that the page is
rich in å/ä/ö, ñ/á/é/í/ó/ú/ü, ä/ö/ü/ß), ``random.Random(seed)``, 3 pages per language. Each page is
read with ``--lang <language>`` and with ``--lang en,<language>``. Reported: CER, and the accuracy of
the accented letters (of the reference's letters outside A-Z, the share found at the aligned place in
the output: difflib alignment of the two strings).

    python benchmarks/diacritics.py --degrade 0.35 --json benchmarks/results/diacritics_035.json
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import platform
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("sv", "es", "de")


def words(language: str) -> list[str]:
    from wordfreq import top_n_list

    return [w for w in top_n_list(language, 3000) if w.isalpha() and len(w) >= 2]


def render(language: str, seed: int, degrade: float = 0.45):
    from PIL import Image, ImageDraw, ImageFont

    rng = random.Random(f"{language}-{seed}")
    vocabulary = words(language)
    accented = [w for w in vocabulary if any(not ("a" <= ch <= "z") for ch in w)]
    path = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    font = ImageFont.truetype(str(path), 34) if path.exists() else ImageFont.load_default(34)
    lines = []
    for _ in range(20):
        picked = [rng.choice(accented) if rng.random() < 0.5 else rng.choice(vocabulary) for _ in range(6)]
        lines.append(" ".join(w.capitalize() if rng.random() < 0.2 else w for w in picked))
    image = Image.new("RGB", (1600, 80 + 60 * len(lines)), "white")
    draw = ImageDraw.Draw(image)
    for index, line in enumerate(lines):
        draw.text((60, 40 + 60 * index), line, font=font, fill="black")
    if degrade < 1.0:  # a poor scan: text about degrade x 34 px high, JPEG at quality 40, slight blur
        import io

        from PIL import ImageFilter

        small = image.resize((int(image.width * degrade), int(image.height * degrade)), Image.BILINEAR)
        small = small.filter(ImageFilter.GaussianBlur(0.6))
        buffer = io.BytesIO()
        small.save(buffer, "JPEG", quality=40)
        image = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
    return image, lines


def accented_accuracy(reference: str, output: str) -> tuple[int, int]:
    """(accented letters of ``reference`` read exactly, accented letters) after aligning the strings."""
    matcher = difflib.SequenceMatcher(None, reference, output, autojunk=False)
    right = 0
    for block in matcher.get_matching_blocks():
        right += sum(
            1 for ch in reference[block.a : block.a + block.size] if ch.isalpha() and not ch.isascii()
        )
    return right, sum(1 for ch in reference if ch.isalpha() and not ch.isascii())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=3)
    parser.add_argument("--degrade", type=float, default=0.45, help="scale of the poor scan (1: clean)")
    parser.add_argument("--json", default=str(ROOT / "benchmarks" / "results" / "diacritics_045.json"))
    args = parser.parse_args()

    import numpy as np

    import clearocr
    from clearocr.metrics import cer, normalize_text

    reader = clearocr.Reader()
    rows = []
    for language in LANGUAGES:
        for seed in range(args.pages):
            image, lines = render(language, seed, args.degrade)
            reference = normalize_text("\n".join(lines))
            for languages in (language, f"en,{language}"):
                output = normalize_text(reader.read(np.asarray(image), languages=languages).text)
                right, total = accented_accuracy(reference, output)
                rows.append(
                    {
                        "language": language,
                        "seed": seed,
                        "languages": languages,
                        "cer": cer(reference, output),
                        "accented_right": right,
                        "accented": total,
                    }
                )
    reader.close()
    print("| language | --lang | CER | accented letters read right |")
    print("|---|---|---:|---:|")
    summary = []
    for language in LANGUAGES:
        for languages in (language, f"en,{language}"):
            items = [r for r in rows if r["language"] == language and r["languages"] == languages]
            mean_cer = sum(r["cer"] for r in items) / len(items)
            accuracy = sum(r["accented_right"] for r in items) / max(1, sum(r["accented"] for r in items))
            summary.append(
                {"language": language, "languages": languages, "cer": mean_cer, "accented": accuracy}
            )
            print(f"| {language} | {languages} | {mean_cer:.2%} | {accuracy:.1%} |")
    meta = {
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "command": "python " + " ".join(sys.argv),
        "date": time.strftime("%Y-%m-%d"),
    }
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps({"meta": meta, "summary": summary, "pages": rows}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
