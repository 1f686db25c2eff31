"""The context-switch test on the real clock: 100,000 coroutines gathered, each sleeping 1 microsecond.

asyncio arms a real timer for each sleep. Braid's like-for-like counterpart is the
`context-switch-real-clock` sample (AsyncLoop on the system clock, a real 1 us timer per task); the
virtual-clock pair is context_switch_trio.py (Trio + MockClock) against the `context-switch` sample
(AsyncLoop + VirtualClock). Run with the system interpreter, under /usr/bin/time for the peak memory:

    /usr/bin/time -f "wall %e s user %U sys %S rss %M KB" /usr/bin/python3 bench/python/context_switch.py

bench/README.md ("Context-switch pairs") has the figures side by side.
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
