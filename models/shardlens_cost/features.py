"""Per-table features from config numbers only (no measured statistics).

Mirrors server/src/cost/features.ts exactly (float64 both sides; a node test
compares them on models/fixtures/features.json). Change both together and bump
FEATURE_VERSION in __init__.py: the sidecar records it and the TypeScript loader
refuses a model whose feature list differs.
"""
import math
from typing import Optional, Sequence

from . import indexstats

FEATURE_NAMES = [
    "log_rows",            # ln rows
    "log_dim",             # ln dim (elements)
    "log_pooling",         # ln mean bag length
    "log_batch",           # ln bags per step
    "dtype_bytes",         # 2 (fp16) or 4 (fp32), divided by 4
    "alpha",               # power-law exponent, 0 = uniform
    "log_lookups",         # ln(batch * pooling)
    "unique_frac",         # expected distinct rows / lookups
    "log_unique",          # ln(1 + expected distinct rows)
    "coverage",            # expected distinct rows / rows
    "hot_share",           # share of lookups on the hottest 1% of rows
    "log_hottest_count",   # ln(1 + expected lookups of the hottest row): duplicate
                           # work in PyTorch's sparse-gradient coalesce grows with it
    "log_lookup_bytes",    # ln(lookups * dim * bytes): forward gather traffic
    "log_unique_bytes",    # ln(1 + unique * dim * bytes): backward update traffic
    "log_table_bytes",     # ln(rows * dim * bytes): L2 residency
    "log_output_bytes",    # ln(batch * dim * bytes): pooled output written
]
NUM_FEATURES = len(FEATURE_NAMES)

# 17-bin reuse histogram (DreamShard/Lin et al.): bin 0 = count 1, bin j = counts
# in (2^(j-1), 2^j] for j=1..15, bin 16 = count > 2^15. Representative count per
# bin: the mean of the integer counts in the bin, 1.5 * 2^15 for the open bin.
HIST_BINS = 17


def hist_bin_count(j: int) -> float:
    if j == 0:
        return 1.0
    if j == HIST_BINS - 1:
        return 1.5 * 2 ** 15
    lo = 2 ** (j - 1) + 1
    hi = 2 ** j
    return (lo + hi) / 2.0


def histogram_stats(hist: Sequence[float], rows: float, lookups: float):
    """(unique, hot_share, hottest_count) implied by a reuse histogram.

    The histogram is the fraction of distinct rows per reuse bin, so the mean
    reuse is sum_j h_j * c_j and distinct rows = lookups / mean reuse.
    """
    total = sum(hist)
    if total <= 0 or lookups <= 0:
        return 0.0, 0.0, 0.0
    h = [v / total for v in hist]
    mean_reuse = sum(h[j] * hist_bin_count(j) for j in range(HIST_BINS))
    unique = min(lookups / mean_reuse, rows, lookups)
    k = max(1.0, math.floor(indexstats.HOT_FRACTION * rows))
    remaining = k
    hot = 0.0
    hottest = 0.0
    for j in range(HIST_BINS - 1, -1, -1):
        n_rows_bin = h[j] * unique
        if n_rows_bin <= 0:
            continue
        if hottest == 0.0:
            hottest = hist_bin_count(j)
        take = min(remaining, n_rows_bin)
        hot += take * hist_bin_count(j)
        remaining -= take
        if remaining <= 0:
            break
    return unique, min(1.0, hot / lookups), hottest


def table_features(rows: float, dim: float, pooling: float, alpha: float,
                   dtype_bytes: float, batch: float,
                   histogram: Optional[Sequence[float]] = None) -> list:
    rows = max(1.0, float(rows))
    dim = max(1.0, float(dim))
    pooling = max(1e-3, float(pooling))
    batch = max(1.0, float(batch))
    lookups = batch * pooling
    if histogram is not None and len(histogram) == HIST_BINS and sum(histogram) > 0:
        unique, hot, hottest = histogram_stats(histogram, rows, lookups)
    else:
        unique = indexstats.expected_unique(rows, lookups, alpha)
        hot = indexstats.hot_share(rows, lookups, alpha)
        hottest = lookups * indexstats.hottest_row_share(rows, alpha)
    return [
        math.log(rows),
        math.log(dim),
        math.log(pooling),
        math.log(batch),
        dtype_bytes / 4.0,
        float(alpha),
        math.log(lookups),
        unique / lookups,
        math.log1p(unique),
        unique / rows,
        hot,
        math.log1p(hottest),
        math.log(lookups * dim * dtype_bytes),
        math.log1p(unique * dim * dtype_bytes),
        math.log(rows * dim * dtype_bytes),
        math.log(batch * dim * dtype_bytes),
    ]


DTYPE_BYTES = {"fp32": 4, "fp16": 2}


def set_features(record: dict) -> list:
    """Feature rows of one JSONL set record (config fields only)."""
    b = DTYPE_BYTES[record["dtype"]]
    return [table_features(t["rows"], t["dim"], t["pooling"], t.get("alpha", 0.0), b,
                           record["batch"], t.get("histogram"))
            for t in record["tables"]]
