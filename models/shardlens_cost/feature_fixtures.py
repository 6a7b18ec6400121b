"""Write models/fixtures/features.json: table configs and the features this
Python code computes for them, and sets of tables with the analytic base
(analytic.py) of each. test/unit/learned/features.test.ts checks that
server/src/cost/features.ts gives the same features, and
test/unit/learned/analyticBase.test.ts that server/src/cost/analytic.ts gives
the same base.

    cd models && /usr/bin/python3 -m shardlens_cost.feature_fixtures fixtures/features.json
"""
import json
import sys

from . import FEATURE_VERSION
from .analytic import ANALYTIC_CONSTANTS, DEVICES, record_base
from .features import FEATURE_NAMES, table_features

# Mean reuse histogram of the 856 dlrm_datasets tables (docs/research/
# sharding-anchors.md §2), a realistic user-supplied histogram.
DLRM_MEAN_HIST = [0.225, 0.104, 0.126, 0.106, 0.082, 0.056, 0.039, 0.033, 0.031, 0.027, 0.027,
                  0.022, 0.019, 0.015, 0.006, 0.008, 0.033]

CASES = [
    # rows, dim, pooling, alpha, dtype_bytes, batch, histogram
    (13742789, 32, 0.585, 0.0, 4, 32768, None),
    (77824, 128, 8.258, 0.271, 2, 65536, None),
    (4325, 16, 11.335, 0.0, 2, 65536, None),
    (38826, 64, 12.351, 1.017, 4, 65536, None),
    (3429443, 128, 76.428, 1.284, 4, 65536, None),
    (50_000_000, 256, 100.0, 1.3, 4, 65536, None),
    (1000, 4, 0.5, 1.0, 4, 8192, None),
    (1, 4, 1.0, 0.5, 4, 8192, None),
    (3, 8, 2.0, 0.0, 2, 16384, None),
    (250_000, 64, 20.0, 0.999999, 4, 16384, None),
    (1_000_000, 128, 30.0, 0.8, 2, 65536, DLRM_MEAN_HIST),
    (5_000, 16, 3.0, 0.0, 4, 8192, [1.0] + [0.0] * 16),
    (20_000_000, 64, 1.0, 1.1, 4, 32768, [0.0] * 16 + [1.0]),
]


def analytic_sets():
    """Each table case alone, and mixed sets (several dims, fp16/fp32), as measured-data records."""
    recs = []
    for i, (rows, dim, pooling, alpha, b, batch, hist) in enumerate(CASES):
        t = {"name": f"t{i}", "rows": rows, "dim": dim, "pooling": pooling, "alpha": alpha}
        if hist is not None:
            t["histogram"] = hist
        recs.append({"id": f"single-{i}", "batch": batch, "dtype": "fp16" if b == 2 else "fp32", "tables": [t]})
    mixed = [{"name": f"m{i}", "rows": rows, "dim": dim, "pooling": pooling, "alpha": alpha}
             for i, (rows, dim, pooling, alpha, b, batch, hist) in enumerate(CASES) if hist is None]
    recs.append({"id": "mixed-all", "batch": 32768, "dtype": "fp32", "tables": mixed})
    recs.append({"id": "mixed-fp16", "batch": 8192, "dtype": "fp16", "tables": mixed[:4] + mixed[:2]})
    out = []
    for r in recs:
        (f, b), _ = record_base(r, DEVICES["H100-80GB"])
        out.append({"record": r, "ln_fwd_ms": f, "ln_bwd_ms": b})
    return out


def main(argv=None):
    path = (argv or sys.argv[1:] or ["fixtures/features.json"])[0]
    out = {"feature_version": FEATURE_VERSION, "feature_names": FEATURE_NAMES, "cases": []}
    for rows, dim, pooling, alpha, b, batch, hist in CASES:
        case = {"rows": rows, "dim": dim, "pooling": pooling, "alpha": alpha, "dtype_bytes": b, "batch": batch}
        if hist is not None:
            case["histogram"] = hist
        case["features"] = table_features(rows, dim, pooling, alpha, b, batch, hist)
        out["cases"].append(case)
    out["analytic"] = {"device": "H100-80GB", "constants": ANALYTIC_CONSTANTS, "sets": analytic_sets()}
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
