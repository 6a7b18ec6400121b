"""The analytic cost model of PyTorch's embedding_bag, the learned model's base.

Mirrors server/src/cost/analytic.ts for whole tables (traffic, per-table
terms, dim groups, fixed costs; the formulas and the sources of every constant
are documented there) and indexStats.ts `cacheProfile` (Che's approximation
with cold misses). The learned network predicts ln(measured / analytic) per
set; the sidecar records the constants used here, and the TypeScript engine
evaluates its base with exactly these constants
(test/unit/learned/analyticBase.test.ts compares the two on fixtures).
"""
import math
from typing import Dict, List, Optional, Sequence, Tuple

from .features import histogram_stats
from .indexstats import EXACT_RANKS, hottest_row_share, power_cdf

# ANALYTIC_CONSTANTS of server/src/cost/analytic.ts (fitted on the training
# split by test/bench/fit-analytic.ts), under the same names.
ANALYTIC_CONSTANTS: Dict[str, float] = {
    "t0FwdMs": 0.03896,
    "chunkRatePerSm": 107,
    "bagOverhead": 2.961,
    "t0BwdMs": 0.376,
    "bwdLookupRatePerSm": 9.229,
    "dupUs": 0.2328,
    "hbmEfficiency": 0.9,
    "l2BandwidthRatio": 1.6,
    "l2Share": 0.5,
}

# Device numbers the analytic model reads (server/src/config/presets.ts).
DEVICES: Dict[str, Dict[str, float]] = {
    "H100-80GB": {"hbmGBps": 3350, "l2Bytes": 50e6, "sms": 132},
    "H200-141GB": {"hbmGBps": 4800, "l2Bytes": 50e6, "sms": 132},
    "A100-80GB": {"hbmGBps": 2039, "l2Bytes": 40e6, "sms": 108},
    "A100-40GB": {"hbmGBps": 1555, "l2Bytes": 40e6, "sms": 108},
}

CHE_BUCKET_RATIO = 1.1
HIST_BINS = 17


def _row_count(rows: float) -> int:
    return max(1, int(round(rows)))


def _rank_buckets(n_rows: int, alpha: float, ratio: float) -> Tuple[List[float], List[float]]:
    count, p = [], []
    exact = min(n_rows, EXACT_RANKS)
    for r in range(exact):
        count.append(1.0)
        p.append(power_cdf(r + 2, n_rows, alpha) - power_cdf(r + 1, n_rows, alpha))
    r0 = exact
    while r0 < n_rows:
        r1 = min(n_rows, max(r0 + 1, int(math.ceil(r0 * ratio))))
        count.append(float(r1 - r0))
        p.append((power_cdf(r1 + 1, n_rows, alpha) - power_cdf(r0 + 1, n_rows, alpha)) / (r1 - r0))
        r0 = r1
    return count, p


def cache_profile(rows: float, lookups: float, alpha: float, cache_rows: float) -> Tuple[float, float]:
    """(distinct rows, L2 hit rate): indexStats.ts cacheProfile."""
    n_rows = _row_count(rows)
    if not lookups > 0:
        return 0.0, 0.0
    count, p = _rank_buckets(n_rows, alpha, CHE_BUCKET_RATIO)

    def u_at(tau):
        u = du = 0.0
        for c, pi in zip(count, p):
            e = math.exp(-pi * tau)
            u += c * (1 - e)
            du += c * pi * e
        return u, du

    unique = min(u_at(lookups)[0], lookups, float(n_rows))
    cold = max(0.0, 1 - unique / lookups)
    if not cache_rows > 0:
        return unique, 0.0
    if cache_rows >= unique:
        return unique, cold
    tau = cache_rows
    u, du = u_at(tau)
    it = 0
    while it < 100 and u < cache_rows * (1 - 1e-9):
        if not du > 0:
            break
        tau += (cache_rows - u) / du
        u, du = u_at(tau)
        it += 1
    che = min(1.0, max(0.0, 1 - du))
    return unique, min(che, cold)


def _num(x, fallback=0.0):
    return x if isinstance(x, (int, float)) and math.isfinite(x) and x >= 0 else fallback


def table_terms(rows: float, dim: float, pooling: float, alpha: float, dtype_bytes: int, batch: float,
                device: Dict[str, float], k: Dict[str, float] = ANALYTIC_CONSTANTS,
                histogram: Optional[Sequence[float]] = None) -> Dict[str, float]:
    """Per-table ms terms of analytic.ts shardTerms (SGD: no optimizer state)."""
    rows = max(1.0, _num(rows, 1.0))
    dim = max(1.0, _num(dim, 1.0))
    w = 2 if dtype_bytes == 2 else 4
    bags = _num(batch)
    n = bags * _num(pooling)
    alpha = _num(alpha)
    rb = 32 * math.ceil((dim * w) / 32)
    cache_rows = (k["l2Share"] * _num(device["l2Bytes"])) / rb
    unique, h = cache_profile(rows, n, alpha, cache_rows)
    hottest = n * hottest_row_share(rows, alpha)
    if histogram is not None and len(histogram) == HIST_BINS and all(v >= 0 for v in histogram) \
            and any(v > 0 for v in histogram) and n > 0:
        st = histogram_stats(histogram, rows, n)
        unique, hottest = st[0], st[2]
    hbm = _num(device["hbmGBps"]) * 1e9 * k["hbmEfficiency"]
    l2 = (hbm / k["hbmEfficiency"]) * k["l2BandwidthRatio"] if hbm > 0 else 0.0
    sms = max(1.0, _num(device["sms"], 1.0))
    issue_rate = k["chunkRatePerSm"] * 1e6 * sms

    def per_sec(b, bw):
        return (b / bw) * 1e3 if b > 0 and bw > 0 else 0.0

    fwd_hbm = n * (1 - h) * rb + n * 8 + (bags + 1) * 8 + bags * dim * w
    bwd_bytes = 2 * n * rb + unique * (3 * rb + 0)
    return {
        "dim": dim,
        "issue": (((n + k["bagOverhead"] * bags) * math.ceil(dim / 32)) / issue_rate) * 1e3,
        "hbm": per_sec(fwd_hbm, hbm),
        "l2": per_sec(n * h * rb, l2),
        "stream": per_sec(bwd_bytes, hbm) + (n / (k["bwdLookupRatePerSm"] * 1e6 * sms)) * 1e3,
        "serial": k["dupUs"] * 1e-3 * hottest,
    }


def set_cost(terms: Sequence[Dict[str, float]], k: Dict[str, float] = ANALYTIC_CONSTANTS) -> Tuple[float, float]:
    """(fwd ms, bwd ms) of tables fused on one GPU: analytic.ts AnalyticScorer.score."""
    if not terms:
        return 0.0, 0.0
    groups: Dict[float, List[float]] = {}
    order: List[float] = []
    for t in terms:
        g = groups.get(t["dim"])
        if g is None:
            g = groups[t["dim"]] = [0.0, 0.0, 0.0, 0.0, 0.0]
            order.append(t["dim"])
        g[0] += t["issue"]
        g[1] += t["hbm"]
        g[2] += t["l2"]
        g[3] += t["stream"]
        g[4] = max(g[4], t["serial"])
    fwd = k["t0FwdMs"]
    bwd = 0.0
    for d in order:
        g = groups[d]
        fwd += max(g[0], g[1], g[2])
        bwd += k["t0BwdMs"] + g[3] + g[4]
    return fwd, bwd


DTYPE_BYTES = {"fp32": 4, "fp16": 2, "bf16": 2}


def record_terms(record: dict, device: Dict[str, float], k: Dict[str, float] = ANALYTIC_CONSTANTS):
    """Per-table terms of a measured-data record (JSONL format)."""
    b = DTYPE_BYTES.get(record.get("dtype", "fp32"), 4)
    return [table_terms(t["rows"], t["dim"], t["pooling"], t.get("alpha", 0.0), b, record["batch"], device, k,
                        t.get("histogram")) for t in record["tables"]]


def record_base(record: dict, device: Dict[str, float], k: Dict[str, float] = ANALYTIC_CONSTANTS):
    """(ln fwd ms, ln bwd ms) of the whole set, and of each table alone."""
    terms = record_terms(record, device, k)
    f, b = set_cost(terms, k)
    singles = [set_cost([t], k) for t in terms]
    return (math.log(f), math.log(b)), [(math.log(x), math.log(y)) for x, y in singles]
