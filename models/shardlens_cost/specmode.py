"""The collector's spec mode: measure given per-GPU shard sets (the set-spec
format, setspec.py) instead of random ones, as `shardlens measure` and
`npm run bench:measured` ask.

One process measures every set in turn on its device (each GPU's set of a
plan, one after the other). Under torchrun with as many ranks as a plan has
GPUs, rank k measures the plan's set k while the others measure theirs, then
the ranks time the plan's pooled-embedding all-to-all together (forward and
backward, per rank); other plans are shared out rank by rank, without
collectives. `repeats` > 1 measures every set that many times, in a freshly
shuffled order each round, so the spread between rounds (the noise floor)
can be read next to a model's error.

Output: one JSON line per set and round: the spec line, each table with its
observed index statistics (n_idx, unique, top1pct_share, as the campaign
data), `fwd_ms` / `bwd_ms` (median of the timed runs), the runs themselves
(`fwd_runs_ms`, `bwd_runs_ms`), `repeat` (0-based round), `kernels` (what ran)
and, when timed, `comm` = {fwd_ms, bwd_ms} of this rank's all-to-all.
"""
import json
import random
import statistics
import sys
import time
import zlib
from typing import Callable, Dict, List, Optional, TextIO

import torch

from .indexgen import block_batch, observed_stats, table_batch
from .kernels import FbgemmKernel, TorchKernel
from .timing import time_runs

DTYPES = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}


def table_seed(seed: int, t: dict) -> int:
    """Same shard, same indices: the seed depends on the shard, not on the set
    it sits in, so two plans that put a shard on different GPUs time the same
    lookups."""
    key = f"{t['name']}|{t.get('shard', 0)}|{t['rows']}|{t['dim']}|{t['pooling']}|{t['alpha']}|{t['bags']}"
    return (seed * 1_000_003 + zlib.crc32(key.encode())) % (2 ** 63)


def shard_inputs(t: dict, seed: int, device: torch.device):
    """(indices, lengths) of one shard: a row block keeps its share of the whole
    table's lookups (indexgen.block_batch); other shards draw their own."""
    gen = torch.Generator(device=device)
    gen.manual_seed(table_seed(seed, t))
    b = t.get("block")
    if b:
        return block_batch(b["table_rows"], b["table_pooling"], t["alpha"], t["bags"], b["offset"], t["rows"],
                           b["ids"], gen, device)
    return table_batch(t["rows"], t["pooling"], t["alpha"], t["bags"], gen, device)


class RankKernel:
    """Every kernel one GPU runs for its set: tables grouped by (kernel, dtype,
    optimizer) — plus bags and cache factor for FBGEMM, whose TBE takes one batch
    size — each group one kernel instance, run one after the other (separate
    launches, as on a real GPU)."""

    def __init__(self, tables: List[dict], inputs, device: torch.device, gen: torch.Generator):
        groups: Dict[tuple, list] = {}
        for t, inp in zip(tables, inputs):
            fb = t["kernel"] != "torch_embedding_bag"
            key = (t["kernel"], t["dtype"], t["optimizer"]) + ((t["bags"], t.get("cache_load_factor")) if fb else ())
            groups.setdefault(key, []).append((t, inp))
        self.kernels = []
        self.names = []
        for key, items in groups.items():
            ts = [t for t, _ in items]
            ins = [i for _, i in items]
            dtype = DTYPES[key[1]]
            if key[0] == "torch_embedding_bag":
                k = TorchKernel(ts, ins, dtype, device, gen, optimizer=key[2])
            else:
                k = FbgemmKernel(ts, ins, dtype, device, gen, optimizer=key[2],
                                 cache_load_factor=ts[0].get("cache_load_factor") if key[0] == "fbgemm_tbe_uvm_caching" else None)
            self.kernels.append(k)
            self.names.append(f"{k.name}+{key[2]}")

    def forward(self):
        for k in self.kernels:
            k.forward()

    def prepare_backward(self):
        for k in self.kernels:
            k.prepare_backward()

    def backward(self):
        for k in self.kernels:
            k.backward()


def make_spec_measure(device: torch.device, reps: int, warmup: int, seed: int):
    """spec line -> measured record (without `repeat`)."""
    def measure(spec: dict) -> dict:
        tables = spec["tables"]
        if not tables:
            return {**spec, "fwd_ms": 0.0, "bwd_ms": 0.0, "fwd_runs_ms": [], "bwd_runs_ms": [], "kernels": []}
        inputs = [shard_inputs(t, seed, device) for t in tables]
        observed = [{**t, **observed_stats(idx, t["rows"])} for t, (idx, _) in zip(tables, inputs)]
        gen = torch.Generator(device=device)
        gen.manual_seed(seed * 7919 + zlib.crc32(spec["id"].encode()))
        k = RankKernel(tables, inputs, device, gen)
        fwd = time_runs(k.forward, device, reps, warmup)
        bwd = time_runs(k.backward, device, reps, warmup, before=k.prepare_backward)
        names = sorted(set(k.names))
        del k
        return {**spec, "tables": observed, "fwd_ms": round(statistics.median(fwd), 5),
                "bwd_ms": round(statistics.median(bwd), 5), "fwd_runs_ms": [round(x, 5) for x in fwd],
                "bwd_runs_ms": [round(x, 5) for x in bwd], "kernels": names}
    return measure


def round_orders(n: int, repeats: int, seed: int) -> List[List[int]]:
    """Order of the sets in each round: as given in round 0 when repeats == 1,
    else a fresh shuffle per round (so drift and warm caches do not line up
    with one set)."""
    if repeats <= 1:
        return [list(range(n))]
    orders = []
    for r in range(repeats):
        o = list(range(n))
        random.Random(seed * 31 + r).shuffle(o)
        orders.append(o)
    return orders


def is_oom(e: BaseException) -> bool:
    oom_type = getattr(torch.cuda, "OutOfMemoryError", None)
    return (oom_type is not None and isinstance(e, oom_type)) or "out of memory" in str(e).lower()


def run_specs(specs: List[dict], measure: Callable[[dict], dict], out: TextIO, repeats: int = 1, seed: int = 0,
              deadline: Optional[float] = None, clock: Callable[[], float] = time.monotonic,
              on_oom: Optional[Callable[[], None]] = None, log: Optional[TextIO] = sys.stderr) -> dict:
    """Measure every spec `repeats` times and write one line per measurement,
    flushed at once (a stopped run keeps what it measured). Out-of-memory is
    written as the set's "error" and the run goes on; sets not started before
    `deadline` are counted, not written."""
    counts = {"measured": 0, "oom": 0, "skipped_deadline": 0}
    for r, order in enumerate(round_orders(len(specs), repeats, seed)):
        for i in order:
            spec = specs[i]
            if deadline is not None and clock() >= deadline:
                counts["skipped_deadline"] += 1
                continue
            try:
                rec = measure(spec)
                counts["measured"] += 1
            except Exception as e:  # noqa: BLE001 - only OOM is swallowed
                if not is_oom(e):
                    raise
                counts["oom"] += 1
                rec = {**spec, "fwd_ms": None, "bwd_ms": None, "error": "out of memory: " + str(e).splitlines()[0][:200]}
                if on_oom:
                    on_oom()
            rec["repeat"] = r
            out.write(json.dumps(rec) + "\n")
            out.flush()
            if log:
                print(f"{rec['id']} (round {r}): {len(spec['tables'])} shards fwd {rec['fwd_ms']} ms bwd {rec['bwd_ms']} ms"
                      + (f" ({rec['error']})" if "error" in rec else ""), file=log)
    return counts


def spread(values: List[float]) -> Optional[float]:
    """(max - min) / median of one set's repeated measurements; None below 2."""
    xs = [v for v in values if isinstance(v, (int, float)) and v > 0]
    if len(xs) < 2:
        return None
    return (max(xs) - min(xs)) / statistics.median(xs)


def spread_summary(records: List[dict]) -> dict:
    """Noise floor of repeated measurements: per set the relative spread of
    fwd, bwd and fwd + bwd across rounds; summary = median and 90th percentile
    over sets, plus the mean absolute deviation from each set's median in % (the
    error a perfect model would still show against one measurement)."""
    by_id: Dict[str, List[dict]] = {}
    for r in records:
        if r.get("fwd_ms") and r.get("bwd_ms"):
            by_id.setdefault(r["id"], []).append(r)
    per = {"fwd": [], "bwd": [], "fwd+bwd": []}
    dev = []
    for recs in by_id.values():
        if len(recs) < 2:
            continue
        tot = [x["fwd_ms"] + x["bwd_ms"] for x in recs]
        per["fwd"].append(spread([x["fwd_ms"] for x in recs]))
        per["bwd"].append(spread([x["bwd_ms"] for x in recs]))
        per["fwd+bwd"].append(spread(tot))
        m = statistics.median(tot)
        dev.extend(abs(x - m) / m for x in tot)

    def pct(xs, q):
        s = sorted(xs)
        return s[min(len(s) - 1, int(round(q * (len(s) - 1))))] if s else None

    return {"sets": len(per["fwd+bwd"]),
            "median_spread": {k: pct(v, 0.5) for k, v in per.items()},
            "p90_spread": {k: pct(v, 0.9) for k, v in per.items()},
            "mean_abs_dev_from_median": (sum(dev) / len(dev)) if dev else None}


# ---------------------------------------------------------------- torchrun

def plan_groups(specs: List[dict]) -> List[List[dict]]:
    """Specs grouped by plan, in first-seen order, each group sorted by rank."""
    groups: Dict[str, List[dict]] = {}
    for s in specs:
        groups.setdefault(s["plan"], []).append(s)
    return [sorted(g, key=lambda s: s["rank"]) for g in groups.values()]


def collective_plan(group: List[dict], world: int) -> bool:
    """True when the plan has exactly one set per torchrun rank."""
    return len(group) == world and [s["rank"] for s in group] == list(range(world)) and all(s["world"] == world for s in group)


def run_specs_distributed(specs: List[dict], measure: Callable[[dict], dict], out: Optional[TextIO], rank: int,
                          world: int, device: torch.device, reps: int, warmup: int, repeats: int = 1, seed: int = 0,
                          deadline: Optional[float] = None, log: Optional[TextIO] = sys.stderr) -> dict:
    """torchrun: see the module doc. Rank 0 writes every record (`out`)."""
    import torch.distributed as dist
    from .collector import time_all_to_all
    counts = {"measured": 0, "oom": 0, "skipped_deadline": 0, "comm_plans": 0}
    groups = plan_groups(specs)
    for r in range(max(1, repeats)):
        order = list(range(len(groups)))
        if repeats > 1:
            random.Random(seed * 31 + r).shuffle(order)
        for gi in order:
            group = groups[gi]
            # Every rank must agree on stopping: rank 0's clock decides.
            stop = torch.tensor([1 if (deadline is not None and time.monotonic() >= deadline) else 0], device=device)
            dist.broadcast(stop, 0)
            if int(stop.item()):
                counts["skipped_deadline"] += len(group)
                continue
            together = collective_plan(group, world)
            mine = [s for s in group if s["rank"] == rank] if together else group[rank::world]
            recs = []
            for s in mine:
                try:
                    rec = measure(s)
                except Exception as e:  # noqa: BLE001
                    if not is_oom(e):
                        raise
                    rec = {**s, "fwd_ms": None, "bwd_ms": None, "error": "out of memory: " + str(e).splitlines()[0][:200]}
                    if device.type == "cuda":
                        torch.cuda.empty_cache()
                rec["repeat"] = r
                recs.append(rec)
            if together:
                sums = [int(x["pooled_bytes_per_bag"]["out"] + x["pooled_bytes_per_bag"]["row"]) if isinstance(
                    x.get("pooled_bytes_per_bag"), dict) else 0 for x in group]
                if sum(sums) > 0 and group[0]["batch"] >= world:
                    # Byte counts: an all-to-all of uint8 moves exactly the pooled bytes the model prices.
                    f, b = time_all_to_all(sums, rank, group[0]["batch"], torch.uint8, device, reps, warmup)
                    for rec in recs:
                        rec["comm"] = {"fwd_ms": round(f, 5), "bwd_ms": round(b, 5),
                                       "what": "all_to_all of pooled bytes, forward and backward (this rank)"}
                    counts["comm_plans"] += 1
            gathered: List[Optional[List[dict]]] = [None] * world
            dist.all_gather_object(gathered, recs)
            if rank == 0 and out is not None:
                for part in gathered:
                    for rec in part or []:
                        out.write(json.dumps(rec) + "\n")
                        counts["measured" if rec.get("fwd_ms") is not None else "oom"] += 1
                out.flush()
            if log:
                print(f"rank {rank}: plan {group[0]['plan']} round {r}: {len(recs)} set(s)", file=log)
    return counts


# ---------------------------------------------------------------- entry

def read_specs(path: str) -> List[dict]:
    """All spec lines of a JSONL file; raises SpecError naming the first bad line."""
    from .setspec import SpecError, parse_spec
    specs = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as e:
                raise SpecError(f"line {n}: invalid JSON ({e.msg})") from None
            specs.append(parse_spec(rec, n))
    return specs


def environment(device: torch.device) -> dict:
    """What ran the measurements (for the env sidecar)."""
    from .kernels import fbgemm_available
    env = {"torch": torch.__version__, "cuda": torch.version.cuda, "device": str(device),
           "fbgemm_gpu": fbgemm_available(), "python": sys.version.split()[0]}
    if device.type == "cuda":
        p = torch.cuda.get_device_properties(device)
        env.update(gpu=p.name, sm_count=p.multi_processor_count, memory_bytes=p.total_memory)
    return env


def main_specs(a) -> int:
    """`collector --specs FILE`: returns the exit status (2: cannot measure here)."""
    import os
    from .kernels import fbgemm_available
    from .setspec import SpecError, runnable_problems
    t_start = time.monotonic()
    try:
        specs = read_specs(a.specs)
    except (OSError, SpecError) as e:
        print(f"collector: {a.specs}: {e}", file=sys.stderr)
        return 2
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    if a.device == "cuda" and not torch.cuda.is_available():
        print("collector: no CUDA GPU is visible to PyTorch (torch.cuda.is_available() is False); "
              "run on a machine with a GPU, or pass --device cpu for a functional dry run", file=sys.stderr)
        return 2
    device = torch.device(f"cuda:{int(os.environ.get('LOCAL_RANK', '0'))}" if a.device == "cuda" else a.device)
    problems = runnable_problems(specs, fbgemm_available(), device.type)
    if problems:
        for p in problems:
            print(f"collector: cannot measure: {p}", file=sys.stderr)
        return 2
    if device.type == "cuda":
        torch.cuda.set_device(device)
    dist = None
    if world > 1:
        import torch.distributed as dist
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    if a.env_out and rank == 0:
        with open(a.env_out, "w") as f:
            json.dump({**environment(device), "world": world, "reps": a.reps, "warmup": a.warmup,
                       "repeats": a.repeats, "seed": a.seed, "command": " ".join(sys.argv)}, f, indent=2)
    measure = make_spec_measure(device, a.reps, a.warmup, a.seed)
    deadline = t_start + a.time_budget_s if a.time_budget_s > 0 else None
    print(f"rank {rank}/{world}: {len(specs)} set(s) x {a.repeats} round(s) on {device}", file=sys.stderr)
    if dist is None:
        with open(a.out, "a") as out:
            counts = run_specs(specs, measure, out, repeats=a.repeats, seed=a.seed, deadline=deadline,
                               on_oom=torch.cuda.empty_cache if device.type == "cuda" else None)
    else:
        out = open(a.out, "a") if rank == 0 else None
        try:
            counts = run_specs_distributed(specs, measure, out, rank, world, device, a.reps, a.warmup,
                                           repeats=a.repeats, seed=a.seed, deadline=deadline)
        finally:
            if out:
                out.close()
        dist.barrier()
        dist.destroy_process_group()
    print(f"rank {rank}: {counts}", file=sys.stderr)
    if a.repeats > 1 and rank == 0:
        with open(a.out) as f:
            recs = [json.loads(x) for x in f if x.strip()]
        mine = {s["id"] for s in specs}
        print("noise floor: " + json.dumps(spread_summary([r for r in recs if r.get("id") in mine])), file=sys.stderr)
    return 0
