"""The placement policy network (DreamShard-style, Zha et al. 2022 §3.3, our own layout).

- Table encoder: F -> 32 -> E, ReLU after both layers (so encodings are >= 0 and
  an empty GPU's pooled sum and max are simply 0).
- GPU state: [sum of encodings of its tables, max of them, 4 scalars (memory
  fraction, predicted cost, pooled dims, table count; see features.py)].
- Candidate score: MLP over [GPU state, 3 cross-GPU features, next table's
  encoding, next table's raw features] -> H -> 1, shared by all GPUs, so any GPU
  count works; a softmax over the GPUs where the table may go is the policy.
"""
import torch
from torch import nn

from .features import CROSS_FEATURES, GPU_SCALARS, TABLE_FEATURES

F = len(TABLE_FEATURES)
G = len(GPU_SCALARS)
C = len(CROSS_FEATURES)


class PolicyNet(nn.Module):
    def __init__(self, emb: int = 16, enc_hidden: int = 32, hidden: int = 64):
        super().__init__()
        self.config = dict(num_features=F, emb=emb, enc_hidden=enc_hidden, hidden=hidden)
        self.emb = emb
        self.enc = nn.Sequential(nn.Linear(F, enc_hidden), nn.ReLU(), nn.Linear(enc_hidden, emb), nn.ReLU())
        self.score = nn.Sequential(nn.Linear(2 * emb + G + C + emb + F, hidden), nn.ReLU(), nn.Linear(hidden, 1))

    def logits(self, pooled: torch.Tensor, scalars: torch.Tensor, cross: torch.Tensor,
               table_enc: torch.Tensor, table_x: torch.Tensor) -> torch.Tensor:
        """pooled [..., D, 2E], scalars [..., D, G], cross [..., D, C], table_enc [..., E], table_x [..., F] -> [..., D]."""
        d = pooled.shape[-2]
        t = torch.cat([table_enc, table_x], dim=-1).unsqueeze(-2)
        t = t.expand(*pooled.shape[:-1], t.shape[-1])
        return self.score(torch.cat([pooled, scalars, cross, t], dim=-1)).squeeze(-1)


class PolicyStep(nn.Module):
    """What ONNX exports: one decision, scores of every GPU for the next table.
    Inputs: table_x [1, F], gpu_pooled [D, 2E], gpu_scalars [D, G], cross [D, C];
    outputs: logits [D], table_enc [1, E] (the caller adds it to the chosen GPU's pool)."""

    def __init__(self, net: PolicyNet):
        super().__init__()
        self.net = net

    def forward(self, table_x, gpu_pooled, gpu_scalars, cross):
        e = self.net.enc(table_x)
        return self.net.logits(gpu_pooled, gpu_scalars, cross, e[0], table_x[0]), e
