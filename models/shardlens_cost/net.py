"""DreamShard-style set cost network (Zha et al. 2022, "DreamShard", cost net):
a shared per-table encoder MLP, sum AND max pooling over the tables fused on
one GPU, and two heads predicting ln(forward ms) and ln(backward ms). An
ensemble of members is averaged in log space.

With `residual=True` the heads predict ln(measured / base) instead of ln ms:
the base is the analytic model's (fwd, bwd) of the set (analytic.py), given as
`base_log[S, 2]` = its ln ms, and the outputs are exp(base + mean over members).
The analytic model carries the structure a set network cannot see (dim groups
run back to back, the hottest row serialises per group), the network learns
what it misses.

Two forward paths with identical maths:
- `forward(x[S,T,F], mask[S,T] [, base_log[S,2]])`: dense + mask, what ONNX exports;
- `forward_flat(x[N,F], set_index[N], S)`: tables of all sets concatenated,
  used for training (no padding work).
Encoder outputs pass a ReLU, so they are >= 0: multiplying padded rows by the
mask (0) leaves both the sum and the max unchanged, and needs no -inf.
"""
import warnings
from typing import List

import torch
from torch import nn


# torch 1.13 flags scatter_reduce as beta; its "amax" semantics are what we need.
warnings.filterwarnings("ignore", message="scatter_reduce")


class Member(nn.Module):
    def __init__(self, num_features: int, hidden: int, emb: int, head: int):
        super().__init__()
        self.enc = nn.Sequential(
            nn.Linear(num_features, hidden), nn.ReLU(),
            nn.Linear(hidden, hidden), nn.ReLU(),
            nn.Linear(hidden, emb), nn.ReLU(),
        )
        self.head_fwd = nn.Sequential(nn.Linear(2 * emb, head), nn.ReLU(), nn.Linear(head, 1))
        self.head_bwd = nn.Sequential(nn.Linear(2 * emb, head), nn.ReLU(), nn.Linear(head, 1))

    def heads(self, pooled: torch.Tensor):
        return self.head_fwd(pooled).squeeze(-1), self.head_bwd(pooled).squeeze(-1)


class CostNet(nn.Module):
    def __init__(self, num_features: int, mean: List[float], std: List[float],
                 members: int = 4, hidden: int = 128, emb: int = 64, head: int = 64, residual: bool = False):
        super().__init__()
        self.config = dict(num_features=num_features, members=members, hidden=hidden, emb=emb, head=head)
        if residual:
            self.config["residual"] = True
        self.residual = residual
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32))
        self.members = nn.ModuleList([Member(num_features, hidden, emb, head) for _ in range(members)])

    def member_log_flat(self, k: int, x: torch.Tensor, set_index: torch.Tensor, num_sets: int):
        m = self.members[k]
        h = m.enc((x - self.mean) / self.std)
        s = torch.zeros(num_sets, h.shape[1], dtype=h.dtype).index_add_(0, set_index, h)
        mx = torch.zeros(num_sets, h.shape[1], dtype=h.dtype).scatter_reduce(
            0, set_index[:, None].expand_as(h), h, reduce="amax", include_self=True)
        return m.heads(torch.cat([s, mx], dim=1))

    def forward(self, features: torch.Tensor, mask: torch.Tensor, base_log: torch.Tensor = None):
        z = (features - self.mean) / self.std
        mk = mask.unsqueeze(-1)
        lf, lb = [], []
        for m in self.members:
            h = m.enc(z) * mk
            pooled = torch.cat([h.sum(dim=1), h.max(dim=1).values], dim=1)
            f, b = m.heads(pooled)
            lf.append(f)
            lb.append(b)
        n = float(len(self.members))
        mf = torch.stack(lf, 0).sum(0) / n
        mb = torch.stack(lb, 0).sum(0) / n
        if self.residual:
            mf = mf + base_log[:, 0]
            mb = mb + base_log[:, 1]
        return torch.exp(mf), torch.exp(mb)
