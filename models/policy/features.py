"""Inputs of the placement policy. Mirrors server/src/plan/policyFeatures.ts
number for number (a node test compares them on models/fixtures/policy-fixtures.json).

Every quantity is relative to the task, so one policy serves 10 or 5,000 tables,
2 or 256 GPUs, and any cost model: costs are divided by the task's fair share
per GPU (sum of single-table costs / GPUs), memory by one GPU's capacity, and
pooled dims (what the all-to-all moves) by their fair share per GPU.
"""
import math
from typing import List, Sequence

TABLE_FEATURES = [
    "cost_share",   # single-table predicted ms / (sum of singles / GPUs)
    "mem_frac",     # table bytes (weights + optimizer state) / usable bytes of one GPU
    "log2_dim",     # log2(dim) / 8
    "log_pooling",  # ln(pooling) / 4
    "alpha",        # power-law exponent of the index distribution
    "log10_rows",   # log10(rows) / 9
    "dtype",        # bytes per element / 4
    "dim_share",    # dim*bytes / (sum of dim*bytes / GPUs): all-to-all share
]
# Per-GPU state besides the pooled encodings (sum, max): see gpu_scalars().
# "cost" = predicted compute + all-to-all ms of the GPU / cost scale (the planner's PlanState total).
GPU_SCALARS = ["mem_frac", "cost", "dim", "count"]
# Per-candidate features that depend on all GPUs: see cross_features().
CROSS_FEATURES = ["gap_to_min", "gap_to_max", "remaining"]


def task_scales(costs: Sequence[float], dims: Sequence[float], dtype_bytes: Sequence[float], gpus: int):
    """(cost scale ms, dim scale bytes, count scale): the fair share per GPU."""
    load = sum(costs) / gpus
    dim_load = sum(d * b for d, b in zip(dims, dtype_bytes)) / gpus
    return (load if load > 0 else 1.0, dim_load if dim_load > 0 else 1.0, max(1.0, len(costs) / gpus))


def table_features(cost: float, mem: float, rows: float, dim: float, pooling: float, alpha: float,
                   dtype_bytes: float, capacity: float, cost_scale: float, dim_scale: float) -> List[float]:
    return [
        cost / cost_scale,
        mem / capacity,
        math.log2(max(1.0, dim)) / 8.0,
        math.log(max(1e-3, pooling)) / 4.0,
        float(alpha),
        math.log10(max(1.0, rows)) / 9.0,
        dtype_bytes / 4.0,
        dim * dtype_bytes / dim_scale,
    ]


def placement_order(costs: Sequence[float], pins: Sequence) -> List[int]:
    """Pinned tables first (they have no choice, and the others should see them),
    then by single-table cost descending (DreamShard's order); ties by index."""
    return sorted(range(len(costs)), key=lambda i: (0 if pins[i] is not None else 1, -costs[i], i))
