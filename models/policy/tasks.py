"""Random DLRM-like placement tasks for training and evaluation (seeded).

Spreads follow the measured H100 data the cost network was trained on
(models/data/h100: rows 1e3..5e7, dim 4..256, pooling 0.5..100, power-law
alpha 0..1.3) and DreamShard's task shapes (10..100 tables on 2..8 GPUs,
Zha et al. 2022 §5). GPU capacity is drawn so that the task uses 15..85% of the
cluster's memory, never less than 1.05x the largest table: memory matters in
some tasks and not in others.
"""
import math
import random
from dataclasses import dataclass, field
from typing import List, Optional

DIMS = [4, 8, 16, 32, 64, 128, 256]
DIM_WEIGHTS = [1, 2, 4, 6, 6, 4, 1]
BATCHES = [16384, 32768, 65536]
OPTIMIZERS = ["sgd", "rowwise_adagrad", "adam"]


@dataclass
class Table:
    rows: int
    dim: int
    pooling: float
    alpha: float
    dtype_bytes: int
    pin: Optional[int] = None


@dataclass
class Task:
    tables: List[Table]
    gpus: int
    per_host: int
    batch: int
    optimizer: str
    capacity_bytes: float
    mem_bytes: List[float] = field(default_factory=list)


def table_memory_bytes(t: Table, optimizer: str) -> float:
    """Same rule as server/src/cost/memory.ts shardMemoryBytes."""
    w = t.rows * t.dim * t.dtype_bytes
    if optimizer == "rowwise_adagrad":
        return w + t.rows * 4
    if optimizer == "adam":
        return w + t.rows * t.dim * 8
    return w


def random_table(rnd: random.Random) -> Table:
    rows = int(round(math.exp(rnd.uniform(math.log(1e3), math.log(5e7)))))
    dim = rnd.choices(DIMS, weights=DIM_WEIGHTS)[0]
    pooling = round(math.exp(rnd.uniform(math.log(0.5), math.log(100.0))), 3)
    alpha = 0.0 if rnd.random() < 0.2 else round(rnd.uniform(0.0, 1.3), 3)
    return Table(rows, dim, pooling, alpha, 4 if rnd.random() < 0.5 else 2)


# H100-80GB usable bytes at the default 15% reserve (config/presets.ts: 85,017,493,504 B).
H100_USABLE = 85_017_493_504 * 0.85


def dlrm_table(rnd: random.Random) -> Table:
    """A table from the planner benchmark's pool spreads (test/bench/tasks.ts makeTable):
    rows log-normal around 10^5.5 (σ 1.3 decades) in [100, 2e8], pooling e^(1.2 ± 1.1)
    in [1, 100], Zipf 0..1.2, fp16."""
    rows = int(round(min(2e8, max(100.0, 10 ** (5.5 + 1.3 * rnd.gauss(0, 1))))))
    dim = rnd.choices(DIMS, weights=[0.08, 0.14, 0.2, 0.2, 0.18, 0.14, 0.06])[0]
    pooling = round(min(100.0, max(1.0, math.exp(1.2 + 1.1 * rnd.gauss(0, 1)))), 1)
    return Table(rows, dim, pooling, round(rnd.uniform(0, 1.2), 2), 2)


def random_task(rnd: random.Random, min_tables=10, max_tables=100, min_gpus=2, max_gpus=8,
                pin_prob=0.2, dlrm_share=0.5) -> Task:
    """Half the tasks (dlrm_share) are benchmark-like (dlrm_table, rowwise Adagrad,
    batch 65,536, H100 memory: rarely binding); the rest are broad (random_table,
    any optimizer and batch, memory 15..85% used)."""
    n = rnd.randint(min_tables, max_tables)
    d = rnd.randint(min_gpus, max_gpus)
    if rnd.random() < dlrm_share:
        tables = [dlrm_table(rnd) for _ in range(n)]
        optimizer = "rowwise_adagrad"
        mem = [table_memory_bytes(t, optimizer) for t in tables]
        # Tables over one GPU are row-split by the planner; here they just get room.
        cap = max(H100_USABLE, 1.05 * max(mem), sum(mem) / (0.85 * d))
        per_host = min(d, 8)
        return Task(tables, d, per_host, 65536, optimizer, cap, mem)
    tables = [random_table(rnd) for _ in range(n)]
    optimizer = rnd.choice(OPTIMIZERS)
    mem = [table_memory_bytes(t, optimizer) for t in tables]
    use = rnd.uniform(0.15, 0.85)
    cap = max(sum(mem) / (d * use), 1.05 * max(mem))
    if rnd.random() < pin_prob:
        # Pin a few tables (about 5%) to random GPUs, as users pin hot tables.
        for i in rnd.sample(range(n), max(1, n // 20)):
            tables[i].pin = rnd.randrange(d)
    per_host = rnd.choice([d, d, max(1, d // 2)])
    return Task(tables, d, per_host, rnd.choice(BATCHES), optimizer, cap, mem)
