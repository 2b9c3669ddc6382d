"""Rows written as they become ready, ten a request, while the work that readies them goes on.

A completion pass writes a meeting's Meetings row once its contact's row and its thank-you
draft exist. Drafts finish one by one, paced by Gmail's quota; waiting for the last of them
before writing the first Meetings row would leave Airtable idle meanwhile. `ReadyBatches`
hands each full batch to its writer as soon as it is ready, on a thread of its own (one
batch at a time, in order), and the rest when the block ends: the same requests as writing
them all at the end, sent while the drafts are still being written.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Generic, TypeVar

T = TypeVar("T")


class ReadyBatches(Generic[T]):
    """Collects ready items; writes each full batch of `size` at once and the rest on exit.

    Leaving the block waits for every batch; a batch's error is raised then (once the block
    itself ended without one).
    """

    def __init__(self, write: Callable[[list[T]], None], size: int) -> None:
        self._write, self._size = write, size
        self._ready: list[T] = []
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="rows")
        self._written: list[Future[None]] = []

    def __enter__(self) -> ReadyBatches[T]:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if exc_type is None:
            with self._lock:
                rest, self._ready = self._ready, []
            if rest:
                self._submit(rest)
        self._pool.shutdown(wait=True)
        if exc_type is None:
            for written in self._written:
                written.result()

    def add(self, item: T) -> None:
        """`item` is ready (any thread may say so)."""
        with self._lock:
            self._ready.append(item)
            if len(self._ready) < self._size:
                return
            batch, self._ready = self._ready[: self._size], self._ready[self._size :]
        self._submit(batch)

    def _submit(self, batch: list[T]) -> None:
        run = contextvars.copy_context().run
        self._written.append(self._pool.submit(run, self._write, batch))
