"""``uvicorn <factory> --factory`` under cProfile switched by signals, for bench/payments_api.py.

Usage: ``python bench/profiled_uvicorn.py OUT FACTORY PORT``. Same options as the benchmark's
plain servers (127.0.0.1, log level warning, no access log). ``SIGUSR1`` starts profiling,
``SIGUSR2`` pauses it, so only the measured windows are profiled, not imports, start-up or
warm-up. The timer is the process's CPU time, so shares are shares of the server's CPU (time
spent waiting on the database or the network does not count). The stats are written to ``OUT``
when the server stops (SIGINT/SIGTERM).
"""

from __future__ import annotations

import cProfile
import signal
import sys
import time
from typing import Any

import uvicorn


def main(out: str, factory: str, port: int) -> None:
    profiler = cProfile.Profile(time.process_time)  # CPU time: shares of the server's CPU

    def start(*_: Any) -> None:
        profiler.enable()

    def pause(*_: Any) -> None:
        profiler.disable()

    signal.signal(signal.SIGUSR1, start)
    signal.signal(signal.SIGUSR2, pause)
    # uvicorn re-raises the signal that stopped it once it has shut down: ignore it here so
    # that the stats are still written.
    signal.signal(signal.SIGINT, lambda *_: None)
    signal.signal(signal.SIGTERM, lambda *_: None)
    try:
        uvicorn.run(
            factory,
            factory=True,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            access_log=False,
        )
    finally:
        profiler.disable()
        profiler.dump_stats(out)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
