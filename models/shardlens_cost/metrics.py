"""Accuracy metrics, the same definitions as test/bench/cost.bench.ts."""
import math
from typing import Dict, Sequence


def ape(pred: Sequence[float], true: Sequence[float]):
    return [abs(p - t) / t for p, t in zip(pred, true)]


def _percentile(xs, q):
    s = sorted(xs)
    if not s:
        return float("nan")
    pos = (len(s) - 1) * q
    lo = math.floor(pos)
    hi = math.ceil(pos)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def _ranks(xs):
    order = sorted(range(len(xs)), key=lambda i: xs[i])
    r = [0.0] * len(xs)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and xs[order[j + 1]] == xs[order[i]]:
            j += 1
        for k in range(i, j + 1):
            r[order[k]] = (i + j) / 2.0
        i = j + 1
    return r


def spearman(a, b):
    ra, rb = _ranks(a), _ranks(b)
    n = len(a)
    ma, mb = sum(ra) / n, sum(rb) / n
    cov = sum((x - ma) * (y - mb) for x, y in zip(ra, rb))
    va = math.sqrt(sum((x - ma) ** 2 for x in ra))
    vb = math.sqrt(sum((y - mb) ** 2 for y in rb))
    return cov / (va * vb) if va > 0 and vb > 0 else float("nan")


def summary(pred, true) -> Dict[str, float]:
    e = ape(pred, true)
    return {
        "mape": sum(e) / len(e),
        "median_ape": _percentile(e, 0.5),
        "p90_ape": _percentile(e, 0.9),
        "spearman": spearman(pred, true),
        "n": len(e),
    }
