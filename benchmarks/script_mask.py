"""Languages restrict the output's script (not a test): the 90 SROIE receipts read with no language
given (``auto``, the default), with ``--lang en`` and with ``--lang en,zh``. Reports pooled CER against the transcripts and how many characters of a
script no requested language uses (CJK ideographs, kana, hangul, full-width forms, Cyrillic, Greek...)
appear in the output.

    python benchmarks/script_mask.py --json benchmarks/results/script_mask.json
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

from ocr_accuracy import sroie_items  # noqa: E402


def main() -> None:
    import clearocr
    from clearocr.engines.ctc_mask import foreign_script
    from clearocr.metrics import cer, normalize_text

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--languages", default="auto;en;en,zh", help="configurations, ';'-separated")
    args = parser.parse_args()
    items = sroie_items(args.limit)
    results = {}
    with clearocr.Reader() as reader:
        for languages in args.languages.split(";"):
            total_chars = total_errors = foreign = documents_with_foreign = warned = 0
            examples: list[str] = []
            started = time.perf_counter()
            for item in items:
                document = reader.read(item["path"], languages=languages)
                text = document.text
                warned += any(w.code == "script_removed" for w in document.warnings)
                ref, hyp = (
                    normalize_text(item["reference"], casefold=True),
                    normalize_text(text, casefold=True),
                )
                total_errors += cer(ref, hyp) * len(ref)
                total_chars += len(ref)
                found = [ch for ch in text if foreign_script(ch, ["en"])]
                foreign += len(found)
                documents_with_foreign += bool(found)
                if found and len(examples) < 8:
                    examples.append(f"{item['id']}: {''.join(found)[:20]}")
            results[languages] = {
                "documents": len(items),
                "cer_pooled": round(total_errors / max(1, total_chars), 4),
                "non_latin_characters": foreign,
                "documents_with_them": documents_with_foreign,
                "documents_with_script_removed_warning": warned,
                "examples": examples,
                "seconds_per_document": round((time.perf_counter() - started) / len(items), 2),
            }
            print(languages, json.dumps(results[languages]), flush=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
