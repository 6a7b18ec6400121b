"""Train the set cost network on measured JSONL sets.

    cd models && /usr/bin/python3 -m shardlens_cost.train \
        --data data/h100/embedding-costs.jsonl --gpu-type H100-80GB \
        --out build/h100-cost.pt --split-out data/h100-split.json

Writes a checkpoint (weights, normalisation, held-out metrics, provenance) and
the split file (train/held-out ids) that the benchmark reuses. Runs on CPU.

By default (`--base analytic`) the network learns the correction to the
analytic model (analytic.py, the mirror of server/src/cost/analytic.ts):
ln(measured ms) = ln(analytic ms) + network. `--base none` trains the plain
network on ln ms.
"""
import argparse
import json
import math
import os
import sys
import time

import torch

from . import DEFAULT_KERNEL, FEATURE_VERSION
from .analytic import ANALYTIC_CONSTANTS, DEVICES, record_base
from .data import file_sha256, has_targets, is_heldout, read_jsonl, training_examples
from .features import FEATURE_NAMES, NUM_FEATURES, set_features
from .metrics import summary
from .net import CostNet


class FlatExamples:
    """All training sets as one table-feature tensor plus per-set row ids, so a
    minibatch is a gather, not a rebuild from Python lists."""

    def __init__(self, examples, multi_weight: float):
        rows, self.row_ids, start = [], [], 0
        for e in examples:
            rows.extend(e["x"])
            self.row_ids.append(torch.arange(start, start + len(e["x"])))
            start += len(e["x"])
        self.x = torch.tensor(rows, dtype=torch.float32)
        self.counts = torch.tensor([len(e["x"]) for e in examples])
        self.lf = torch.log(torch.tensor([e["fwd"] for e in examples], dtype=torch.float64)).float()
        self.lb = torch.log(torch.tensor([e["bwd"] for e in examples], dtype=torch.float64)).float()
        self.w = torch.tensor([multi_weight if e["multi"] else 1.0 for e in examples])
        # ln ms of the analytic base per example (zeros without a base).
        self.base = torch.tensor([list(e.get("base", (0.0, 0.0))) for e in examples], dtype=torch.float32)

    def __len__(self):
        return len(self.row_ids)

    def batch(self, ids: torch.Tensor):
        rows = torch.cat([self.row_ids[i] for i in ids.tolist()])
        set_index = torch.repeat_interleave(torch.arange(len(ids)), self.counts[ids])
        return self.x[rows], set_index, self.lf[ids], self.lb[ids], self.w[ids], self.base[ids]


def norm_stats(examples):
    rows = [r for e in examples for r in e["x"]]
    n = len(rows)
    mean = [sum(r[j] for r in rows) / n for j in range(NUM_FEATURES)]
    std = [max(1e-3, math.sqrt(sum((r[j] - mean[j]) ** 2 for r in rows) / n)) for j in range(NUM_FEATURES)]
    return mean, std


def set_loss(pf, pb, lf, lb, loss: str, sum_weight: float, sum_loss: str = "same"):
    """Per-set loss in log space. "l1" targets the median (robust to the noisy
    sub-millisecond floor); "mse" the geometric mean. `sum_weight` adds a loss
    on fwd + bwd, the quantity the accuracy target is set on: the same log
    loss ("same"), or its absolute relative error |pred/true - 1| ("rel"),
    i.e. the judged MAPE itself (whose optimum sits below the geometric mean
    when the noise is multiplicative)."""
    err = (lambda d: d.abs()) if loss == "l1" else (lambda d: d ** 2)
    out = err(pf - lf) + err(pb - lb)
    if sum_weight:
        d = torch.logaddexp(pf, pb) - torch.logaddexp(lf, lb)
        if sum_loss == "rel":
            # Clamp: exp of an early, wild log ratio must not blow up the step.
            out = out + sum_weight * torch.expm1(d.clamp(-4.0, 4.0)).abs()
        else:
            out = out + sum_weight * err(d)
    return out


def train_member(net, k, examples: "FlatExamples", epochs, batch_sets, lr, weight_decay, seed, log,
                 loss_kind="mse", sum_weight=0.0, sum_loss="same"):
    torch.manual_seed(seed)
    gen = torch.Generator()
    gen.manual_seed(seed)
    member = net.members[k]
    opt = torch.optim.Adam(member.parameters(), lr=lr, weight_decay=weight_decay)
    steps_per_epoch = max(1, math.ceil(len(examples) / batch_sets))
    total = epochs * steps_per_epoch
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.5 * (1 + math.cos(math.pi * min(s, total) / total)))
    for ep in range(epochs):
        order = torch.randperm(len(examples), generator=gen)
        tot = 0.0
        for s in range(steps_per_epoch):
            ids = order[s * batch_sets:(s + 1) * batch_sets]
            if len(ids) == 0:
                continue
            x, idx, lf, lb, w, base = examples.batch(ids)
            pf, pb = net.member_log_flat(k, x, idx, len(ids))
            pf, pb = pf + base[:, 0], pb + base[:, 1]
            loss = (w * set_loss(pf, pb, lf, lb, loss_kind, sum_weight, sum_loss)).sum() / w.sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            tot += loss.item() * len(ids)
        if log and (ep % max(1, epochs // 5) == 0 or ep == epochs - 1):
            print(f"  member {k} epoch {ep + 1}/{epochs} loss {tot / len(examples):.4f}", file=sys.stderr)


def _train_one(job):
    """Worker: train one member of the (forked) global net, return its weights."""
    net, flat, args = _PARALLEL_STATE
    torch.set_num_threads(1)
    train_member(net, args[job][0], flat, *args[job][1:])
    return {k: v.clone() for k, v in net.members[args[job][0]].state_dict().items()}


_PARALLEL_STATE = None


def train_members_parallel(net, flat, member_args, jobs: int):
    """Train ensemble members in `jobs` forked processes. Members are independent
    (own seed, own optimiser, same initial weights as sequentially), so the
    result equals the sequential run; only the wall time changes."""
    import multiprocessing
    global _PARALLEL_STATE
    _PARALLEL_STATE = (net, flat, member_args)
    try:
        with multiprocessing.get_context("fork").Pool(min(jobs, len(member_args))) as pool:
            states = pool.map(_train_one, range(len(member_args)))
    finally:
        _PARALLEL_STATE = None
    for args, state in zip(member_args, states):
        net.members[args[0]].load_state_dict(state)


def base_fn(gpu_type: str):
    """record -> analytic base of the set and of each table alone, on `gpu_type`."""
    if gpu_type not in DEVICES:
        sys.exit(f"--base analytic needs the device numbers of {gpu_type} in shardlens_cost/analytic.py DEVICES "
                 f"(known: {', '.join(DEVICES)}), or --base none")
    device = DEVICES[gpu_type]
    return lambda r: record_base(r, device)


def predict_records(net, records, base=None):
    """(fwd_ms, bwd_ms) lists for JSONL records, through the dense/mask path."""
    out_f, out_b = [], []
    with torch.no_grad():
        for i in range(0, len(records), 256):
            chunk = records[i:i + 256]
            sets = [set_features(r) for r in chunk]
            t = max(len(s) for s in sets)
            x = torch.zeros(len(sets), t, NUM_FEATURES)
            m = torch.zeros(len(sets), t)
            for a, s in enumerate(sets):
                x[a, :len(s)] = torch.tensor(s)
                m[a, :len(s)] = 1
            bl = torch.tensor([list(base(r)[0]) for r in chunk], dtype=torch.float32) if base else None
            f, b = net(x, m, bl)
            out_f.extend(f.tolist())
            out_b.extend(b.tolist())
    return out_f, out_b


# Size bands of the error model (ms of predicted fwd + bwd): the sub-ms launch
# floor is noisier than the bandwidth-bound sets (models/README.md).
ERROR_BINS_MS = [1.0, 10.0]
ERROR_QUANTILE = 0.68


def _quantile(xs, q):
    s = sorted(xs)
    pos = (len(s) - 1) * q
    lo, hi = int(math.floor(pos)), int(math.ceil(pos))
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def error_bands(pred_total, true_total, source: str):
    """The relative ± (ERROR_QUANTILE of |ln(pred/true)|) of fwd + bwd per predicted-size band."""
    bands = [[] for _ in range(len(ERROR_BINS_MS) + 1)]
    for p, t in zip(pred_total, true_total):
        i = sum(1 for b in ERROR_BINS_MS if p >= b)
        bands[i].append(abs(math.log(p / t)))
    everything = [abs(math.log(p / t)) for p, t in zip(pred_total, true_total)]
    rel = [math.expm1(_quantile(b if len(b) >= 10 else everything, ERROR_QUANTILE)) for b in bands]
    return {"quantile": ERROR_QUANTILE, "bins_ms": ERROR_BINS_MS, "rel": [round(r, 4) for r in rel],
            "n": [len(b) for b in bands], "source": source}


def evaluate(net, records, base=None, bands_source=None):
    f, b = predict_records(net, records, base)
    tf = [r["fwd_ms"] for r in records]
    tb = [r["bwd_ms"] for r in records]
    out = {
        "fwd": summary(f, tf),
        "bwd": summary(b, tb),
        "fwd_bwd": summary([x + y for x, y in zip(f, b)], [x + y for x, y in zip(tf, tb)]),
    }
    if bands_source:
        out["uncertainty"] = error_bands([x + y for x, y in zip(f, b)], [x + y for x, y in zip(tf, tb)], bands_source)
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, help="measured JSONL sets (collector output)")
    p.add_argument("--gpu-type", required=True, help="ShardLens device type the data was measured on, e.g. H100-80GB")
    p.add_argument("--out", required=True, help="checkpoint path (.pt)")
    p.add_argument("--split-out", help="write the train/held-out id lists here (JSON)")
    p.add_argument("--heldout-percent", type=int, default=20)
    p.add_argument("--members", type=int, default=4)
    p.add_argument("--hidden", type=int, default=96)
    p.add_argument("--emb", type=int, default=48)
    p.add_argument("--head", type=int, default=48)
    p.add_argument("--epochs", type=int, default=120)
    p.add_argument("--batch-sets", type=int, default=128)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--weight-decay", type=float, default=1e-3,
                   help="L2 penalty (1e-3 beat 1e-5 and 1e-2 on the H100 inner validation split)")
    p.add_argument("--loss", choices=["mse", "l1"], default="mse", help="loss on ln ms")
    p.add_argument("--sum-weight", type=float, default=1.0, help="weight of the loss on fwd + bwd (0 = none)")
    p.add_argument("--sum-loss", choices=["same", "rel"], default="rel",
                   help="loss on fwd + bwd: the per-head log loss, or |pred/true - 1| (MAPE)")
    p.add_argument("--multi-weight", type=float, default=4.0, help="loss weight of multi-table sets")
    p.add_argument("--base", choices=["analytic", "none"], default="analytic",
                   help="learn the correction to the analytic model (default) or ln ms directly")
    p.add_argument("--no-singles", action="store_true", help="do not add multi-table sets' single-table measurements")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--limit", type=int, default=0, help="use only the first N records (smoke runs)")
    p.add_argument("--smoke", action="store_true", help="tiny run for CI: 2 members, 3 epochs, 120 records")
    p.add_argument("--jobs", type=int, default=1,
                   help="train this many ensemble members at once, one process each (same result)")
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0 = torch default)")
    p.add_argument("--tune", action="store_true",
                   help="hyper-parameter search mode: drop the held-out sets entirely and report on an inner "
                        "validation split of the training sets instead")
    p.add_argument("--quiet", action="store_true")
    a = p.parse_args(argv)
    if a.smoke:
        a.members, a.epochs, a.limit = 2, 3, a.limit or 120
    if a.threads:
        torch.set_num_threads(a.threads)

    t0 = time.time()
    records = [r for r in read_jsonl(a.data) if has_targets(r)]
    if a.limit:
        records = records[:a.limit]
    train_recs = [r for r in records if not is_heldout(r["id"], a.heldout_percent)]
    held_recs = [r for r in records if is_heldout(r["id"], a.heldout_percent)]
    if a.tune:
        held_recs = [r for r in train_recs if is_heldout("tune:" + r["id"], a.heldout_percent)]
        train_recs = [r for r in train_recs if not is_heldout("tune:" + r["id"], a.heldout_percent)]
    # One model prices one kernel: lines without "kernel" measured PyTorch's embedding_bag.
    kernels = sorted({r.get("kernel") or DEFAULT_KERNEL for r in records})
    if len(kernels) > 1:
        sys.exit(f"{a.data} mixes kernels {kernels}: train one model per kernel")
    if a.base == "analytic" and kernels and kernels[0] != DEFAULT_KERNEL:
        # analytic.py mirrors PyTorch's embedding_bag model: a correction on it
        # still trains, but the engine's guard fades this model to that base.
        print(f"note: --base analytic is PyTorch's embedding_bag model; this data measured {kernels[0]}"
              " (use --base none for a plain network)", file=sys.stderr)
    base = base_fn(a.gpu_type) if a.base == "analytic" else None
    examples = training_examples(train_recs, use_singles=not a.no_singles, base=base)
    mean, std = norm_stats(examples)
    flat = FlatExamples(examples, a.multi_weight)
    torch.manual_seed(a.seed)
    net = CostNet(NUM_FEATURES, mean, std, members=a.members, hidden=a.hidden, emb=a.emb, head=a.head,
                  residual=base is not None)
    if not a.quiet:
        print(f"{len(train_recs)} training sets (+{len(examples) - len(train_recs)} singles), "
              f"{len(held_recs)} held out; {NUM_FEATURES} features", file=sys.stderr)
    member_args = [(k, a.epochs, a.batch_sets, a.lr, a.weight_decay, a.seed * 1000 + k, not a.quiet,
                    a.loss, a.sum_weight, a.sum_loss) for k in range(a.members)]
    if a.jobs > 1:
        train_members_parallel(net, flat, member_args, a.jobs)
    else:
        for args in member_args:
            train_member(net, args[0], flat, *args[1:])
    net.eval()
    split_name = "inner validation split" if a.tune else "held-out split"
    metrics = {"heldout": evaluate(net, held_recs, base, f"{split_name} ({len(held_recs)} sets): 68% of |ln(predicted / measured)| "
                                   "of fwd + bwd per predicted-size band") if held_recs else None,
               "train": evaluate(net, train_recs, base)}
    bands = metrics["heldout"].pop("uncertainty") if metrics["heldout"] else None
    cmd = "/usr/bin/python3 -m shardlens_cost.train " + " ".join(argv if argv is not None else sys.argv[1:])
    ckpt = {
        "state_dict": net.state_dict(),
        "config": net.config,
        "mean": mean, "std": std,
        "feature_names": FEATURE_NAMES, "feature_version": FEATURE_VERSION,
        "gpu_type": a.gpu_type,
        "kernel": kernels[0] if kernels else DEFAULT_KERNEL,
        "data": {"file": os.path.basename(a.data), "sha256": file_sha256(a.data), "records": len(records),
                 "train_sets": len(train_recs), "heldout_sets": len(held_recs),
                 "extra_single_rows": len(examples) - len(train_recs),
                 "split": f"held out iff int(sha256(id)[:8], 16) % 100 < {a.heldout_percent}"},
        "training": {"command": cmd, "epochs": a.epochs, "members": a.members, "lr": a.lr,
                     "batch_sets": a.batch_sets, "multi_weight": a.multi_weight, "loss": a.loss, "sum_weight": a.sum_weight, "sum_loss": a.sum_loss, "seed": a.seed,
                     "seconds": round(time.time() - t0, 1), "torch": torch.__version__},
        "metrics": metrics,
    }
    if bands:
        ckpt["uncertainty"] = bands
    if base is not None:
        ckpt["base"] = {"model": "analytic", "formula": "server/src/cost/analytic.ts (mirrored by shardlens_cost/analytic.py)",
                        "constants": dict(ANALYTIC_CONSTANTS)}
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    torch.save(ckpt, a.out)
    if a.split_out:
        with open(a.split_out, "w") as f:
            json.dump({"data": ckpt["data"], "train": [r["id"] for r in train_recs],
                       "heldout": [r["id"] for r in held_recs]}, f, indent=0)
            f.write("\n")
    if not a.quiet:
        for split, m in metrics.items():
            if m:
                print(f"{split}: " + ", ".join(f"{k} MAPE {v['mape'] * 100:.1f}% (median {v['median_ape'] * 100:.1f}%, "
                                               f"rho {v['spearman']:.3f})" for k, v in m.items() if "mape" in v), file=sys.stderr)
        print(f"done in {time.time() - t0:.1f}s -> {a.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
