"""The embedding kernels the collector times, one set of tables at a time.

- `TorchKernel`: PyTorch `embedding_bag(mode="sum")`, exactly as the H100
  campaign (models/data/h100/README.md): tables of equal dim are concatenated
  into one weight and looked up in one call; backward = the same call with
  sparse=True, backward() of a random output gradient, then the optimizer
  step on the sparse gradient: for "sgd" coalesce + `index_add_` of -lr * grad
  (what the campaign timed; the same update torch.optim.SGD makes from a
  sparse gradient), for "adagrad" `torch.optim.Adagrad`, for "adam"
  `torch.optim.SparseAdam`. Row-wise Adagrad exists only in FBGEMM.
- `FbgemmKernel`: FBGEMM's table-batched embedding
  (`SplitTableBatchedEmbeddingBagsCodegen`, pooled sum), the kernel TorchRec
  runs, with the optimizer fused into backward (EXACT_SGD, EXACT_ADAGRAD,
  EXACT_ROWWISE_ADAGRAD or ADAM) and the weights in HBM (DEVICE) or in host
  memory behind an HBM cache (MANAGED_CACHING, `cache_load_factor`); used when
  `fbgemm_gpu` imports.

Each kernel exposes `forward()` and `backward()` closures; collector.py times
them. Inputs: per table (weight rows, dim, indices, lengths).
"""
from typing import List, Optional, Tuple

import torch

LR = 0.01

#: Optimizers the PyTorch kernel can step (config names, config/types.ts `Optimizer`).
TORCH_OPTIMIZERS = ("sgd", "adagrad", "adam")
#: FBGEMM's fused optimizers by config name (fbgemm_gpu.split_embedding_configs.EmbOptimType).
FBGEMM_OPTIMIZERS = {"sgd": "EXACT_SGD", "adagrad": "EXACT_ADAGRAD",
                     "rowwise_adagrad": "EXACT_ROWWISE_ADAGRAD", "adam": "ADAM"}


def _torch_optimizer(name: str, weight: torch.Tensor):
    """None for sgd (stepped by hand, as the campaign did); else a PyTorch sparse optimizer."""
    if name == "sgd":
        return None
    if name == "adagrad":
        return torch.optim.Adagrad([weight], lr=LR)
    if name == "adam":
        return torch.optim.SparseAdam([weight], lr=LR)
    raise ValueError(f"optimizer {name!r} has no PyTorch sparse implementation "
                     f"(PyTorch runs {', '.join(TORCH_OPTIMIZERS)}; rowwise_adagrad runs only in FBGEMM's TBE)")


class TorchKernel:
    name = "torch.embedding_bag"
    # The config's word for this kernel, written on every measured line.
    shardlens_kernel = "torch_embedding_bag"

    def __init__(self, tables: List[dict], inputs: List[Tuple[torch.Tensor, torch.Tensor]], dtype: torch.dtype,
                 device: torch.device, gen: torch.Generator, optimizer: str = "sgd"):
        self.optimizer = optimizer
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
            self.groups.append({"w": w, "idx": torch.cat(idx_parts), "offsets": offsets, "grad": grad,
                                "opt": _torch_optimizer(optimizer, w)})

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
            if g["opt"] is None:
                sg = g["w"].grad.coalesce()
                with torch.no_grad():
                    g["w"].index_add_(0, sg.indices()[0], sg.values(), alpha=-LR)
            else:
                g["opt"].step()
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
                 device: torch.device, gen: torch.Generator, optimizer: str = "sgd",
                 cache_load_factor: Optional[float] = None):
        """All tables in one TBE: same dtype, optimizer and bags per table (TBE
        takes T*B+1 offsets). `cache_load_factor` set = UVM caching for all."""
        from fbgemm_gpu.split_embedding_configs import EmbOptimType, SparseType
        from fbgemm_gpu.split_table_batched_embeddings_ops_common import EmbeddingLocation
        from fbgemm_gpu.split_table_batched_embeddings_ops_training import (
            ComputeDevice, SplitTableBatchedEmbeddingBagsCodegen)
        location = EmbeddingLocation.DEVICE if cache_load_factor is None else EmbeddingLocation.MANAGED_CACHING
        specs = [(t["rows"], t["dim"], location, ComputeDevice.CUDA) for t in tables]
        precision = {torch.float16: SparseType.FP16, torch.bfloat16: SparseType.BF16}.get(dtype, SparseType.FP32)
        extra = {} if cache_load_factor is None else {"cache_load_factor": cache_load_factor}
        self.tbe = SplitTableBatchedEmbeddingBagsCodegen(
            embedding_specs=specs, optimizer=getattr(EmbOptimType, FBGEMM_OPTIMIZERS[optimizer]), learning_rate=LR,
            weights_precision=precision, device=device, **extra)
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
