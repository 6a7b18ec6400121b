"""The simulated environment: per-GPU predicted cost of a placement.

Two cost backends with one interface (encode a task's tables once, then score
pooled sums/maxes of the encodings, batched over episodes and GPUs):
- `CostNetSim`: the learned set cost network of models/shardlens_cost (a
  checkpoint from `shardlens_cost.train`), DreamShard's "estimated MDP";
- `AnalyticSim`: a small roofline stand-in (HBM bytes / bandwidth plus one
  fused-kernel launch per GPU) for CI smoke runs and fixtures without a checkpoint.
Communication (both backends): the all-to-all of pooled embeddings, forward and
backward, the same formula as the server's cost/comm.ts (perf-models.md §3.4):
with local batch b = B/N, GPU k sends (N-1)·b·S_k bytes and receives b·(ΣS - S_k),
split into NVLink peers inside its host (450 GB/s/dir, H100 SXM datasheet) and
network peers (50 GB/s/dir, one 400 Gb/s NIC per GPU, DGX H100); the slower part
sets the time.
"""
import math
from typing import List, Tuple

import torch

from .tasks import Task

NVLINK_GBPS = 450.0
NETWORK_GBPS = 50.0
HBM_GBPS = 3350.0      # H100 SXM datasheet peak, GB/s
LAUNCH_MS = 0.03       # one fused TBE kernel launch + setup, order of 10s of µs
# Same constants as server/src/cost/comm.ts (achieved link fractions, per-collective latency).
NVLINK_EFFICIENCY = 0.8
NETWORK_EFFICIENCY = 0.85
INTRA_HOST_LATENCY_MS = 0.015
INTER_HOST_LATENCY_MS = 0.03


def comm_ms(dim_bytes: torch.Tensor, task: Task, add: torch.Tensor = None) -> torch.Tensor:
    """All-to-all ms per GPU, forward + backward, from per-GPU pooled bytes per bag
    [..., D], as server/src/cost/comm.ts commMs. With `add` (bytes per bag, [...]):
    for every GPU g, its comm if the next shard were added to g (what-if)."""
    n = task.gpus
    if n <= 1:
        return torch.zeros_like(dim_bytes)
    per_host = max(1, min(n, task.per_host))
    b = task.batch / n
    host = torch.arange(n) // per_host
    hosts = int(host.max()) + 1
    onehot = torch.nn.functional.one_hot(host, hosts).to(dim_bytes.dtype)  # [D, H]
    host_size = onehot.sum(0)[host]                                          # [D]
    s = dim_bytes
    total = s.sum(-1, keepdim=True)
    host_sum = (s @ onehot) @ onehot.T                                        # [..., D]
    if add is not None:
        a = add.unsqueeze(-1)
        s, total, host_sum = s + a, total + a, host_sum + a
    local_peers = host_size - 1
    remote_peers = n - host_size
    intra = b * torch.maximum(s * local_peers, host_sum - s)
    inter = b * torch.maximum(s * remote_peers, total - host_sum)
    t_intra = intra / (NVLINK_GBPS * 1e9 * NVLINK_EFFICIENCY)
    t_inter = inter / (NETWORK_GBPS * 1e9 * NETWORK_EFFICIENCY)
    latency = torch.where(inter > 0, torch.full_like(inter, INTER_HOST_LATENCY_MS),
                          torch.where(intra > 0, torch.full_like(intra, INTRA_HOST_LATENCY_MS), torch.zeros_like(intra)))
    ms = torch.maximum(t_intra, t_inter) * 1e3 + latency
    ms = torch.where(total > 0, ms, torch.zeros_like(ms))
    return 2.0 * ms


class AnalyticSim:
    """Compute ms of a set = one launch + Σ per-table traffic time. Encoding: [traffic ms]."""
    width = 1

    def encode(self, task: Task) -> Tuple[torch.Tensor, List[float]]:
        enc = []
        for t in task.tables:
            lookups = task.batch * t.pooling
            # Skewed indices hit L2 more: crude hit share rising with alpha (0 at uniform).
            hit = min(0.9, 0.6 * t.alpha)
            fwd = (lookups * t.dim * t.dtype_bytes * (1 - hit) + task.batch * t.dim * t.dtype_bytes) / (HBM_GBPS * 1e9) * 1e3
            enc.append([3.0 * fwd])  # backward ≈ 2x forward (perf-models.md §3.3)
        h = torch.tensor(enc, dtype=torch.float32)
        singles = [LAUNCH_MS + e[0] for e in enc]
        return h, singles

    def cost(self, s: torch.Tensor, mx: torch.Tensor, count: torch.Tensor) -> torch.Tensor:
        return torch.where(count > 0, LAUNCH_MS + s[..., 0], torch.zeros_like(s[..., 0]))


def _load_sidecar_net(path: str):
    """A CostNet with the weights of a shipped sidecar (models/<name>.json): the
    simulator is then exactly the cost model the server runs."""
    import json
    from shardlens_cost import FEATURE_VERSION
    from shardlens_cost.net import CostNet
    with open(path) as f:
        s = json.load(f)
    if s.get("feature_version") != FEATURE_VERSION:
        raise SystemExit(f"{path}: cost model feature version {s.get('feature_version')} != {FEATURE_VERSION}")
    a = s["architecture"]
    net = CostNet(a["num_features"], s["normalization"]["mean"], s["normalization"]["std"],
                  members=a["members"], hidden=a["hidden"], emb=a["emb"], head=a["head"])
    with torch.no_grad():
        for m, w in zip(net.members, s["weights"]):
            for seq, layers in ((m.enc, w["encoder"]), (m.head_fwd, w["head_fwd"]), (m.head_bwd, w["head_bwd"])):
                lins = [x for x in seq if isinstance(x, torch.nn.Linear)]
                for lin, l in zip(lins, layers):
                    lin.weight.copy_(torch.tensor(l["weight"]))
                    lin.bias.copy_(torch.tensor(l["bias"]))
    net.eval()
    return net, {"name": s.get("name"), "data": s.get("data")}


class CostNetSim:
    """The learned set cost network: encodings = every member's per-table embedding.
    From a training checkpoint (.pt) or a shipped sidecar (.json)."""

    def __init__(self, path: str):
        if path.endswith(".json"):
            self.net, self.ckpt = _load_sidecar_net(path)
        else:
            from shardlens_cost.export import load_checkpoint
            self.net, self.ckpt = load_checkpoint(path)
        c = self.net.config
        self.members = c["members"]
        self.emb = c["emb"]
        self.width = self.members * self.emb

    @torch.no_grad()
    def encode(self, task: Task) -> Tuple[torch.Tensor, List[float]]:
        from shardlens_cost.features import table_features
        x = torch.tensor([table_features(t.rows, t.dim, t.pooling, t.alpha, t.dtype_bytes, task.batch)
                          for t in task.tables], dtype=torch.float32)
        z = (x - self.net.mean) / self.net.std
        h = torch.cat([m.enc(z) for m in self.net.members], dim=1)  # [T, members*emb]
        ones = torch.ones(len(task.tables))
        singles = self.cost(h, h, ones).tolist()
        return h, singles

    @torch.no_grad()
    def cost(self, s: torch.Tensor, mx: torch.Tensor, count: torch.Tensor) -> torch.Tensor:
        lead = s.shape[:-1]
        s = s.reshape(-1, self.members, self.emb)
        mx = mx.reshape(-1, self.members, self.emb)
        lf = torch.zeros(s.shape[0])
        lb = torch.zeros(s.shape[0])
        for k, m in enumerate(self.net.members):
            f, b = m.heads(torch.cat([s[:, k], mx[:, k]], dim=1))
            lf += f
            lb += b
        ms = torch.exp(lf / self.members) + torch.exp(lb / self.members)
        ms = ms.reshape(lead)
        return torch.where(count > 0, ms, torch.zeros_like(ms))


def make_sim(spec: str):
    """'analytic', a shardlens_cost checkpoint (.pt) or a shipped cost-model sidecar (.json)."""
    return AnalyticSim() if spec == "analytic" else CostNetSim(spec)
