"""Expected index statistics of a bounded power-law index distribution.

Mirrors server/src/cost/indexStats.ts number for number (a test compares them).
The index generator (data README, collector.py) draws a continuous power law
with density ∝ x^-alpha on [1, rows+1) and takes rank = floor(x) - 1, so the
probability of rank r is F(r+2) - F(r+1) with the CDF F below.
"""
import math

# Ranks below this are summed one by one; above it they are grouped in
# geometric buckets (ratio BUCKET_RATIO), where the per-rank mass varies by <2%.
EXACT_RANKS = 64
BUCKET_RATIO = 1.02
# "Hot rows" = the hottest 1% of the table's rows (the data's top1pct_share).
HOT_FRACTION = 0.01


def power_cdf(x: float, rows: float, alpha: float) -> float:
    """P(continuous rank variable < x) for x in [1, rows+1]."""
    if alpha == 0:
        return (x - 1) / rows
    if abs(alpha - 1) < 1e-9:
        return math.log(x) / math.log(rows + 1)
    e = 1 - alpha
    return (x ** e - 1) / ((rows + 1) ** e - 1)


def expected_unique(rows: float, lookups: float, alpha: float) -> float:
    """Expected distinct rows touched by `lookups` draws (Poisson approximation)."""
    n_rows = max(1, int(round(rows)))
    if lookups <= 0:
        return 0.0
    exact = min(n_rows, EXACT_RANKS)
    u = 0.0
    for r in range(exact):
        p = power_cdf(r + 2, n_rows, alpha) - power_cdf(r + 1, n_rows, alpha)
        u += -math.expm1(-lookups * p)
    r0 = exact
    while r0 < n_rows:
        r1 = min(n_rows, max(r0 + 1, int(math.ceil(r0 * BUCKET_RATIO))))
        mean_p = (power_cdf(r1 + 1, n_rows, alpha) - power_cdf(r0 + 1, n_rows, alpha)) / (r1 - r0)
        u += (r1 - r0) * -math.expm1(-lookups * mean_p)
        r0 = r1
    return min(u, lookups, float(n_rows))


def hot_share(rows: float, lookups: float, alpha: float) -> float:
    """Expected share of lookups that hit the hottest 1% of rows (at least one row)."""
    n_rows = max(1, int(round(rows)))
    k = max(1, int(math.floor(HOT_FRACTION * n_rows)))
    return min(1.0, power_cdf(k + 1, n_rows, alpha))


def hottest_row_share(rows: float, alpha: float) -> float:
    """Probability mass of the single hottest row (rank 0)."""
    n_rows = max(1, int(round(rows)))
    return power_cdf(2, n_rows, alpha)
