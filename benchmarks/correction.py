"""Post-OCR correction on real data: CER/WER before and after, and the damage done (not a test).

    python benchmarks/correction.py --correctors lexical,lexical+llm [--limit N]

Datasets:

* sroie: the default engine's own output on the 90 SROIE receipts (cached by benchmarks/extraction.py
  or read here) vs the ground-truth lines in reading order, upper-cased; word confidences are the OCR's.
* bln600: ``postocr-bln600/test.csv`` OCR Text -> Ground Truth pairs (no confidences: unknown).
* hipe: ``postocr-hipe-overproof-en/overproof_dev_en.jsonl`` article OCR -> ground truth (its "¬"
  line-end hyphens read as "-", as printed).
* funsd: the default engine's output on the FUNSD test forms (printed + handwritten; word confidences
  are the OCR's) vs the annotated words in reading order (as in benchmarks/handwriting.py).

Damage: a token the corrector changed although it already equalled the aligned reference token
(Levenshtein alignment of token lists); digit damage counts those holding digits. Text is normalised
as in benchmarks/ocr_accuracy.py (NFKC, whitespace runs to one space).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import sys
import time
from pathlib import Path

from rapidfuzz.distance import Levenshtein

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("CLEAROCR_DATA", ROOT.parent / "shared" / "data"))


def sroie_pairs(limit):
    """(raw tokens with confidences, reference text) per receipt."""
    from extraction import document_for  # the shared OCR cache
    from ocr_accuracy import sroie_items

    for item in sroie_items(limit):
        document = document_for(Path(item["path"]), "ocr", "en")
        yield item["id"], document, item["reference"].upper()


def funsd_pairs(limit):
    """FUNSD forms: the default engine's output (cached) vs the annotated words in reading order."""
    from extraction import document_for
    from handwriting import funsd_items

    for item in funsd_items(limit or 50):
        yield item["id"], document_for(Path(item["path"]), "ocr", "en"), item["reference"]


def bln_pairs(limit):
    with open(DATA / "postocr-bln600" / "test.csv", encoding="utf-8") as handle:
        for index, row in enumerate(csv.DictReader(handle)):
            if limit and index >= limit:
                break
            yield str(index), row["OCR Text"], row["Ground Truth"]


def hipe_pairs(limit):
    with open(DATA / "postocr-hipe-overproof-en" / "overproof_dev_en.jsonl", encoding="utf-8") as handle:
        for index, line in enumerate(handle):
            if limit and index >= limit:
                break
            record = json.loads(line)
            # The transcription marks a line-end hyphen with "¬" where the print (and the OCR) has "-":
            # a notation, not an OCR error, so it is compared as "-".
            reference = record["ground_truth"]["transcription_unit"].replace("\u00ac", "-")
            yield str(index), record["ocr_hypothesis"]["transcription_unit"], reference


class ReplyCache:
    """Wraps a backend: chat replies are stored by their messages in a JSONL file and reused, so the
    guard can be re-measured without decoding again (greedy decoding: the replies would repeat)."""

    def __init__(self, backend, path: Path) -> None:
        import hashlib

        self.backend, self.path, self._hash = backend, path, hashlib.sha256
        self.name = backend.name
        self.replies: dict[str, str] = {}
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                record = json.loads(line)
                self.replies[record["key"]] = record["reply"]

    @property
    def can_score(self) -> bool:
        return self.backend.can_score

    def __getattr__(self, name):
        return getattr(self.backend, name)

    def chat(self, messages, **options):
        from clearocr.llm import Completion

        key = self._hash(
            json.dumps([messages, options.get("max_tokens")], sort_keys=True).encode()
        ).hexdigest()
        if key not in self.replies:
            self.replies[key] = self.backend.chat(messages, **options).text
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps({"key": key, "reply": self.replies[key]}, ensure_ascii=False) + "\n")
        return Completion(text=self.replies[key], finish_reason="stop")


def damage(
    raw_tokens: list[str], fixed_tokens: list[str], reference_tokens: list[str]
) -> tuple[int, int, int]:
    """(tokens changed, right tokens changed, right digit tokens changed)."""
    right = set()
    for tag, i1, i2, _j1, _j2 in Levenshtein.opcodes(raw_tokens, reference_tokens):
        if tag == "equal":
            right.update(range(i1, i2))
    # Raw tokens the corrector changed: those outside the equal runs of a raw -> fixed alignment (a
    # merge or split changes its tokens only, not the position of every token after it).
    changed = [
        i
        for tag, i1, i2, _, _ in Levenshtein.opcodes(raw_tokens, fixed_tokens)
        if tag != "equal"
        for i in range(i1, i2)
    ]
    bad = [i for i in changed if i in right]
    return len(changed), len(bad), sum(1 for i in bad if any(ch.isdigit() for ch in raw_tokens[i]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument(
        "--offset", type=int, default=0, help="skip the first N documents of each dataset (split a long run)"
    )
    parser.add_argument("--datasets", default="sroie,bln600,hipe,funsd")
    parser.add_argument("--json", default=str(ROOT / "benchmarks" / "results" / "correction.json"))
    parser.add_argument("--markdown", default=None)
    parser.add_argument(
        "--reply-cache",
        default=None,
        help="JSONL file of the model's chat replies by prompt: a rerun (another guard) reuses them",
    )
    parser.add_argument(
        "--correctors",
        default="lexical",
        help="comma-separated: lexical, lexical+llm (rescoring), lexical+llm_correction (generative)",
    )
    args = parser.parse_args()
    from clearocr.correction import apply_postprocessors
    from clearocr.correction.lexical import LexicalCorrector
    from clearocr.metrics import normalize_text, wer

    lexical = LexicalCorrector(["en"])
    lexical.correct_text("warm up the lexicon")
    summary = []
    runs = []
    for dataset in args.datasets.split(","):
        for name in args.correctors.split(","):
            runs.append((dataset, name))
    backend = None
    for dataset, corrector_name in runs:
        if corrector_name == "lexical":
            corrector = lexical
        else:
            from clearocr.correction.generative import LLMCorrectionCorrector
            from clearocr.correction.rescoring import LLMRescoringCorrector
            from clearocr.llm import create_backend

            # CLEAROCR_LLM_MODEL: a .gguf path (default: the embedded Gemma 3 270M);
            # CLEAROCR_LLM_URL: an OpenAI-compatible server instead (llama_cpp.server on loopback).
            if backend is None:
                if os.environ.get("CLEAROCR_LLM_URL"):
                    backend = create_backend(
                        "openai", base_url=os.environ["CLEAROCR_LLM_URL"], model="default"
                    )
                else:
                    backend = create_backend(
                        "llamacpp",
                        model=os.environ.get("CLEAROCR_LLM_MODEL"),
                        n_ctx=int(os.environ.get("CLEAROCR_LLM_CTX", "2048")),
                    )
                if args.reply_cache:
                    backend = ReplyCache(backend, Path(args.reply_cache))
            if corrector_name == "lexical+llm_correction":
                rescoring = LLMCorrectionCorrector(backend, lexical=lexical)
            else:
                rescoring = LLMRescoringCorrector(backend, lexical=lexical)

            class Chain:
                def __init__(self, second):
                    self.second = second

                def correct_text(self, text):
                    return self.second.correct_text(lexical.correct_text(text))

                def process(self, document):
                    return self.second.process(lexical.process(document))

            corrector = Chain(rescoring)
        totals = {
            "ref": 0,
            "raw_err": 0,
            "fixed_err": 0,
            "wer_raw": 0.0,
            "wer_fixed": 0.0,
            "changed": 0,
            "damaged": 0,
            "digit_damaged": 0,
            "docs": 0,
            "seconds": 0.0,
        }
        if dataset == "sroie":
            source = sroie_pairs(args.limit)
        elif dataset == "bln600":
            source = bln_pairs(args.limit)
        elif dataset == "funsd":
            source = funsd_pairs(args.limit)
        else:
            source = hipe_pairs(args.limit)
        for index, (_, raw, reference) in enumerate(source):
            if index < args.offset:
                continue
            started = time.perf_counter()
            if isinstance(raw, str):
                raw_text, fixed_text = raw, corrector.correct_text(raw)
            else:
                import copy

                raw = copy.deepcopy(raw)  # the cache hands out the same Document for each corrector
                raw_text = raw.text
                fixed_text = apply_postprocessors(raw, corrector).text
            totals["seconds"] += time.perf_counter() - started
            casefold = dataset == "sroie"
            ref = normalize_text(reference, casefold=casefold)
            before, after = (
                normalize_text(raw_text, casefold=casefold),
                normalize_text(fixed_text, casefold=casefold),
            )
            totals["ref"] += len(ref)
            totals["raw_err"] += Levenshtein.distance(ref, before)
            totals["fixed_err"] += Levenshtein.distance(ref, after)
            totals["wer_raw"] += wer(ref, before)
            totals["wer_fixed"] += wer(ref, after)
            changed, damaged, digit_damaged = damage(before.split(), after.split(), ref.split())
            totals["changed"] += changed
            totals["damaged"] += damaged
            totals["digit_damaged"] += digit_damaged
            totals["docs"] += 1
            print(
                f"{dataset} {corrector_name} {totals['docs']}: {time.perf_counter() - started:.1f} s",
                file=sys.stderr,
                flush=True,
            )
        docs = max(1, totals["docs"])
        raw_cer, fixed_cer = (
            totals["raw_err"] / max(1, totals["ref"]),
            totals["fixed_err"] / max(1, totals["ref"]),
        )
        summary.append(
            {
                "dataset": dataset,
                "corrector": corrector_name,
                "documents": totals["docs"],
                "cer_before": raw_cer,
                "cer_after": fixed_cer,
                "relative_change": (fixed_cer - raw_cer) / raw_cer if raw_cer else 0.0,
                "wer_before": totals["wer_raw"] / docs,
                "wer_after": totals["wer_fixed"] / docs,
                "words_changed": totals["changed"],
                "right_words_changed": totals["damaged"],
                "right_digit_tokens_changed": totals["digit_damaged"],
                "seconds_per_document": totals["seconds"] / docs,
            }
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    lines = [
        "| dataset | corrector | docs | CER before | CER after | relative | WER before | WER after | words changed | right words changed | right digit tokens changed | s/doc |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in summary:
        lines.append(
            f"| {r['dataset']} | {r['corrector']} | {r['documents']} | {r['cer_before']:.2%} | {r['cer_after']:.2%} | "
            f"{r['relative_change']:+.1%} | {r['wer_before']:.1%} | {r['wer_after']:.1%} | {r['words_changed']} | "
            f"{r['right_words_changed']} | {r['right_digit_tokens_changed']} | {r['seconds_per_document']:.3f} |"
        )
    table = "\n".join(lines) + f"\n\nPeak RSS {peak:.0f} MB (OCR excluded: cached).\n"
    print(table)
    tmp = Path(args.json + ".tmp")
    tmp.write_text(json.dumps({"summary": summary, "peak_rss_mb": peak}, indent=1))
    tmp.replace(args.json)
    if args.markdown:
        from report import write_page

        write_page(
            args.markdown, "# Correction benchmark\n\n```\n" + (__doc__ or "").strip() + "\n```\n\n" + table
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
