"""Batched episodes of the placement MDP against a simulator (see simulator.py).

State, action, reward as DreamShard (Zha et al. 2022 §3.3): one table per step in
features.placement_order; the action is a GPU among those where the table fits
(memory) and its pin allows; reward at the end = -(max over GPUs of predicted
compute + all-to-all ms). B episodes of one task run side by side as tensors.
"""
from dataclasses import dataclass
from typing import List, Optional

import torch

from . import features as pf
from .net import PolicyNet
from .simulator import comm_ms
from .tasks import Task


@dataclass
class Prepared:
    task: Task
    x: torch.Tensor            # [T, F] policy table features
    mem: torch.Tensor          # [T] memory / capacity
    dimb: torch.Tensor         # [T] dim * bytes (raw)
    h: torch.Tensor            # [T, K] simulator encodings
    singles: List[float]       # simulator single-table ms
    order: List[int]
    cost_scale: float
    dim_scale: float
    count_scale: float


def prepare(task: Task, sim) -> Prepared:
    h, singles = sim.encode(task)
    dims = [t.dim for t in task.tables]
    dtb = [t.dtype_bytes for t in task.tables]
    cs, ds, ns = pf.task_scales(singles, dims, dtb, task.gpus)
    x = torch.tensor([pf.table_features(c, m, t.rows, t.dim, t.pooling, t.alpha, t.dtype_bytes,
                                        task.capacity_bytes, cs, ds)
                      for c, m, t in zip(singles, task.mem_bytes, task.tables)], dtype=torch.float32)
    mem = torch.tensor([m / task.capacity_bytes for m in task.mem_bytes], dtype=torch.float32)
    dimb = torch.tensor([d * b for d, b in zip(dims, dtb)], dtype=torch.float32)
    order = pf.placement_order(singles, [t.pin for t in task.tables])
    return Prepared(task, x, mem, dimb, h, singles, order, cs, ds, ns)


@dataclass
class Episodes:
    logp: torch.Tensor         # [B] sum of log-probabilities of the actions taken
    entropy: torch.Tensor      # [] mean entropy per decision
    actions: torch.Tensor      # [B, T] GPU per table (table index order)
    max_ms: torch.Tensor       # [B] predicted max-GPU ms
    overflow: torch.Tensor     # [B] True where some table had no GPU with room


def run(net: Optional[PolicyNet], sim, p: Prepared, batch: int, greedy_rows: int = 0,
        rule: str = "policy", generator: Optional[torch.Generator] = None) -> Episodes:
    """rule 'policy': rows < greedy_rows take argmax, the rest sample;
    'lpt': least predicted-cost GPU; 'greedy': GPU whose cost after adding is least
    (costs = compute + all-to-all, as the planner's PlanState totals)."""
    task = p.task
    d, n = task.gpus, len(task.tables)
    e = net.emb if net is not None else 1
    enc = net.enc(p.x) if net is not None else torch.zeros(n, 1)
    ssum = torch.zeros(batch, d, e)
    smax = torch.zeros(batch, d, e)
    memf = torch.zeros(batch, d)
    comp = torch.zeros(batch, d)            # predicted compute ms / cost_scale
    cost = torch.zeros(batch, d)            # predicted compute + all-to-all ms / cost_scale
    dimb = torch.zeros(batch, d)            # pooled dim bytes (raw)
    cnt = torch.zeros(batch, d)
    k = p.h.shape[1]
    hsum = torch.zeros(batch, d, k)
    hmax = torch.zeros(batch, d, k)
    logp = torch.zeros(batch)
    ent = []
    actions = torch.zeros(batch, n, dtype=torch.long)
    overflow = torch.zeros(batch, dtype=torch.bool)
    rows = torch.arange(batch)
    remaining = float(sum(p.singles))
    total = remaining if remaining > 0 else 1.0
    for i in p.order:
        pin = task.tables[i].pin
        allowed = torch.ones(batch, d, dtype=torch.bool)
        if pin is not None:
            allowed = torch.zeros(batch, d, dtype=torch.bool)
            allowed[:, pin] = True
        fits = allowed & (memf + p.mem[i] <= 1.0 + 1e-6)
        none = ~fits.any(1)
        overflow = overflow | none
        mask = torch.where(none[:, None], allowed, fits)
        if rule == "policy":
            scal = torch.stack([memf, cost, dimb / p.dim_scale, cnt / p.count_scale], -1)
            cmin = cost.masked_fill(~mask, float("inf")).amin(1, keepdim=True)
            cmax = cost.amax(1, keepdim=True)
            cross = torch.stack([cost - cmin.clamp(max=1e30), cmax - cost,
                                 torch.full_like(cost, remaining / total)], -1)
            lg = net.logits(torch.cat([ssum, smax], -1), scal, cross, enc[i], p.x[i])
            lg = lg.masked_fill(~mask, float("-inf"))
            lsm = torch.log_softmax(lg, 1)
            probs = lsm.exp()
            ent.append(-(probs * lsm.masked_fill(~mask, 0.0)).sum(1).mean())
            a = lsm.argmax(1)
            if greedy_rows < batch:
                s = torch.multinomial(probs[greedy_rows:].detach(), 1, generator=generator).squeeze(1)
                a = torch.cat([a[:greedy_rows], s])
            logp = logp + lsm[rows, a]
        else:
            with torch.no_grad():
                if rule == "lpt":
                    key = cost
                else:
                    hs = hsum + p.h[i]
                    hm = torch.maximum(hmax, p.h[i].expand_as(hmax))
                    after = sim.cost(hs, hm, cnt + 1) / p.cost_scale
                    key = after + comm_ms(dimb, task, add=p.dimb[i].expand(batch)) / p.cost_scale
                a = key.masked_fill(~mask, float("inf")).argmin(1)
        actions[:, i] = a
        oh = torch.zeros(batch, d).scatter_(1, a[:, None], 1.0)
        if net is not None and rule == "policy":
            ssum = ssum + oh[..., None] * enc[i]
            smax = torch.maximum(smax, oh[..., None] * enc[i])
        with torch.no_grad():
            memf = memf + oh * p.mem[i]
            dimb = dimb + oh * p.dimb[i]
            cnt = cnt + oh
            hsum[rows, a] += p.h[i]
            hmax[rows, a] = torch.maximum(hmax[rows, a], p.h[i])
            new = sim.cost(hsum[rows, a], hmax[rows, a], cnt[rows, a]) / p.cost_scale
            comp = comp.clone()
            comp[rows, a] = new
            cost = comp + comm_ms(dimb, task) / p.cost_scale
        remaining -= p.singles[i]
    with torch.no_grad():
        final = sim.cost(hsum, hmax, cnt) + comm_ms(dimb, task)
        max_ms = final.amax(1)
    entropy = torch.stack(ent).mean() if ent else torch.zeros(())
    return Episodes(logp, entropy, actions, max_ms, overflow)
