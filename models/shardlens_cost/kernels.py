"""The embedding kernels the collector times, one set of tables at a time.

- `TorchKernel`: PyTorch `embedding_bag(mode="sum")`, exactly as the H100
  campaign (models/data/h100/README.md): tables of equal dim are concatenated
  into one weight and looked up in one call; backward = the same call with
  sparse=True, backward() of a random output gradient, coalesce, and
  `index_add_` of -lr * grad into the weight (an SGD step on touched rows).
- `FbgemmKernel`: FBGEMM's table-batched embedding
  (`SplitTableBatchedEmbeddingBagsCodegen`, DEVICE placement, EXACT_SGD,
  pooled sum), the kernel TorchRec runs; used when `fbgemm_gpu` imports.

Each kernel exposes `forward()` and `backward()` closures; collector.py times
them. Inputs: per table (weight rows, dim, indices, lengths).
"""
from typing import List, Tuple

import torch

LR = 0.01


class TorchKernel:
    name = "torch.embedding_bag"
    # The config's word for this kernel, written on every measured line.
    shardlens_kernel = "torch_embedding_bag"

    def __init__(self, tables: List[dict], inputs: List[Tuple[torch.Tensor, torch.Tensor]], dtype: torch.dtype,
                 device: torch.device, gen: torch.Generator):
        self.groups = []
        by_dim = {}
        for t, (idx, lengths) in zip(tables, inputs):
            by_dim.setdefault(t["dim"], []).append((t, idx, lengths))
        for dim, items in by_dim.items():
            total_rows = sum(t["rows"] for t, _, _ in items)
            w = torch.empty(total_rows, dim, dtype=dtype, device=device).uniform_(-0.01, 0.01, generator=gen)
            idx_parts, len_parts, base = [], [], 0
            for t, idx, lengths in items:
                idx_parts.append(idx + base)
                len_parts.append(lengths)
                base += t["rows"]
            lengths = torch.cat(len_parts)
            offsets = torch.zeros_like(lengths)
            offsets[1:] = torch.cumsum(lengths, 0)[:-1]
            bags = lengths.numel()
            grad = torch.randn(bags, dim, dtype=dtype, device=device, generator=gen)
            self.groups.append({"w": w, "idx": torch.cat(idx_parts), "offsets": offsets, "grad": grad})

    def forward(self):
        with torch.no_grad():
            for g in self.groups:
                torch.nn.functional.embedding_bag(g["idx"], g["w"], g["offsets"], mode="sum")

    def prepare_backward(self):
        """Untimed: forward with sparse=True on a leaf that requires grad."""
        self.outs = []
        for g in self.groups:
            g["w"].requires_grad_(True)
            g["w"].grad = None
            out = torch.nn.functional.embedding_bag(g["idx"], g["w"], g["offsets"], mode="sum", sparse=True)
            self.outs.append(out)

    def backward(self):
        for g, out in zip(self.groups, self.outs):
            out.backward(g["grad"])
            sg = g["w"].grad.coalesce()
            with torch.no_grad():
                g["w"].index_add_(0, sg.indices()[0], sg.values(), alpha=-LR)
            g["w"].grad = None
        self.outs = []


def fbgemm_available() -> bool:
    try:
        import fbgemm_gpu  # noqa: F401
        from fbgemm_gpu.split_table_batched_embeddings_ops_training import SplitTableBatchedEmbeddingBagsCodegen  # noqa: F401
        return True
    except Exception:
        return False


class FbgemmKernel:
    name = "fbgemm.SplitTableBatchedEmbeddingBagsCodegen"
    shardlens_kernel = "fbgemm_tbe"

    def __init__(self, tables: List[dict], inputs: List[Tuple[torch.Tensor, torch.Tensor]], dtype: torch.dtype,
                 device: torch.device, gen: torch.Generator):
        from fbgemm_gpu.split_embedding_configs import EmbOptimType, SparseType
        from fbgemm_gpu.split_table_batched_embeddings_ops_common import EmbeddingLocation
        from fbgemm_gpu.split_table_batched_embeddings_ops_training import (
            ComputeDevice, SplitTableBatchedEmbeddingBagsCodegen)
        specs = [(t["rows"], t["dim"], EmbeddingLocation.DEVICE, ComputeDevice.CUDA) for t in tables]
        self.tbe = SplitTableBatchedEmbeddingBagsCodegen(
            embedding_specs=specs, optimizer=EmbOptimType.EXACT_SGD, learning_rate=LR,
            weights_precision=SparseType.FP16 if dtype == torch.float16 else SparseType.FP32,
            device=device)
        # TBE wants table-major indices and T*B+1 offsets.
        self.idx = torch.cat([idx for idx, _ in inputs])
        lengths = torch.cat([lengths for _, lengths in inputs])
        self.offsets = torch.zeros(lengths.numel() + 1, dtype=torch.long, device=device)
        self.offsets[1:] = torch.cumsum(lengths, 0)
        batch = inputs[0][1].numel()
        self.grad = torch.randn(batch, sum(t["dim"] for t in tables), device=device, generator=gen)

    def forward(self):
        with torch.no_grad():
            self.tbe(self.idx, self.offsets)

    def prepare_backward(self):
        self.out = self.tbe(self.idx, self.offsets)

    def backward(self):
        # The fused optimizer updates the weights inside backward (EXACT_SGD).
        self.out.backward(self.grad.to(self.out.dtype))
        self.out = None
