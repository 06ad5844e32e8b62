"""RapidOCR's text recogniser run as several ONNX Runtime sessions at once (the ``rapidocr`` engine's
``rec_workers`` option, :class:`~clearocr.engines.rapidocr.RapidOcrEngine`)."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

#: Most recognition sessions an engine runs side by side (``rec_workers``, :class:`ParallelRecogniser`);
#: each holds its own copy of the recogniser's weights in memory.
MAX_REC_WORKERS = 2


class ParallelRecogniser:
    """RapidOCR's text recogniser as ``workers`` ONNX Runtime sessions sharing ``threads`` (one
    intra-op thread each on two cores),
    reading parts of a page's crops at the same time (ONNX Runtime releases the GIL while it runs).

    A text-line crop is a small input: two threads inside one session spend much of their time
    synchronising, while two sessions with one thread each keep both cores busy (faster-paddle
    schedules its recognition workers the same way). Crops are sorted by width and dealt out in
    turn, so the parts cost about the same; results come back in the crops' order, the same texts
    and scores as one session gives (each crop is its own batch of one). Measured on 254 crops of 4
    SROIE receipts on 2 cores: 2.2 s against 2.8-3.2 s for one session with two threads.
    """

    def __init__(self, cfg: Any, workers: int, threads: int) -> None:
        from concurrent.futures import ThreadPoolExecutor

        from rapidocr.ch_ppocr_rec import TextRecognizer

        cfg.engine_cfg.intra_op_num_threads = max(1, threads // workers)
        self.workers = [TextRecognizer(cfg) for _ in range(workers)]
        self.postprocess_op = self.workers[0].postprocess_op
        self.rec_batch_num = self.workers[0].rec_batch_num
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="clearocr-rec")

    def decode_with(self, postprocess: Any) -> None:
        """Every worker decodes with ``postprocess`` (the script mask around RapidOCR's decoder)."""
        self.postprocess_op = postprocess
        for worker in self.workers:
            worker.postprocess_op = postprocess

    def __call__(self, args: Any) -> Any:
        from rapidocr.ch_ppocr_rec import TextRecInput, TextRecOutput

        images = [args.img] if isinstance(args.img, np.ndarray) else list(args.img)
        if len(images) < 2 * len(self.workers):
            return self.workers[0](args)
        started = time.perf_counter()
        order = sorted(range(len(images)), key=lambda i: images[i].shape[1] / max(1, images[i].shape[0]))
        parts = [order[k :: len(self.workers)] for k in range(len(self.workers))]
        outputs = list(
            self._pool.map(
                lambda worker, part: worker(
                    TextRecInput(img=[images[i] for i in part], return_word_box=args.return_word_box)
                ),
                self.workers,
                parts,
            )
        )
        texts: list[Any] = [""] * len(images)
        scores: list[float] = [0.0] * len(images)
        words: list[Any] = [None] * len(images)
        for part, output in zip(parts, outputs):
            for j, i in enumerate(part):
                texts[i], scores[i], words[i] = output.txts[j], output.scores[j], output.word_results[j]
        return TextRecOutput(
            images, tuple(texts), scores, tuple(words), time.perf_counter() - started, viser=outputs[0].viser
        )

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self.workers = []


def rec_config(cfg: Any) -> Any:
    """A copy of RapidOCR's recogniser configuration completed as its ``_load_rec_model`` completes it
    (RapidOCR 3.10.0, pinned): the inference engine's settings, font and model folder."""
    import copy

    rec = copy.deepcopy(cfg.Rec)
    rec.engine_cfg = copy.deepcopy(cfg.EngineConfig[rec.engine_type.value])
    rec.font_path = cfg.Global.font_path
    rec.model_root_dir = cfg.Global.model_root_dir
    return rec
