"""The collector's spec mode without a GPU: spec parsing, what cannot run here,
row-block index generation, tiny CPU measurements, repeats and their spread,
and two gloo ranks timing a plan's all-to-all. Run from models/:
    /usr/bin/python3 -m unittest discover -s tests -t .
"""
import io
import json
import os
import socket
import subprocess
import sys
import tempfile
import unittest
from unittest import mock

import torch

from shardlens_cost.collector import parse_args
from shardlens_cost.indexgen import block_batch
from shardlens_cost.kernels import TorchKernel
from shardlens_cost.setspec import SpecError, parse_spec, runnable_problems
from shardlens_cost.specmode import (make_spec_measure, main_specs, round_orders, run_specs, shard_inputs,
                                     spread, spread_summary)

MODELS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def read_jsonl(path):
    with open(path) as f:
        return [json.loads(x) for x in f if x.strip()]


def table(name="t0", **kw):
    t = {"name": name, "rows": 400, "dim": 8, "pooling": 2.0, "alpha": 0.8, "dtype": "fp32",
         "kernel": "torch_embedding_bag", "optimizer": "sgd", "bags": 64}
    t.update(kw)
    return t


def spec(id_="p/gpu0", tables=None, **kw):
    s = {"id": id_, "plan": "p", "rank": 0, "world": 1, "batch": 64, "tables": tables if tables is not None else [table()]}
    s.update(kw)
    return parse_spec(s, 1)


class SpecParsingTest(unittest.TestCase):
    def test_defaults_come_from_the_set(self):
        s = parse_spec({"id": "a", "batch": 128, "dtype": "fp16", "optimizer": "adagrad",
                        "tables": [{"name": "x", "rows": 10, "dim": 4, "pooling": 1, "alpha": 0}]}, 3)
        t = s["tables"][0]
        self.assertEqual((t["dtype"], t["optimizer"], t["bags"], t["kernel"]), ("fp16", "adagrad", 128, "torch_embedding_bag"))

    def test_bad_fields_are_located(self):
        with self.assertRaisesRegex(SpecError, r"line 7: tables\[1\]\.dim must be an integer >= 1"):
            parse_spec({"batch": 8, "tables": [table(), table(dim=0)]}, 7)
        with self.assertRaisesRegex(SpecError, r"line 2: tables\[0\]\.kernel must be one of"):
            parse_spec({"batch": 8, "tables": [table(kernel="cuda_magic")]}, 2)
        with self.assertRaisesRegex(SpecError, r"block: rows \[90, 490\) exceed the table's 100 rows"):
            parse_spec({"batch": 8, "tables": [table(block={"offset": 90, "table_rows": 100, "table_pooling": 2})]}, 1)
        with self.assertRaisesRegex(SpecError, "line 1: expected a JSON object"):
            parse_spec([1, 2], 1)

    def test_what_this_machine_cannot_run_is_named(self):
        specs = [spec(tables=[table(kernel="fbgemm_tbe"), table("t1", optimizer="rowwise_adagrad"),
                              table("t2", kernel="fbgemm_tbe")])]
        problems = runnable_problems(specs, fbgemm_ok=False, device_type="cpu")
        self.assertTrue(any("fbgemm_tbe" in p and "fbgemm_gpu" in p for p in problems), problems)
        self.assertTrue(any("rowwise_adagrad" in p and "only in FBGEMM" in p for p in problems), problems)
        self.assertEqual(sum("needs FBGEMM" in p for p in problems), 1, "one message per missing kernel")
        self.assertEqual(runnable_problems([spec()], fbgemm_ok=False, device_type="cpu"), [])


class BlockIndicesTest(unittest.TestCase):
    def gen(self, seed=0):
        g = torch.Generator()
        g.manual_seed(seed)
        return g

    def test_blocks_partition_the_tables_lookups(self):
        rows, bags = 1000, 2000
        parts = [block_batch(rows, 5.0, 1.0, bags, off, 250, "hashed", self.gen(4), "cpu") for off in (0, 250, 500, 750)]
        for idx, lengths in parts:
            self.assertEqual(lengths.numel(), bags)
            self.assertEqual(int(lengths.sum()), idx.numel())
            self.assertTrue(bool((idx >= 0).all()) and bool((idx < 250).all()))
        total = sum(idx.numel() for idx, _ in parts)
        self.assertAlmostEqual(total / bags, 5.0, delta=0.2)  # same generator seed: the whole table's stream
        # hashed: each block about a quarter of the lookups
        for idx, _ in parts:
            self.assertAlmostEqual(idx.numel() / total, 0.25, delta=0.08)

    def test_sorted_ids_put_the_head_in_the_first_block(self):
        first, _ = block_batch(10_000, 4.0, 1.1, 1000, 0, 1000, "sorted", self.gen(1), "cpu")
        last, _ = block_batch(10_000, 4.0, 1.1, 1000, 9000, 1000, "sorted", self.gen(1), "cpu")
        self.assertGreater(first.numel(), 5 * last.numel())

    def test_a_shard_gets_the_same_indices_in_any_set(self):
        t = parse_spec({"batch": 64, "tables": [table()]}, 1)["tables"][0]
        a, _ = shard_inputs(t, 3, torch.device("cpu"))
        b, _ = shard_inputs(dict(t), 3, torch.device("cpu"))
        self.assertTrue(torch.equal(a, b))


class MeasureTest(unittest.TestCase):
    def measure(self, reps=2):
        return make_spec_measure(torch.device("cpu"), reps=reps, warmup=0, seed=0)

    def test_cpu_measurement_of_a_mixed_set(self):
        s = spec(tables=[table("a"), table("b", dim=16, optimizer="adagrad"), table("c", optimizer="adam", bags=32),
                         table("d", rows=100, block={"offset": 100, "table_rows": 400, "table_pooling": 8.0, "ids": "sorted"})])
        rec = self.measure()(s)
        self.assertGreater(rec["fwd_ms"], 0)
        self.assertGreater(rec["bwd_ms"], 0)
        self.assertEqual(len(rec["fwd_runs_ms"]), 2)
        self.assertEqual(rec["kernels"], ["torch.embedding_bag+adagrad", "torch.embedding_bag+adam", "torch.embedding_bag+sgd"])
        for t in rec["tables"]:
            self.assertLessEqual(t["unique"], min(t["rows"], t["n_idx"]))
        self.assertEqual(rec["id"], s["id"])

    def test_an_empty_gpu_costs_nothing(self):
        rec = self.measure()(spec(tables=[]))
        self.assertEqual((rec["fwd_ms"], rec["bwd_ms"]), (0.0, 0.0))

    def test_optimizers_update_touched_rows(self):
        for opt in ("adagrad", "adam"):
            g = torch.Generator()
            g.manual_seed(0)
            k = TorchKernel([{"rows": 20, "dim": 4}], [(torch.tensor([3, 3, 7]), torch.tensor([2, 1]))],
                            torch.float32, torch.device("cpu"), g, optimizer=opt)
            w0 = k.groups[0]["w"].detach().clone()
            k.prepare_backward()
            k.backward()
            changed = (k.groups[0]["w"].detach() != w0).any(dim=1).nonzero().flatten().tolist()
            self.assertEqual(changed, [3, 7], opt)

    def test_torch_refuses_rowwise_adagrad(self):
        with self.assertRaisesRegex(ValueError, "only in FBGEMM"):
            TorchKernel([{"rows": 20, "dim": 4}], [(torch.tensor([1]), torch.tensor([1]))], torch.float32,
                        torch.device("cpu"), torch.Generator(), optimizer="rowwise_adagrad")

    def test_repeats_shuffle_each_round_and_report_the_spread(self):
        specs = [spec(f"p/gpu{i}", rank=i, tables=[table(f"t{i}")]) for i in range(5)]
        orders = round_orders(5, 3, 0)
        self.assertEqual(len(orders), 3)
        self.assertTrue(all(sorted(o) == list(range(5)) for o in orders))
        self.assertGreater(len({tuple(o) for o in orders}), 1)
        self.assertEqual(round_orders(5, 1, 0), [[0, 1, 2, 3, 4]])
        out = io.StringIO()
        counts = run_specs(specs, self.measure(1), out, repeats=3, seed=0, log=None)
        self.assertEqual(counts["measured"], 15)
        recs = [json.loads(x) for x in out.getvalue().splitlines()]
        self.assertEqual(sorted({r["repeat"] for r in recs}), [0, 1, 2])
        summary = spread_summary(recs)
        self.assertEqual(summary["sets"], 5)
        self.assertGreaterEqual(summary["median_spread"]["fwd+bwd"], 0)

    def test_spread_definition(self):
        self.assertAlmostEqual(spread([1.0, 1.2, 0.9]), 0.3)
        self.assertIsNone(spread([1.0]))
        recs = [{"id": "a", "fwd_ms": 1.0, "bwd_ms": 1.0}, {"id": "a", "fwd_ms": 1.0, "bwd_ms": 3.0},
                {"id": "a", "fwd_ms": 1.0, "bwd_ms": 2.0}]
        s = spread_summary(recs)
        self.assertAlmostEqual(s["median_spread"]["fwd+bwd"], (4 - 2) / 3)
        self.assertAlmostEqual(s["mean_abs_dev_from_median"], (1 / 3 + 1 / 3 + 0) / 3)

    def test_deadline_and_oom(self):
        specs = [spec(f"p/gpu{i}", rank=i) for i in range(3)]

        def fake(s):
            if s["rank"] == 1:
                raise RuntimeError("CUDA out of memory. Tried to allocate 9 GiB")
            return {**s, "fwd_ms": 1.0, "bwd_ms": 2.0}

        out = io.StringIO()
        ticks = iter([0.0, 0.1, 5.0])
        counts = run_specs(specs, fake, out, deadline=1.0, clock=lambda: next(ticks), log=None)
        self.assertEqual(counts, {"measured": 1, "oom": 1, "skipped_deadline": 1})
        recs = [json.loads(x) for x in out.getvalue().splitlines()]
        self.assertIn("out of memory", recs[1]["error"])


class EntryTest(unittest.TestCase):
    def write(self, d, lines):
        p = os.path.join(d, "s.jsonl")
        with open(p, "w") as f:
            f.write("\n".join(json.dumps(x) for x in lines) + "\n")
        return p

    def test_no_gpu_is_exit_2(self):
        with tempfile.TemporaryDirectory() as d, mock.patch.object(torch.cuda, "is_available", return_value=False):
            p = self.write(d, [spec()])
            a = parse_args(["--specs", p, "--out", os.path.join(d, "o.jsonl")])
            self.assertEqual(main_specs(a), 2)
            self.assertFalse(os.path.exists(os.path.join(d, "o.jsonl")))

    def test_bad_spec_and_missing_kernel_are_exit_2(self):
        with tempfile.TemporaryDirectory() as d:
            p = self.write(d, [{"batch": 0, "tables": []}])
            self.assertEqual(main_specs(parse_args(["--specs", p, "--out", os.path.join(d, "o"), "--device", "cpu"])), 2)
            p = self.write(d, [spec(tables=[table(kernel="fbgemm_tbe")])])
            self.assertEqual(main_specs(parse_args(["--specs", p, "--out", os.path.join(d, "o"), "--device", "cpu"])), 2)

    def test_cpu_run_writes_records_and_env(self):
        with tempfile.TemporaryDirectory() as d:
            p = self.write(d, [spec("p/gpu0"), spec("p/gpu1", rank=1)])
            out, env = os.path.join(d, "o.jsonl"), os.path.join(d, "env.json")
            a = parse_args(["--specs", p, "--out", out, "--device", "cpu", "--reps", "1", "--warmup", "0", "--env-out", env])
            self.assertEqual(main_specs(a), 0)
            recs = read_jsonl(out)
            self.assertEqual([r["id"] for r in recs], ["p/gpu0", "p/gpu1"])
            with open(env) as f:
                e = json.load(f)
            self.assertEqual(e["device"], "cpu")
            self.assertIn("torch", e)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class DistributedTest(unittest.TestCase):
    def test_two_gloo_ranks_time_the_plans_all_to_all(self):
        """What torchrun does, by hand: two processes with RANK/WORLD_SIZE set."""
        with tempfile.TemporaryDirectory() as d:
            lines = [dict(spec(f"p/gpu{r}", rank=r, world=2, tables=[table(f"t{r}")]),
                          pooled_bytes_per_bag={"out": 32, "row": 0}) for r in range(2)]
            lines.append(spec("q/gpu0", plan="q", tables=[table("u")]))  # a 1-GPU plan: shared out, no collective
            p = os.path.join(d, "s.jsonl")
            with open(p, "w") as f:
                f.write("\n".join(json.dumps(x) for x in lines) + "\n")
            out = os.path.join(d, "o.jsonl")
            port = str(free_port())
            procs = []
            for r in range(2):
                env = {**os.environ, "RANK": str(r), "WORLD_SIZE": "2", "LOCAL_RANK": str(r),
                       "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": port}
                procs.append(subprocess.Popen([sys.executable, "-m", "shardlens_cost.collector", "--specs", p, "--out", out,
                                               "--device", "cpu", "--reps", "1", "--warmup", "0"],
                                              cwd=MODELS, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE))
            for pr in procs:
                _, err = pr.communicate(timeout=120)
                self.assertEqual(pr.returncode, 0, err.decode()[-2000:])
            recs = read_jsonl(out)
            self.assertEqual(sorted(r["id"] for r in recs), ["p/gpu0", "p/gpu1", "q/gpu0"])
            for r in recs:
                if r["plan"] == "p":
                    self.assertGreater(r["comm"]["fwd_ms"], 0)
                    self.assertGreater(r["comm"]["bwd_ms"], 0)
                else:
                    self.assertNotIn("comm", r)


if __name__ == "__main__":
    unittest.main()
