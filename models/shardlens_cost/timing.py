"""Timers for the collector: CUDA events on GPUs, wall clock elsewhere (tests)."""
import statistics
import time

import torch


def time_ms(fn, device: torch.device, reps: int, warmup: int, before=None) -> float:
    """Median over `reps` timed runs of fn() (after `warmup` untimed runs), in ms.
    `before()` runs untimed before each run (e.g. the forward a backward needs)."""
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
    return statistics.median(times)
