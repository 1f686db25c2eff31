"""The context-switch test on Trio's virtual clock: 100,000 tasks in a nursery, each sleeping 1 microsecond.

Trio's MockClock(autojump_threshold=0) jumps to the next deadline as soon as every task is blocked,
as Braid's VirtualClock does with AutoJump on an AsyncLoop: this is the like-for-like pair of the
`context-switch` sample (AsyncLoop + VirtualClock). The real-clock pair is context_switch.py (asyncio)
against `context-switch-real-clock`. Debian's python3-trio, run with the system interpreter:

    bash scripts/setup-python-bench.sh
    /usr/bin/time -f "wall %e s user %U sys %S rss %M KB" /usr/bin/python3 bench/python/context_switch_trio.py

bench/README.md ("Context-switch pairs") has the figures side by side.
"""

import sys
import time

import trio
import trio.testing

N = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000


async def task():
    await trio.sleep(1e-6)


async def main():
    async with trio.open_nursery() as nursery:
        for _ in range(N):
            nursery.start_soon(task)


if __name__ == "__main__":
    clock = trio.testing.MockClock(autojump_threshold=0)
    start = time.perf_counter()
    trio.run(main, clock=clock)
    elapsed = time.perf_counter() - start
    print(f"{N} tasks, each sleeping 1 us (virtual), in a nursery on Trio + MockClock: {elapsed * 1000:.0f} ms "
          f"(virtual time advanced {clock.current_time() * 1e6:.0f} us)")
