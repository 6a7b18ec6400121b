"""Export a trained placement policy: ONNX (dynamic GPU count) + JSON sidecar
(the weights the server evaluates in plain JS) + test fixtures.

    cd models && /usr/bin/python3 -m policy.export --ckpt build/policy.pt \
        --out-dir . --name policy-v1 --fixtures fixtures/policy-fixtures.json

The fixtures hold (1) random single-step inputs with PyTorch's outputs, compared
in test/unit/policy with the JS evaluator and with onnxruntime-node on the ONNX
file (tolerance 1e-4); (2) table features of a small task; (3) greedy roll-outs
of small tasks under an additive cost (set cost = sum of the given single-table
costs), which the TypeScript policy must reproduce placement for placement.
"""
import argparse
import hashlib
import json
import os
import random

import numpy as np
import torch

from . import POLICY_FEATURE_VERSION, POLICY_SIDECAR_VERSION
from .features import CROSS_FEATURES, GPU_SCALARS, TABLE_FEATURES
from .net import PolicyNet, PolicyStep
from .rollout import prepare, run
from .tasks import random_task

OPSET = 14
INPUTS = ["table_x", "gpu_pooled", "gpu_scalars", "cross"]
OUTPUTS = ["logits", "table_enc"]


def load_policy(path: str):
    ckpt = torch.load(path, map_location="cpu")
    c = ckpt["config"]
    net = PolicyNet(emb=c["emb"], enc_hidden=c["enc_hidden"], hidden=c["hidden"])
    net.load_state_dict(ckpt["state_dict"])
    net.eval()
    return net, ckpt


def _f32(t: torch.Tensor):
    """float32 values as shortest round-trip decimals."""
    a = t.detach().cpu().numpy().astype(np.float32)
    if a.ndim == 1:
        return [float(np.format_float_positional(v, unique=True, trim="-")) for v in a]
    return [_f32(torch.from_numpy(row)) for row in a]


def _layers(seq):
    return [{"weight": _f32(m.weight), "bias": _f32(m.bias)} for m in seq if isinstance(m, torch.nn.Linear)]


def export_onnx(net: PolicyNet, path: str):
    step = PolicyStep(net).eval()
    d, e = 3, net.emb
    args = (torch.zeros(1, len(TABLE_FEATURES)), torch.zeros(d, 2 * e), torch.zeros(d, len(GPU_SCALARS)),
            torch.zeros(d, len(CROSS_FEATURES)))
    torch.onnx.export(step, args, path, input_names=INPUTS, output_names=OUTPUTS, opset_version=OPSET,
                      dynamic_axes={"gpu_pooled": {0: "gpus"}, "gpu_scalars": {0: "gpus"}, "cross": {0: "gpus"},
                                    "logits": {0: "gpus"}})


def sha256_of(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        h.update(f.read())
    return h.hexdigest()


class FixedSim:
    """Additive fixture cost: encoding = [given single-table ms], set cost = their sum."""
    width = 1

    def __init__(self, costs):
        self.costs = costs

    def encode(self, task):
        return torch.tensor([[c] for c in self.costs], dtype=torch.float32), list(self.costs)

    def cost(self, s, mx, count):
        return torch.where(count > 0, s[..., 0], torch.zeros_like(s[..., 0]))


def step_fixtures(net: PolicyNet, rnd: torch.Generator):
    out = []
    step = PolicyStep(net).eval()
    for d in (2, 5, 64):
        x = torch.rand(1, len(TABLE_FEATURES), generator=rnd)
        pooled = torch.rand(d, 2 * net.emb, generator=rnd) * 3
        scal = torch.rand(d, len(GPU_SCALARS), generator=rnd) * 2
        cross = torch.rand(d, len(CROSS_FEATURES), generator=rnd)
        with torch.no_grad():
            lg, enc = step(x, pooled, scal, cross)
        out.append({"table_x": x[0].tolist(), "gpu_pooled": pooled.tolist(), "gpu_scalars": scal.tolist(),
                    "cross": cross.tolist(), "logits": lg.tolist(), "table_enc": enc[0].tolist()})
    return out


def rollout_fixtures(net: PolicyNet, count: int, seed: int):
    rnd = random.Random(seed)
    out = []
    for k in range(count):
        task = random_task(rnd, min_tables=8, max_tables=24, min_gpus=2, max_gpus=5, pin_prob=0.5 if k % 2 else 0.0)
        # Whole bytes, so the server's floor(memory * (1 - reserve)) with reserve 0 is the same capacity.
        task.capacity_bytes = float(int(task.capacity_bytes))
        crnd = random.Random(seed * 100 + k)
        costs = [round(crnd.uniform(0.05, 3.0), 4) for _ in task.tables]
        sim = FixedSim(costs)
        p = prepare(task, sim)
        with torch.no_grad():
            ep = run(net, sim, p, 1, greedy_rows=1)
        out.append({
            "gpus": task.gpus, "per_host": task.per_host, "batch": task.batch, "optimizer": task.optimizer,
            # Integer bytes so the server's floor(memory * (1 - reserve)) with reserve 0 is exact.
            "capacity_bytes": int(task.capacity_bytes),
            "tables": [{"rows": t.rows, "dim": t.dim, "pooling": t.pooling, "alpha": t.alpha,
                        "dtype_bytes": t.dtype_bytes, "pin": t.pin, "cost_ms": c}
                       for t, c in zip(task.tables, costs)],
            "features": p.x.tolist(), "order": p.order,
            "gpu_of_table": ep.actions[0].tolist(), "overflow": bool(ep.overflow[0]),
        })
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--name", default="policy-v1", help="base file name: NAME.onnx + NAME.json")
    ap.add_argument("--fixtures", help="write test fixtures here")
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args(argv)
    net, ckpt = load_policy(a.ckpt)
    os.makedirs(a.out_dir, exist_ok=True)
    onnx_path = os.path.join(a.out_dir, a.name + ".onnx")
    export_onnx(net, onnx_path)
    sidecar = {
        "format": "shardlens-placement-policy",
        "sidecar_version": POLICY_SIDECAR_VERSION,
        "name": a.name,
        "feature_version": POLICY_FEATURE_VERSION,
        "table_features": TABLE_FEATURES,
        "gpu_scalars": GPU_SCALARS,
        "cross_features": CROSS_FEATURES,
        "architecture": ckpt["config"],
        "onnx": {"file": os.path.basename(onnx_path), "sha256": sha256_of(onnx_path), "opset": OPSET,
                 "inputs": INPUTS, "outputs": OUTPUTS},
        "training": ckpt.get("training"),
        "metrics": {k: v for k, v in ckpt.get("metrics", {}).items() if k != "history"},
        "weights": {"encoder": _layers(net.enc), "score": _layers(net.score)},
    }
    with open(os.path.join(a.out_dir, a.name + ".json"), "w") as f:
        json.dump(sidecar, f, separators=(",", ":"))
        f.write("\n")
    if a.fixtures:
        # Fixtures use the weights as exported (float32 decimals round-trip exactly).
        g = torch.Generator().manual_seed(a.seed)
        fx = {"policy": a.name, "steps": step_fixtures(net, g), "rollouts": rollout_fixtures(net, 6, a.seed)}
        with open(a.fixtures, "w") as f:
            json.dump(fx, f)
            f.write("\n")


if __name__ == "__main__":
    main()
