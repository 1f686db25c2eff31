"""The context-switch test: 100,000 coroutines gathered, each sleeping 1 microsecond.

Run with the machine's python3, under /usr/bin/time for the peak memory:

    /usr/bin/time -v python3 bench/python/context_switch.py

Braid's counterpart is the `context-switch` sample (AsyncLoop + VirtualClock) and the
ContextSwitchBenchmarks class; bench/README.md has the figures side by side.
"""

import asyncio
import sys
import time

N = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000


async def task():
    await asyncio.sleep(1e-6)


async def main():
    await asyncio.gather(*(task() for _ in range(N)))


if __name__ == "__main__":
    start = time.perf_counter()
    asyncio.run(main())
    elapsed = time.perf_counter() - start
    print(f"{N} coroutines, each sleeping 1 us, gathered: {elapsed * 1000:.0f} ms")
