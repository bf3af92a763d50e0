"""The retry policy for lock timeouts: a statement or migration that hit `lock_timeout`
took no effect, so it is tried again after a jittered, growing pause, a bounded number of
times (AIM_DDL_LOCK_RETRIES)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from aim_migrate.failure import LockRetry

if TYPE_CHECKING:
    from aim_migrate.logs import Logger

T = TypeVar("T")


def retrying(log: Logger, name: str, retries: int, attempt: Callable[[int], T]) -> T:
    """`attempt(n)` for n = 1, 2, ... until it does not raise LockRetry, at most `retries`
    times more than once; then the last lock timeout is the error."""
    number = 0
    while True:
        number += 1
        try:
            return attempt(number)
        except LockRetry as retry:
            if number > retries:
                raise retry.error from None
            pause = min(30.0, 0.5 * 2 ** (number - 1)) * random.uniform(0.8, 1.2)  # noqa: S311
            log.warning(
                "migration.lock_retry",
                migration=name,
                attempt=number,
                retry_in_s=round(pause, 2),
                cause=retry.error.message,
            )
            time.sleep(pause)
