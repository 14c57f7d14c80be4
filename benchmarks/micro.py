"""Microbenchmarks, one operation of one library per process: prints operations per second.

    python benchmarks/micro.py LIBRARY OPERATION
    LIBRARY: greensock | gevent | eventlet | asyncio | uvloop | trio
    OPERATION: switch | spawn | timers | queue
"""
import sys
import time
import warnings

warnings.simplefilter("ignore")

N_GREENLETS, N_SWITCHES = 1000, 1000  # switch: 1000 greenlets x 1000 sleep(0)
N_SPAWN = 100_000
N_TIMERS = 100_000
N_QUEUE = 100_000


def green(lib):
    """switch/spawn/timers/queue for a greenlet library with gevent's API shape."""
    if lib == "greensock":
        import greensock as g
        from greensock.queue import Queue
        sleep, spawn, joinall, hub = g.sleep, g.spawn, g.joinall, g.get_hub()
        call_later = hub.call_later
    elif lib == "gevent":
        import gevent as g
        from gevent.queue import Queue
        sleep, spawn, joinall, hub = g.sleep, g.spawn, g.joinall, g.get_hub()

        def call_later(seconds, fn, *args):
            t = hub.loop.timer(seconds)
            t.start(fn, *args)
            return t
    else:
        import eventlet as g
        from eventlet.queue import Queue
        sleep, spawn = g.sleep, g.spawn

        def joinall(gs):
            for x in gs:
                x.wait()
        from eventlet.hubs import get_hub
        hub = get_hub()

        def call_later(seconds, fn, *args):
            return hub.schedule_call_global(seconds, fn, *args)

    def switch():
        def worker():
            for _ in range(N_SWITCHES):
                sleep(0)
        gs = [spawn(worker) for _ in range(N_GREENLETS)]
        joinall(gs)
        return N_GREENLETS * N_SWITCHES

    def spawn_join():
        gs = [spawn(int) for _ in range(N_SPAWN)]
        joinall(gs)
        return N_SPAWN

    def timers():
        fired = [0]

        def tick():
            fired[0] += 1
        for i in range(N_TIMERS):
            call_later(0.0001 * (i % 100), tick)
        while fired[0] < N_TIMERS:
            sleep(0.01)
        return N_TIMERS

    def queue():
        q = Queue()

        def consume():
            for _ in range(N_QUEUE):
                q.get()
        c = spawn(consume)
        for i in range(N_QUEUE):
            q.put(i)
            if i % 100 == 0:
                sleep(0)
        joinall([c])
        return N_QUEUE

    return dict(switch=switch, spawn=spawn_join, timers=timers, queue=queue)


def aio(lib):
    import asyncio
    if lib == "uvloop":
        import uvloop
        uvloop.install()

    async def switch():
        async def worker():
            for _ in range(N_SWITCHES):
                await asyncio.sleep(0)
        await asyncio.gather(*[worker() for _ in range(N_GREENLETS)])
        return N_GREENLETS * N_SWITCHES

    async def spawn_join():
        async def nothing():
            return 0
        tasks = [asyncio.ensure_future(nothing()) for _ in range(N_SPAWN)]
        await asyncio.gather(*tasks)
        return N_SPAWN

    async def timers():
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        fired = [0]

        def tick():
            fired[0] += 1
            if fired[0] == N_TIMERS:
                done.set_result(None)
        for i in range(N_TIMERS):
            loop.call_later(0.0001 * (i % 100), tick)
        await done
        return N_TIMERS

    async def queue():
        q = asyncio.Queue()

        async def consume():
            for _ in range(N_QUEUE):
                await q.get()
        c = asyncio.ensure_future(consume())
        for i in range(N_QUEUE):
            q.put_nowait(i)
            if i % 100 == 0:
                await asyncio.sleep(0)
        await c
        return N_QUEUE

    ops = dict(switch=switch, spawn=spawn_join, timers=timers, queue=queue)
    return {name: (lambda f=f: asyncio.run(f())) for name, f in ops.items()}


def trio_ops():
    import trio

    async def switch():
        async def worker():
            for _ in range(N_SWITCHES):
                await trio.sleep(0)
        async with trio.open_nursery() as n:
            for _ in range(N_GREENLETS):
                n.start_soon(worker)
        return N_GREENLETS * N_SWITCHES

    async def spawn_join():
        async def nothing():
            return 0
        async with trio.open_nursery() as n:
            for _ in range(N_SPAWN):
                n.start_soon(nothing)
        return N_SPAWN

    async def queue():
        send, receive = trio.open_memory_channel(float("inf"))

        async def consume():
            for _ in range(N_QUEUE):
                await receive.receive()
        async with trio.open_nursery() as n:
            n.start_soon(consume)
            for i in range(N_QUEUE):
                send.send_nowait(i)
                if i % 100 == 0:
                    await trio.sleep(0)
        return N_QUEUE

    ops = dict(switch=switch, spawn=spawn_join, queue=queue)  # trio has no bare timer callbacks
    return {name: (lambda f=f: trio.run(f)) for name, f in ops.items()}


def main() -> None:
    lib, op = sys.argv[1], sys.argv[2]
    if lib in ("greensock", "gevent", "eventlet"):
        ops = green(lib)
    elif lib in ("asyncio", "uvloop"):
        ops = aio(lib)
    elif lib == "trio":
        ops = trio_ops()
    else:
        raise SystemExit(f"unknown library {lib!r}")
    if op not in ops:
        print("null")
        return
    start = time.perf_counter()
    n = ops[op]()
    print(f"{n / (time.perf_counter() - start):.1f}")


if __name__ == "__main__":
    main()
