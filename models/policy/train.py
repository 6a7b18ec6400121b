"""Train the placement policy with REINFORCE against a simulated cost model.

    cd models && /usr/bin/python3 -m policy.train --sim h100-cost.json \
        --out build/policy.pt --seconds 280

Each iteration draws a random DLRM-like task (tasks.py), rolls out one greedy
(argmax) episode and `--batch` sampled episodes of the current policy, and takes
a policy-gradient step with the greedy episode's reward as the baseline
("self-critical" REINFORCE, Rennie et al. 2017; greedy roll-out baseline as in
Kool et al. 2019), advantages scaled by their std, plus a small entropy bonus
(DreamShard uses 0.001). Reward = -(max-GPU predicted ms) / (fair share per GPU),
so tasks of any size weigh alike. The best policy on a fixed set of held-out
tasks (seeded apart from training) is kept. CPU only.
"""
import argparse
import json
import os
import random
import sys
import time

import torch

from . import POLICY_FEATURE_VERSION
from .net import PolicyNet
from .rollout import prepare, run
from .simulator import make_sim
from .tasks import random_task


def baselines(sim, prepared):
    """Per held-out task: (cost-greedy max ms, LPT max ms); fixed, so computed once."""
    with torch.no_grad():
        return [(run(None, sim, p, 1, rule="greedy").max_ms[0].item(), run(None, sim, p, 1, rule="lpt").max_ms[0].item())
                for p in prepared]


def evaluate(net, sim, prepared, base):
    """Mean over tasks of policy max-ms / cost-greedy max-ms (and LPT's), greedy roll-outs."""
    r_pol, r_lpt = [], []
    with torch.no_grad():
        for p, (gr, lpt) in zip(prepared, base):
            pol = run(net, sim, p, 1, greedy_rows=1).max_ms[0].item()
            r_pol.append(pol / gr)
            r_lpt.append(lpt / gr)
    return sum(r_pol) / len(r_pol), sum(r_lpt) / len(r_lpt)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sim", default="analytic", help="'analytic', a shardlens_cost checkpoint (.pt) or a shipped cost-model sidecar (.json)")
    ap.add_argument("--out", required=True, help="checkpoint path (.pt)")
    ap.add_argument("--seconds", type=float, default=280.0, help="wall-time budget for training")
    ap.add_argument("--iterations", type=int, default=100000)
    ap.add_argument("--batch", type=int, default=16, help="sampled episodes per task")
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--entropy", type=float, default=1e-3)
    ap.add_argument("--eval-tasks", type=int, default=24)
    ap.add_argument("--eval-every", type=int, default=50)
    ap.add_argument("--min-tables", type=int, default=10)
    ap.add_argument("--max-tables", type=int, default=100)
    ap.add_argument("--min-gpus", type=int, default=2)
    ap.add_argument("--max-gpus", type=int, default=8)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--eval-seed", type=int, default=10_000, help="seed of the held-out tasks (fixed across runs, so runs compare)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    gen = torch.Generator().manual_seed(a.seed)
    rnd = random.Random(a.seed)
    sim = make_sim(a.sim)
    shape = dict(min_tables=a.min_tables, max_tables=a.max_tables, min_gpus=a.min_gpus, max_gpus=a.max_gpus)
    eval_rnd = random.Random(a.eval_seed)
    held = [prepare(random_task(eval_rnd, **shape), sim) for _ in range(a.eval_tasks)]
    held_base = baselines(sim, held)

    net = PolicyNet()
    opt = torch.optim.Adam(net.parameters(), lr=a.lr)
    t0 = time.time()
    best = (float("inf"), None, -1)
    history = []

    def checkpoint(it):
        nonlocal best
        ratio, lpt = evaluate(net, sim, held, held_base)
        history.append({"iteration": it, "seconds": round(time.time() - t0, 1), "policy_vs_greedy": ratio, "lpt_vs_greedy": lpt})
        if not a.quiet:
            print(f"it {it:5d} {time.time() - t0:6.1f}s  held-out max-ms policy/greedy {ratio:.4f}  lpt/greedy {lpt:.4f}", file=sys.stderr)
        if ratio < best[0]:
            best = (ratio, {k: v.detach().clone() for k, v in net.state_dict().items()}, it)

    it = 0
    for it in range(a.iterations):
        if it % a.eval_every == 0:
            checkpoint(it)
        if time.time() - t0 > a.seconds:
            break
        p = prepare(random_task(rnd, **shape), sim)
        ep = run(net, sim, p, a.batch + 1, greedy_rows=1, generator=gen)
        reward = -ep.max_ms / p.cost_scale - ep.overflow.float()
        adv = (reward[1:] - reward[0])
        adv = adv / (adv.std() + 1e-6) if a.batch > 1 else adv
        loss = -(adv.detach() * ep.logp[1:]).mean() - a.entropy * ep.entropy
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
    checkpoint(it)
    net.load_state_dict(best[1])
    sim_desc = "analytic stand-in (models/policy/simulator.py)" if a.sim == "analytic" else {
        "file": os.path.basename(a.sim), "kind": "learned set cost network (models/shardlens_cost)",
        **({"name": sim.ckpt.get("name"), "data": sim.ckpt.get("data")} if hasattr(sim, "ckpt") else {})}
    ckpt = {
        "state_dict": net.state_dict(), "config": net.config, "feature_version": POLICY_FEATURE_VERSION,
        "training": {"command": "/usr/bin/python3 -m policy.train " + " ".join(argv if argv is not None else sys.argv[1:]),
                     "simulator": sim_desc, "iterations": it, "best_iteration": best[2],
                     "seconds": round(time.time() - t0, 1), "seed": a.seed, "batch": a.batch, "lr": a.lr,
                     "tasks": shape, "torch": torch.__version__},
        "metrics": {"heldout_policy_vs_greedy": best[0], "history": history},
    }
    os.makedirs(os.path.dirname(os.path.abspath(a.out)) or ".", exist_ok=True)
    torch.save(ckpt, a.out)
    if not a.quiet:
        print(f"best held-out policy/greedy {best[0]:.4f} at it {best[2]} -> {a.out}", file=sys.stderr)
    return ckpt


if __name__ == "__main__":
    main()
