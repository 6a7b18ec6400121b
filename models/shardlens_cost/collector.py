"""Measure embedding-bag costs of random sets of tables on your GPU(s) and
write them in the JSONL format of models/data/h100/embedding-costs.jsonl.

One GPU:
    cd models && /usr/bin/python3 -m shardlens_cost.collector --out data/my-gpu.jsonl \
        --singles 400 --multis 200 --seed 1
Several GPUs (each rank measures its share of the sets; rank 0 also writes the
all-to-all timings of the pooled embeddings to --comm-out):
    cd models && torchrun --nproc-per-node 8 -m shardlens_cost.collector \
        --out data/my-gpu.jsonl --comm-out data/my-gpu.comm.jsonl --singles 400 --multis 200

Given sets (spec mode: `shardlens measure` writes them, one JSON line per GPU
of a plan; format in setspec.py and docs/cli.md):
    cd models && /usr/bin/python3 -m shardlens_cost.collector --specs plan.specs.jsonl \
        --out plan.measured.jsonl [--repeats 3] [--env-out plan.env.json]

A set that runs out of GPU memory is written with "error" and no timings, and
collection continues. Lines are flushed as they are measured, so a stopped run
keeps what it measured. `--time-budget-s` stops cleanly before a deadline.
"""
import argparse
import json
import os
import random
import statistics
import sys
import time
import zlib
from typing import Callable, Iterable, List, Optional, TextIO

import torch

from .indexgen import observed_stats, table_batch
from .kernels import FbgemmKernel, TorchKernel, fbgemm_available
from .sampling import SamplingRanges, sample_set
from .timing import time_ms


def is_oom(e: BaseException) -> bool:
    oom_type = getattr(torch.cuda, "OutOfMemoryError", None)
    return (oom_type is not None and isinstance(e, oom_type)) or "out of memory" in str(e).lower()


def measure_tables(tables: List[dict], inputs, dtype: torch.dtype, device: torch.device, gen: torch.Generator,
                   kernel_cls, reps: int, warmup: int) -> dict:
    k = kernel_cls(tables, inputs, dtype, device, gen)
    fwd = time_ms(k.forward, device, reps, warmup)
    bwd = time_ms(k.backward, device, reps, warmup, before=k.prepare_backward)
    return {"fwd_ms": round(fwd, 5), "bwd_ms": round(bwd, 5)}


def make_measure(device: torch.device, kernel_cls, reps: int, warmup: int, seed: int, singles: bool):
    """The real measurement of one set config -> completed JSONL record."""
    def measure(cfg: dict) -> dict:
        gen = torch.Generator(device=device)
        gen.manual_seed(seed * 1_000_003 + zlib.crc32(cfg["id"].encode()))
        dtype = torch.float16 if cfg["dtype"] == "fp16" else torch.float32
        inputs = [table_batch(t["rows"], t["pooling"], t["alpha"], cfg["batch"], gen, device) for t in cfg["tables"]]
        tables = [{**t, **observed_stats(idx, t["rows"])} for t, (idx, _) in zip(cfg["tables"], inputs)]
        res = measure_tables(cfg["tables"], inputs, dtype, device, gen, kernel_cls, reps, warmup)
        out = {"id": cfg["id"], "batch": cfg["batch"], "dtype": cfg["dtype"], "kernel": kernel_cls.shardlens_kernel,
               "tables": tables, **res, "singles": None}
        if singles and len(cfg["tables"]) > 1:
            out["singles"] = [measure_tables([t], [inp], dtype, device, gen, kernel_cls, reps, warmup)
                              for t, inp in zip(cfg["tables"], inputs)]
        return out
    return measure


def collect(configs: Iterable[dict], measure: Callable[[dict], dict], out: TextIO,
            on_oom: Optional[Callable[[], None]] = None, deadline: Optional[float] = None,
            clock: Callable[[], float] = time.monotonic, log: Optional[TextIO] = sys.stderr) -> dict:
    """Measure each config and write one JSONL line per set. Out-of-memory is
    recorded on the set's line ("error") and collection goes on; other errors
    propagate. Returns counts."""
    counts = {"measured": 0, "oom": 0, "skipped_deadline": 0}
    for cfg in configs:
        if deadline is not None and clock() >= deadline:
            counts["skipped_deadline"] += 1
            continue
        try:
            rec = measure(cfg)
            counts["measured"] += 1
        except Exception as e:  # noqa: BLE001 - only OOM is swallowed, see below
            if not is_oom(e):
                raise
            counts["oom"] += 1
            rec = {**cfg, "fwd_ms": None, "bwd_ms": None, "singles": None,
                   "error": "out of memory: " + str(e).splitlines()[0][:200]}
            if on_oom:
                on_oom()
        out.write(json.dumps(rec) + "\n")
        out.flush()
        if log:
            print(f"{rec['id']}: {len(rec['tables'])} tables fwd {rec['fwd_ms']} ms bwd {rec['bwd_ms']} ms"
                  + (f" ({rec['error']})" if "error" in rec else ""), file=log)
    return counts


def sample_configs(n_single: int, n_multi: int, ranges: SamplingRanges, seed: int, prefix: str) -> List[dict]:
    rnd = random.Random(seed)
    cfgs = [sample_set(rnd, ranges, False, f"s{prefix}-{i}") for i in range(n_single)]
    cfgs += [sample_set(rnd, ranges, True, f"m{prefix}-{i}") for i in range(n_multi)]
    random.Random(seed + 1).shuffle(cfgs)
    return cfgs


def time_all_to_all(dim_sums: List[int], rank: int, batch: int, dtype: torch.dtype, device: torch.device,
                    reps: int, warmup: int):
    """Pooled-embedding all-to-all of table-wise sharding: rank k owns pooled
    outputs [batch, dim_sums[k]] and sends each rank its batch/W slice; backward
    sends the gradients back. Returns (fwd_ms, bwd_ms) of this rank."""
    import torch.distributed as dist
    w = len(dim_sums)
    local = batch // w
    # Contents do not matter for timing; ones work for every dtype (uint8 byte counts too).
    send = torch.ones(local * w * dim_sums[rank], dtype=dtype, device=device)
    recv = torch.empty(local * sum(dim_sums), dtype=dtype, device=device)
    fwd_in = [local * dim_sums[rank]] * w
    fwd_out = [local * d for d in dim_sums]

    def fwd():
        dist.all_to_all_single(recv, send, output_split_sizes=fwd_out, input_split_sizes=fwd_in)

    def bwd():
        dist.all_to_all_single(send, recv, output_split_sizes=fwd_in, input_split_sizes=fwd_out)

    return (time_ms(fwd, device, reps, warmup, before=dist.barrier),
            time_ms(bwd, device, reps, warmup, before=dist.barrier))


def ranges_from_args(a) -> SamplingRanges:
    GiB = 1 << 30
    return SamplingRanges(rows_min=a.rows_min, rows_max=a.rows_max, dims=a.dims, pooling_min=a.pooling_min,
                          pooling_max=a.pooling_max, uniform_share=a.uniform_share, alpha_max=a.alpha_max,
                          batches=a.batch, fp16_share=a.fp16_share, tables_min=a.tables_min, tables_max=a.tables_max,
                          single_table_bytes=int(a.single_gib * GiB), multi_table_bytes=int(a.table_gib * GiB),
                          set_bytes=int(a.set_gib * GiB))


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True, help="JSONL to write (appends if it exists)")
    p.add_argument("--specs", help="spec mode: measure the sets of this set-spec JSONL instead of random ones")
    p.add_argument("--repeats", type=int, default=1,
                   help="spec mode: measure every set this many times, shuffled per round, and report the spread")
    p.add_argument("--env-out", help="spec mode: write the environment (GPU, torch, fbgemm, command) to this JSON")
    p.add_argument("--comm-out", help="torchrun only: JSONL of per-rank all-to-all timings")
    p.add_argument("--singles", type=int, default=100, help="single-table sets to measure")
    p.add_argument("--multis", type=int, default=50, help="multi-table sets to measure")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--id-prefix", default=None, help="id stem (default: date + seed)")
    p.add_argument("--kernel", choices=["auto", "torch", "fbgemm"], default="auto",
                   help="auto = FBGEMM TBE when fbgemm_gpu imports, else torch.embedding_bag")
    p.add_argument("--device", default="cuda", help="cuda (default; cuda:LOCAL_RANK under torchrun) or cpu for dry runs")
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--no-singles", action="store_true", help="do not also time each table of a multi-table set alone")
    p.add_argument("--batch", type=int, nargs="+", default=[8192, 16384, 32768, 65536])
    p.add_argument("--fp16-share", type=float, default=0.2, help="share of sets with fp16 weights (0 = all fp32, 1 = all fp16)")
    p.add_argument("--rows-min", type=int, default=1_000)
    p.add_argument("--rows-max", type=int, default=50_000_000)
    p.add_argument("--dims", type=int, nargs="+", default=[4, 8, 16, 32, 64, 128, 256])
    p.add_argument("--pooling-min", type=float, default=0.5)
    p.add_argument("--pooling-max", type=float, default=100.0)
    p.add_argument("--alpha-max", type=float, default=1.3)
    p.add_argument("--uniform-share", type=float, default=0.15)
    p.add_argument("--tables-min", type=int, default=2)
    p.add_argument("--tables-max", type=int, default=48)
    p.add_argument("--single-gib", type=float, default=4.0, help="max GiB of one single-table set")
    p.add_argument("--table-gib", type=float, default=2.0, help="max GiB of a table in a multi-table set")
    p.add_argument("--set-gib", type=float, default=24.0, help="max GiB of a multi-table set")
    p.add_argument("--comm-batch", type=int, default=65536, help="global batch of the all-to-all timing")
    p.add_argument("--time-budget-s", type=float, default=0, help="stop starting new sets after this many seconds")
    return p.parse_args(argv)


def main(argv=None):
    a = parse_args(argv)
    if a.specs:
        from .specmode import main_specs
        sys.exit(main_specs(a))
    t_start = time.monotonic()
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    dist = None
    if world > 1:
        import torch.distributed as dist
        dist.init_process_group("nccl" if a.device == "cuda" else "gloo")
    device = torch.device(f"cuda:{int(os.environ.get('LOCAL_RANK', '0'))}" if a.device == "cuda" else a.device)
    if device.type == "cuda":
        torch.cuda.set_device(device)
    use_fbgemm = a.kernel == "fbgemm" or (a.kernel == "auto" and device.type == "cuda" and fbgemm_available())
    if a.kernel == "fbgemm" and not fbgemm_available():
        sys.exit("--kernel fbgemm: fbgemm_gpu is not importable")
    kernel_cls = FbgemmKernel if use_fbgemm else TorchKernel
    prefix = a.id_prefix or time.strftime("%Y%m%d") + f"-{a.seed}"
    configs = sample_configs(a.singles, a.multis, ranges_from_args(a), a.seed, prefix)
    mine = configs[rank::world]
    out_path = a.out if world == 1 else f"{a.out}.rank{rank}"
    measure = make_measure(device, kernel_cls, a.reps, a.warmup, a.seed, not a.no_singles)
    deadline = t_start + a.time_budget_s if a.time_budget_s > 0 else None
    on_oom = torch.cuda.empty_cache if device.type == "cuda" else None
    print(f"rank {rank}/{world}: {len(mine)} sets on {device} with {kernel_cls.name}", file=sys.stderr)
    with open(out_path, "a") as out:
        counts = collect(mine, measure, out, on_oom=on_oom, deadline=deadline)
    print(f"rank {rank}: {counts}", file=sys.stderr)
    if dist is not None:
        # Communication: each round, rank k holds set configs[round*W + k].
        comm = None
        if rank == 0 and a.comm_out:
            comm = open(a.comm_out, "a")
        for r in range(len(configs) // world):
            cfg = configs[r * world + rank]
            dim_sum = torch.tensor([sum(t["dim"] for t in cfg["tables"])], device=device)
            all_sums = [torch.zeros_like(dim_sum) for _ in range(world)]
            dist.all_gather(all_sums, dim_sum)
            sums = [int(x.item()) for x in all_sums]
            f, b = time_all_to_all(sums, rank, a.comm_batch, torch.float32, device, a.reps, a.warmup)
            times = [torch.zeros(2, device=device) for _ in range(world)]
            dist.all_gather(times, torch.tensor([f, b], device=device))
            if comm:
                comm.write(json.dumps({"id": f"c{prefix}-{r}", "world": world, "batch": a.comm_batch, "dtype": "fp32",
                                       "dim_sums": sums, "fwd_a2a_ms": [round(t[0].item(), 5) for t in times],
                                       "bwd_a2a_ms": [round(t[1].item(), 5) for t in times]}) + "\n")
                comm.flush()
        if comm:
            comm.close()
        dist.barrier()
        if rank == 0:
            # Merge the ranks' set files into --out, in rank order.
            with open(a.out, "a") as dst:
                for k in range(world):
                    part = f"{a.out}.rank{k}"
                    with open(part) as src:
                        dst.write(src.read())
                    os.remove(part)
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
