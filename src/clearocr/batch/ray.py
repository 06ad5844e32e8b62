"""The batch on a Ray cluster: the same per-document function in a Ray Data actor pool.

Each actor holds one :class:`~clearocr.batch.DocumentProcessor` (engine loaded once) and calls
:func:`~clearocr.batch.process_item` per row, so outputs and manifest records are the same as with
:func:`~clearocr.batch.run_local`. Inputs may be local paths (every node must see them, e.g. a shared
mount) or URIs that pyarrow's filesystems read (``s3://``, ``gs://``, ``hdfs://``); outputs are written
by the actors to ``output`` paths, which must likewise be reachable from every node.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from clearocr.batch.items import BatchItem, BatchSettings
from clearocr.batch.manifest import BatchSummary, Manifest
from clearocr.batch.process import DocumentProcessor, process_item
from clearocr.errors import EngineUnavailableError


class _RayDocumentActor:
    """Ray Data callable class: rows of serialized items in, rows of JSON manifest records out."""

    def __init__(self, settings: dict[str, Any]) -> None:
        self.processor = DocumentProcessor(BatchSettings(**settings))

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, list[str]]:
        records = [
            json.dumps(process_item(BatchItem(**json.loads(str(item))), self.processor), ensure_ascii=False)
            for item in batch["item"]
        ]
        return {"record": records}


def run_ray(
    items: list[BatchItem],
    settings: BatchSettings,
    manifest_path: Path,
    *,
    address: str | None = "local",
    jobs: int = 1,
    on_record: Callable[[dict[str, Any]], None] | None = None,
) -> BatchSummary:
    """Process ``items`` through Ray Data (``map_batches`` over an actor pool of ``jobs`` actors).

    Args:
        items, settings, manifest_path, on_record: as in :func:`clearocr.batch.run_local`.
        address: ``"local"`` (or None) starts a local Ray instance; otherwise a cluster address
            (``auto``, ``ray://head:10001``) passed to ``ray.init``.
        jobs: actors, each holding one engine and using one CPU.

    Returns:
        A :class:`~clearocr.batch.BatchSummary`; records are appended to the manifest as they arrive.

    Raises:
        EngineUnavailableError: Ray is not installed (``pip install 'clearocr[ray]'``).
    """
    try:
        import ray
        import ray.data
    except ImportError:
        raise EngineUnavailableError("--ray needs Ray Data: pip install 'clearocr[ray]'") from None

    started = time.perf_counter()
    started_here = False
    if not ray.is_initialized():
        if address in (None, "", "local"):
            ray.init(
                num_cpus=max(jobs, 1), include_dashboard=False, log_to_driver=False, configure_logging=False
            )
        else:
            ray.init(address=address, log_to_driver=False)
        started_here = True
    summary = BatchSummary()
    try:
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False
        dataset = ray.data.from_items(
            [{"item": json.dumps(asdict(item))} for item in items],
            override_num_blocks=max(1, min(len(items), jobs * 4)),
        )
        records = dataset.map_batches(
            _RayDocumentActor,
            fn_constructor_kwargs={"settings": asdict(settings)},
            batch_size=1,
            compute=ray.data.ActorPoolStrategy(size=jobs),
            num_cpus=1,
        )
        with Manifest(manifest_path) as manifest:
            for row in records.iter_rows():
                record = json.loads(row["record"])
                manifest.write(record)
                summary.add(record)
                if on_record:
                    on_record(record)
    finally:
        if started_here:
            ray.shutdown()
    summary.seconds = round(time.perf_counter() - started, 3)
    return summary
