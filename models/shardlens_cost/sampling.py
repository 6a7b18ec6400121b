"""Random set configurations for the collector (pure Python, seeded).

Defaults reproduce the H100 campaign (models/data/h100/README.md): rows
log-uniform 1e3..5e7 (<= 4 GiB per single table; <= 2 GiB per table and
24 GiB per set in multi-table sets), dim from {4..256} in multiples of 4
(powers of two by default), pooling log-uniform 0.5..100, alpha 0 (15%) or
uniform 0..1.3, batch from {8192, 16384, 32768, 65536}, 20% fp16.
"""
import math
import random
from dataclasses import dataclass, field
from typing import List

GiB = 1 << 30


@dataclass
class SamplingRanges:
    rows_min: int = 1_000
    rows_max: int = 50_000_000
    dims: List[int] = field(default_factory=lambda: [4, 8, 16, 32, 64, 128, 256])
    pooling_min: float = 0.5
    pooling_max: float = 100.0
    uniform_share: float = 0.15      # share of tables with alpha = 0
    alpha_max: float = 1.3
    batches: List[int] = field(default_factory=lambda: [8192, 16384, 32768, 65536])
    fp16_share: float = 0.2
    tables_min: int = 2              # multi-table sets
    tables_max: int = 48
    single_table_bytes: int = 4 * GiB
    multi_table_bytes: int = 2 * GiB
    set_bytes: int = 24 * GiB


def _log_uniform(rnd: random.Random, lo: float, hi: float) -> float:
    return math.exp(rnd.uniform(math.log(lo), math.log(hi)))


def sample_table(rnd: random.Random, r: SamplingRanges, dtype_bytes: int, max_bytes: int, name: str) -> dict:
    dim = rnd.choice(r.dims)
    rows_cap = max(r.rows_min, min(r.rows_max, max_bytes // (dim * dtype_bytes)))
    rows = int(round(_log_uniform(rnd, r.rows_min, rows_cap)))
    pooling = round(_log_uniform(rnd, r.pooling_min, r.pooling_max), 3)
    alpha = 0.0 if rnd.random() < r.uniform_share else round(rnd.uniform(0.0, r.alpha_max), 3)
    return {"name": name, "rows": rows, "dim": dim, "pooling": pooling, "alpha": alpha}


def sample_set(rnd: random.Random, r: SamplingRanges, multi: bool, set_id: str) -> dict:
    """One set config: {id, batch, dtype, tables[]} (no measurements yet)."""
    dtype = "fp16" if rnd.random() < r.fp16_share else "fp32"
    b = 2 if dtype == "fp16" else 4
    batch = rnd.choice(r.batches)
    if not multi:
        return {"id": set_id, "batch": batch, "dtype": dtype,
                "tables": [sample_table(rnd, r, b, r.single_table_bytes, "t0")]}
    n = rnd.randint(r.tables_min, r.tables_max)
    tables, total = [], 0
    for i in range(n):
        t = sample_table(rnd, r, b, min(r.multi_table_bytes, r.set_bytes - total), f"t{i}")
        size = t["rows"] * t["dim"] * b
        if total + size > r.set_bytes:
            break
        total += size
        tables.append(t)
    return {"id": set_id, "batch": batch, "dtype": dtype, "tables": tables}


def table_bytes(t: dict, dtype: str) -> int:
    return t["rows"] * t["dim"] * (2 if dtype == "fp16" else 4)
