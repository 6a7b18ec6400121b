"""Export a trained checkpoint to ONNX + JSON sidecar (+ fixtures for tests).

    cd models && /usr/bin/python3 -m shardlens_cost.export --ckpt build/h100-cost.pt \
        --data data/h100/embedding-costs.jsonl --name h100-cost \
        --out-dir . --fixtures fixtures/h100-cost.fixtures.json

ONNX graph: inputs `features` float32 [sets, tables, F] (raw features, see
features.py; normalisation is inside the graph), `mask` float32 [sets,
tables] (1 = real table, 0 = padding) and, for a model trained on the analytic
base, `base_log` float32 [sets, 2] (ln ms of the analytic model's fwd and bwd
of each set); outputs `fwd_ms`, `bwd_ms` float32 [sets]. Leading dims are
dynamic.

The sidecar also records what the model was trained on (`training_ranges`:
tables per set, rows, dims, pooling, batch, alpha, dtypes, optimizers,
kernels, from the training split of --data) and its held-out error by
predicted size (`uncertainty`, computed by train.py), which the engine's guard
and ± use.

The sidecar holds everything the TypeScript engine needs besides the graph:
feature list + version, normalisation, GPU type, provenance, held-out metrics
and the weights as plain arrays (so planners can evaluate the same network in
JS without an ONNX call per candidate set).
"""
import argparse
import hashlib
import json
import os
import sys

import numpy as np
import torch

from . import DEFAULT_KERNEL, KERNELS, SIDECAR_VERSION
from .data import has_targets, is_heldout, read_jsonl
from .features import FEATURE_NAMES, NUM_FEATURES, set_features
from .net import CostNet

OPSET = 14


def load_checkpoint(path: str):
    ckpt = torch.load(path, map_location="cpu")
    c = ckpt["config"]
    net = CostNet(c["num_features"], ckpt["mean"], ckpt["std"], members=c["members"],
                  hidden=c["hidden"], emb=c["emb"], head=c["head"], residual=bool(c.get("residual")))
    net.load_state_dict(ckpt["state_dict"])
    net.eval()
    return net, ckpt


# Weights below this magnitude are written as exact zeros. Weight decay drives
# unused weights towards 0 through float32 denormals (< 1.2e-38), and CPU
# matrix kernels run many times slower on denormal operands (one ONNX call for
# a 1,000-table plan: 67 ms unflushed vs 4 ms flushed for a 6-member trial
# model with 13% denormal weights; 7 ms vs 2.6 ms for h100-cost). A weight
# under 1e-10 changes a ~1-magnitude log-ms output by < 1e-7 (fan-in <= 96,
# z-scored inputs and ReLU activations of order 1-10): below float32 precision.
FLUSH_BELOW = 1e-10


def flush_tiny_weights(net: torch.nn.Module) -> int:
    """Zero every parameter entry with |w| < FLUSH_BELOW; returns how many."""
    n = 0
    with torch.no_grad():
        for p in net.parameters():
            tiny = p.abs() < FLUSH_BELOW
            n += int(tiny.sum().item())
            p[tiny] = 0.0
    return n


def _f32_list(t: torch.Tensor):
    """Float32 values as shortest round-trip decimals (JSON stays small and exact)."""
    a = t.detach().cpu().numpy().astype(np.float32)
    if a.ndim == 1:
        return [float(np.format_float_positional(v, unique=True, trim="-")) for v in a]
    return [_f32_list(torch.from_numpy(row)) for row in a]


def _linear_layers(seq: torch.nn.Sequential):
    return [{"weight": _f32_list(m.weight), "bias": _f32_list(m.bias)}
            for m in seq if isinstance(m, torch.nn.Linear)]


def sidecar_weights(net: CostNet):
    return [{"encoder": _linear_layers(m.enc), "head_fwd": _linear_layers(m.head_fwd),
             "head_bwd": _linear_layers(m.head_bwd)} for m in net.members]


def export_onnx(net: CostNet, path: str):
    x = torch.randn(3, 5, NUM_FEATURES)
    mask = torch.ones(3, 5)
    args, names = (x, mask), ["features", "mask"]
    axes = {"features": {0: "sets", 1: "tables"}, "mask": {0: "sets", 1: "tables"},
            "fwd_ms": {0: "sets"}, "bwd_ms": {0: "sets"}}
    if net.residual:
        args, names = (x, mask, torch.randn(3, 2)), names + ["base_log"]
        axes["base_log"] = {0: "sets"}
    torch.onnx.export(
        net, args, path, input_names=names, output_names=["fwd_ms", "bwd_ms"],
        dynamic_axes=axes, opset_version=OPSET, do_constant_folding=True)
    import onnx
    model = onnx.load(path)
    onnx.checker.check_model(model)


def sha256_of(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def fixture_records(data_path: str, heldout_percent: int, count: int):
    """A few held-out sets of varied sizes (deterministic), config fields only."""
    recs = [r for r in read_jsonl(data_path) if has_targets(r) and is_heldout(r["id"], heldout_percent)]
    recs.sort(key=lambda r: (len(r["tables"]), r["id"]))
    if len(recs) <= count:
        chosen = recs
    else:
        step = (len(recs) - 1) / (count - 1)
        chosen = [recs[round(i * step)] for i in range(count)]
    return [{"id": r["id"], "batch": r["batch"], "dtype": r["dtype"],
             "tables": [{k: t[k] for k in ("name", "rows", "dim", "pooling", "alpha") if k in t} for t in r["tables"]],
             "fwd_ms": r["fwd_ms"], "bwd_ms": r["bwd_ms"]} for r in chosen]


def write_fixtures(net: CostNet, records, path: str, onnx_file: str, base=None):
    sets = [set_features(r) for r in records]
    t = max(len(s) for s in sets)
    x = torch.zeros(len(sets), t, NUM_FEATURES, dtype=torch.float32)
    m = torch.zeros(len(sets), t, dtype=torch.float32)
    for i, s in enumerate(sets):
        x[i, :len(s)] = torch.tensor(s, dtype=torch.float32)
        m[i, :len(s)] = 1
    bl = torch.tensor([list(base(r)[0]) for r in records], dtype=torch.float32) if base else None
    with torch.no_grad():
        f, b = net(x, m, bl)
    fx = {"model": onnx_file, "feature_names": FEATURE_NAMES, "records": records,
          "features": x.tolist(), "mask": m.tolist(),
          "torch": {"fwd_ms": f.tolist(), "bwd_ms": b.tolist()}}
    if bl is not None:
        fx["base_log"] = bl.tolist()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as fh:
        json.dump(fx, fh)
        fh.write("\n")


def training_ranges(records, heldout_percent: int, kernel: str):
    """What the training split of `records` covers (the engine's guard prices
    anything outside from the nearest covered point, trainingRanges.ts).
    Tables come from the sets and their `singles`; a record without `kernel` /
    `optimizer` fields was measured with `kernel` and plain SGD (the
    collector's defaults, data README)."""
    train = [r for r in records if has_targets(r) and not is_heldout(r["id"], heldout_percent)]
    tables = [t for r in train for t in r["tables"]]
    batches = [r["batch"] for r in train]

    def span(xs):
        return [min(xs), max(xs)]
    return {
        "tables_per_set": span([len(r["tables"]) for r in train]),
        "rows": span([t["rows"] for t in tables]),
        "dim": span([t["dim"] for t in tables]),
        "dims": sorted({t["dim"] for t in tables}),
        "pooling": span([t["pooling"] for t in tables]),
        "batch": span(batches),
        "alpha": span([t.get("alpha", 0.0) for t in tables]),
        "dtypes": sorted({r.get("dtype", "fp32") for r in train}),
        "optimizers": sorted({r.get("optimizer", "sgd") for r in train}),
        "kernels": sorted({r.get("kernel", kernel) for r in train}),
        "sets": len(train),
    }


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ckpt", required=True)
    p.add_argument("--name", required=True, help="base file name, e.g. h100-cost -> h100-cost.onnx + h100-cost.json")
    p.add_argument("--out-dir", required=True)
    p.add_argument("--model-version", default="v1", help="shown to users as <name>-<version>")
    p.add_argument("--data", help="the training JSONL; with --fixtures, held-out sets are taken from it")
    p.add_argument("--fixtures", help="write test fixtures (inputs + torch outputs) here")
    p.add_argument("--fixture-count", type=int, default=12)
    p.add_argument("--kernel", choices=KERNELS, default=None,
                   help="embedding kernel the data measured, which the model prices (default: the checkpoint's, "
                        "else torch_embedding_bag); written to the sidecar's \"kernel\"")
    a = p.parse_args(argv)

    net, ckpt = load_checkpoint(a.ckpt)
    flushed = flush_tiny_weights(net)
    os.makedirs(a.out_dir, exist_ok=True)
    onnx_path = os.path.join(a.out_dir, a.name + ".onnx")
    export_onnx(net, onnx_path)
    heldout_percent = int(ckpt["data"]["split"].split("<")[-1].strip())
    # The kernel the data measured and the model prices; also what a data line
    # without "kernel" measured, for the training ranges.
    kernel = a.kernel or ckpt.get("kernel") or DEFAULT_KERNEL
    inputs = {"features": ["sets", "tables", NUM_FEATURES], "mask": ["sets", "tables"]}
    if net.residual:
        inputs["base_log"] = ["sets", 2]
    sidecar = {
        "format": "shardlens-cost-model",
        "sidecar_version": SIDECAR_VERSION,
        "name": f"{a.name}-{a.model_version}",
        "gpu_type": ckpt["gpu_type"],
        # The engine registers the model for (gpu_type, kernel).
        "kernel": kernel,
        "onnx": {"file": os.path.basename(onnx_path), "sha256": sha256_of(onnx_path), "opset": OPSET,
                 "inputs": inputs, "outputs": {"fwd_ms": ["sets"], "bwd_ms": ["sets"]}},
        "feature_version": ckpt["feature_version"],
        "feature_names": ckpt["feature_names"],
        "normalization": {"mean": ckpt["mean"], "std": ckpt["std"]},
        "architecture": {**ckpt["config"], "activation": "relu", "pooling": ["sum", "max"],
                         "output": "exp(mean over members of predicted ln ms)",
                         "layout": "weight[out][in]; encoder = 3 Linear+ReLU; heads = Linear+ReLU, Linear"},
        "data": ckpt["data"],
        "training": {**ckpt["training"], "export_command": "/usr/bin/python3 -m shardlens_cost.export " +
                     " ".join(argv if argv is not None else sys.argv[1:])},
        "metrics": ckpt["metrics"],
    }
    if ckpt.get("base"):
        sidecar["base"] = ckpt["base"]
    if ckpt.get("uncertainty"):
        sidecar["uncertainty"] = ckpt["uncertainty"]
    if a.data:
        sidecar["training_ranges"] = training_ranges(read_jsonl(a.data), heldout_percent, kernel)
    else:
        print("note: no --data, so the sidecar has no training_ranges (the engine will not guard this model's range)",
              file=sys.stderr)
    sidecar["weights"] = sidecar_weights(net)
    side_path = os.path.join(a.out_dir, a.name + ".json")
    with open(side_path, "w") as f:
        json.dump(sidecar, f, separators=(",", ":"))
        f.write("\n")
    if a.fixtures:
        if not a.data:
            p.error("--fixtures needs --data")
        base = None
        if net.residual:
            from .analytic import DEVICES, record_base
            device = DEVICES[ckpt["gpu_type"]]
            base = lambda r: record_base(r, device)  # noqa: E731
        write_fixtures(net, fixture_records(a.data, heldout_percent, a.fixture_count), a.fixtures,
                       os.path.basename(onnx_path), base)
    print(f"wrote {onnx_path} ({os.path.getsize(onnx_path)} B), {side_path} ({os.path.getsize(side_path)} B); "
          f"{flushed} weights under {FLUSH_BELOW:g} written as 0",
          file=sys.stderr)


if __name__ == "__main__":
    main()
