"""Timers for the collector: CUDA events on GPUs, wall clock elsewhere (tests)."""
import statistics
import time

import torch


def time_ms(fn, device: torch.device, reps: int, warmup: int, before=None) -> float:
    """Median over `reps` timed runs of fn() (after `warmup` untimed runs), in ms.
    `before()` runs untimed before each run (e.g. the forward a backward needs)."""
    return statistics.median(time_runs(fn, device, reps, warmup, before))


def time_runs(fn, device: torch.device, reps: int, warmup: int, before=None) -> list:
    """The `reps` timed runs of fn() in ms, in order (see time_ms)."""
    cuda = device.type == "cuda"
    times = []
    for i in range(warmup + reps):
        if before:
            before()
        if cuda:
            torch.cuda.synchronize(device)
            start = torch.cuda.Event(enable_timing=True)
            end = torch.cuda.Event(enable_timing=True)
            start.record()
            fn()
            end.record()
            end.synchronize()
            ms = start.elapsed_time(end)
        else:
            t0 = time.perf_counter()
            fn()
            ms = (time.perf_counter() - t0) * 1e3
        if i >= warmup:
            times.append(ms)
    return times
