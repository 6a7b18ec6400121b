"""Collector logic that needs no GPU: index generation, sampling, JSONL
writing, out-of-memory handling (with a fake measurement). Run from models/:
    /usr/bin/python3 -m unittest discover -s tests -t .
"""
import io
import json
import random
import unittest

import torch

from shardlens_cost import indexstats
from shardlens_cost.collector import collect, is_oom, make_measure, sample_configs
from shardlens_cost.indexgen import hash_rows, observed_stats, power_law_ranks, table_batch
from shardlens_cost.kernels import TorchKernel
from shardlens_cost.sampling import GiB, SamplingRanges, sample_set, table_bytes


class IndexGenerationTest(unittest.TestCase):
    def gen(self, seed=0):
        g = torch.Generator()
        g.manual_seed(seed)
        return g

    def test_ranks_stay_in_range(self):
        for alpha in (0.0, 0.5, 1.0, 1.3):
            r = power_law_ranks(20000, 777, alpha, self.gen())
            self.assertGreaterEqual(int(r.min()), 0)
            self.assertLess(int(r.max()), 777)

    def test_hash_is_a_bijection_on_rows(self):
        rows = 10007
        h = hash_rows(torch.arange(rows), rows)
        self.assertEqual(torch.unique(h).numel(), rows)

    def test_observed_unique_matches_expected(self):
        # Index statistics of the generator agree with indexstats' expectations.
        for rows, alpha, pooling in ((50_000, 0.0, 4.0), (200_000, 1.05, 10.0), (3_000, 0.6, 2.0)):
            idx, lengths = table_batch(rows, pooling, alpha, 8192, self.gen(1))
            self.assertEqual(idx.numel(), int(lengths.sum()))
            stats = observed_stats(idx, rows)
            expected = indexstats.expected_unique(rows, stats["n_idx"], alpha)
            self.assertAlmostEqual(stats["unique"] / expected, 1.0, delta=0.03, msg=(rows, alpha))

    def test_skew_concentrates_lookups(self):
        flat, _ = table_batch(100_000, 8.0, 0.0, 4096, self.gen(2))
        hot, _ = table_batch(100_000, 8.0, 1.2, 4096, self.gen(2))
        self.assertGreater(observed_stats(hot, 100_000)["top1pct_share"], 5 * observed_stats(flat, 100_000)["top1pct_share"])
        share = indexstats.hot_share(100_000, hot.numel(), 1.2)
        self.assertAlmostEqual(observed_stats(hot, 100_000)["top1pct_share"], share, delta=0.05)

    def test_bag_lengths_have_the_pooling_mean(self):
        _, lengths = table_batch(1000, 7.5, 0.0, 20000, self.gen(3))
        self.assertAlmostEqual(float(lengths.double().mean()), 7.5, delta=0.1)


class SamplingTest(unittest.TestCase):
    def test_sets_respect_ranges_and_memory_caps(self):
        r = SamplingRanges(set_bytes=8 * GiB, tables_max=16)
        rnd = random.Random(5)
        for i in range(200):
            s = sample_set(rnd, r, multi=i % 2 == 1, set_id=f"x{i}")
            self.assertIn(s["batch"], r.batches)
            total = 0
            for t in s["tables"]:
                self.assertTrue(r.rows_min <= t["rows"] <= r.rows_max)
                self.assertIn(t["dim"], r.dims)
                self.assertTrue(r.pooling_min <= t["pooling"] <= r.pooling_max + 1e-9)
                self.assertTrue(0 <= t["alpha"] <= r.alpha_max)
                cap = r.single_table_bytes if len(s["tables"]) == 1 and i % 2 == 0 else r.multi_table_bytes
                self.assertLessEqual(table_bytes(t, s["dtype"]), cap)
                total += table_bytes(t, s["dtype"])
            if i % 2 == 1:
                self.assertLessEqual(total, r.set_bytes)
                self.assertLessEqual(len(s["tables"]), r.tables_max)

    def test_configs_are_deterministic_per_seed(self):
        a = sample_configs(5, 3, SamplingRanges(), 11, "p")
        b = sample_configs(5, 3, SamplingRanges(), 11, "p")
        c = sample_configs(5, 3, SamplingRanges(), 12, "p")
        self.assertEqual(a, b)
        self.assertNotEqual(a, c)
        self.assertEqual(sorted(x["id"][0] for x in a), ["m"] * 3 + ["s"] * 5)


class CollectTest(unittest.TestCase):
    def configs(self):
        return sample_configs(3, 2, SamplingRanges(rows_max=5000, tables_max=3, batches=[256], pooling_max=4), 3, "t")

    def test_oom_is_recorded_and_collection_continues(self):
        cfgs = self.configs()
        bad = cfgs[1]["id"]
        freed = []

        def fake(cfg):
            if cfg["id"] == bad:
                raise RuntimeError("CUDA out of memory. Tried to allocate 20.00 GiB")
            return {**cfg, "fwd_ms": 0.1, "bwd_ms": 1.0, "singles": None}

        out = io.StringIO()
        counts = collect(cfgs, fake, out, on_oom=lambda: freed.append(1), log=None)
        lines = [json.loads(x) for x in out.getvalue().splitlines()]
        self.assertEqual(counts, {"measured": 4, "oom": 1, "skipped_deadline": 0})
        self.assertEqual(len(lines), 5)
        oom = [x for x in lines if x["id"] == bad][0]
        self.assertIsNone(oom["fwd_ms"])
        self.assertIn("out of memory", oom["error"])
        self.assertEqual(freed, [1])
        self.assertEqual(sum(1 for x in lines if x["fwd_ms"] == 0.1), 4)

    def test_other_errors_propagate(self):
        def fake(cfg):
            raise ValueError("bad kernel")
        with self.assertRaises(ValueError):
            collect(self.configs(), fake, io.StringIO(), log=None)

    def test_deadline_skips_remaining_sets(self):
        ticks = iter([0.0, 0.5, 2.0, 3.0, 4.0, 5.0])
        out = io.StringIO()
        counts = collect(self.configs(), lambda c: {**c, "fwd_ms": 1, "bwd_ms": 2}, out,
                         deadline=1.0, clock=lambda: next(ticks), log=None)
        self.assertEqual(counts["measured"], 2)
        self.assertEqual(counts["skipped_deadline"], 3)

    def test_is_oom(self):
        self.assertTrue(is_oom(RuntimeError("CUDA out of memory.")))
        self.assertFalse(is_oom(RuntimeError("device-side assert")))

    def test_cpu_measurement_writes_the_data_format(self):
        cfgs = self.configs()
        measure = make_measure(torch.device("cpu"), TorchKernel, reps=1, warmup=0, seed=0, singles=True)
        out = io.StringIO()
        collect(cfgs, measure, out, log=None)
        for line in out.getvalue().splitlines():
            rec = json.loads(line)
            self.assertEqual(set(rec) >= {"id", "batch", "dtype", "tables", "fwd_ms", "bwd_ms", "singles"}, True)
            self.assertGreater(rec["fwd_ms"], 0)
            self.assertGreater(rec["bwd_ms"], 0)
            # The line says which kernel it measured (the engine prices it with that kernel's model).
            self.assertEqual(rec["kernel"], "torch_embedding_bag")
            for t in rec["tables"]:
                self.assertEqual(set(t), {"name", "rows", "dim", "pooling", "alpha", "n_idx", "unique", "top1pct_share"})
                self.assertLessEqual(t["unique"], min(t["rows"], t["n_idx"]))
            if len(rec["tables"]) > 1:
                self.assertEqual(len(rec["singles"]), len(rec["tables"]))
            else:
                self.assertIsNone(rec["singles"])

    def test_torch_kernel_backward_updates_touched_rows_only(self):
        g = torch.Generator()
        g.manual_seed(0)
        tables = [{"rows": 50, "dim": 4}, {"rows": 30, "dim": 4}]
        inputs = [(torch.tensor([0, 1, 1]), torch.tensor([2, 1])), (torch.tensor([5]), torch.tensor([1, 0]))]
        k = TorchKernel(tables, inputs, torch.float32, torch.device("cpu"), g)
        w0 = k.groups[0]["w"].detach().clone()
        k.prepare_backward()
        k.backward()
        changed = (k.groups[0]["w"].detach() != w0).any(dim=1).nonzero().flatten().tolist()
        self.assertEqual(changed, [0, 1, 55])  # table 1's row 5 sits after table 0's 50 rows


if __name__ == "__main__":
    unittest.main()
