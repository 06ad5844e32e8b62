"""The tutorials' own LLM flow on real receipts: a ``run_prompt`` spell-check callable in
``set_post_processor`` (examples/01 and 04), guarded, measured against ground truth (not a test).

    python benchmarks/tutorial_flow.py --model PATH.gguf [--limit 10] [--json out.json]

For each SROIE receipt (the default engine's own OCR, cached as in benchmarks/extraction.py), the
callable sends the tutorial's prompt ("Correct spelling and punctuation:\\n{text}") for the whole
page and the guard keeps only OCR-plausible edits. Reported: answers that changed the text, edits kept
and rejected, CER before and after (upper-cased, as SROIE's ground truth), right digit tokens changed
(see benchmarks/correction.py), and seconds per receipt on this machine.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from rapidfuzz.distance import Levenshtein

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="a .gguf file (e.g. from benchmarks/bench_models.py)")
    parser.add_argument("--limit", type=int, default=10)
    parser.add_argument("--json", default=None)
    parser.add_argument(
        "--reply-cache", default=None, help="JSONL of the model's replies (see benchmarks/correction.py)"
    )
    args = parser.parse_args()

    from correction import ReplyCache, damage
    from extraction import document_for
    from ocr_accuracy import sroie_items

    from clearocr.ai import AI, AIModelConfig
    from clearocr.metrics import normalize_text

    ai = AI(AIModelConfig(file_model_path=args.model, context_size=4096, fallback="error"))
    if args.reply_cache:
        ai._backend = ReplyCache(ai._backend, Path(args.reply_cache))

    def simple_spell_check(text: str) -> str:  # the tutorial's callable, verbatim
        prompt = f"Correct spelling and punctuation:\n{text}"
        return ai.run_prompt(prompt)

    ai.set_post_processor(simple_spell_check, None)
    totals = {
        "receipts": 0,
        "changed_answers": 0,
        "ref": 0,
        "raw_err": 0,
        "fixed_err": 0,
        "changed": 0,
        "right_changed": 0,
        "right_digits_changed": 0,
        "seconds": 0.0,
    }
    for item in sroie_items(args.limit):
        raw = document_for(Path(item["path"]), "ocr", "en").text
        started = time.perf_counter()
        accepted_before = ai.guard_accepted
        fixed = ai.run_postprocessor(raw)
        totals["seconds"] += time.perf_counter() - started
        totals["changed_answers"] += ai.guard_accepted > accepted_before
        ref = normalize_text(item["reference"].upper(), casefold=True)
        before, after = normalize_text(raw, casefold=True), normalize_text(fixed, casefold=True)
        totals["receipts"] += 1
        totals["ref"] += len(ref)
        totals["raw_err"] += Levenshtein.distance(ref, before)
        totals["fixed_err"] += Levenshtein.distance(ref, after)
        changed, right, digits = damage(before.split(), after.split(), ref.split())
        totals["changed"] += changed
        totals["right_changed"] += right
        totals["right_digits_changed"] += digits
        print(f"{item['id']}: {ai.guard_accepted - accepted_before} edits kept", flush=True)
    n = max(1, totals["receipts"])
    result = {
        "model": Path(args.model).name,
        **totals,
        "edits_kept": ai.guard_accepted,
        "edits_rejected": ai.guard_rejected,
        "cer_before": totals["raw_err"] / max(1, totals["ref"]),
        "cer_after": totals["fixed_err"] / max(1, totals["ref"]),
        "seconds_per_receipt": totals["seconds"] / n,
    }
    ai.free_resources()
    print(
        "| receipts | answers that changed text | edits kept | edits rejected | CER before | CER after "
        "| right words changed | right digit tokens changed | s/receipt |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {n} | {result['changed_answers']} | {result['edits_kept']} | {result['edits_rejected']} | "
        f"{result['cer_before']:.2%} | {result['cer_after']:.2%} | {result['right_changed']} | "
        f"{result['right_digits_changed']} | {result['seconds_per_receipt']:.1f} |"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
