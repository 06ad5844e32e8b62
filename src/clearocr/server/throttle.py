"""Failure throttling for the token endpoint: too many wrong secrets for one client id, or from one
address, and further attempts are refused for a while (HTTP 429 with ``Retry-After``), the right secret
included, so that a secret cannot be guessed at network speed (OWASP Authentication Cheat Sheet:
"account lockout" and per-address throttling).
"""

from __future__ import annotations

import threading
import time
from collections import deque


class FailureThrottle:
    """Counts failures per key in a sliding window.

    Args:
        max_failures: failures allowed per key in ``window`` seconds; one more locks the key until the
            oldest failure leaves the window.
        window: the window in seconds.
        max_keys: keys tracked at most (the oldest are forgotten first), so that random client ids cannot
            grow memory without bound.
    """

    def __init__(self, max_failures: int, window: float, max_keys: int = 10_000) -> None:
        self.max_failures = max_failures
        self.window = window
        self.max_keys = max_keys
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures.get(key)
        if times is None:
            return deque()
        while times and times[0] <= now - self.window:
            times.popleft()
        if not times:
            del self._failures[key]
        return times

    def retry_after(self, key: str) -> int:
        """Seconds until ``key`` may try again (0: it may now)."""
        now = time.monotonic()
        with self._lock:
            times = self._recent(key, now)
            if len(times) < self.max_failures:
                return 0
            return max(1, int(times[0] + self.window - now + 0.999))

    def fail(self, key: str) -> None:
        """Record a failure of ``key``."""
        now = time.monotonic()
        with self._lock:
            times = self._recent(key, now)
            if key not in self._failures:
                if len(self._failures) >= self.max_keys:
                    del self._failures[next(iter(self._failures))]
                self._failures[key] = times
            times.append(now)
