"""import_torchrec on CPU with samples it generates: pooling factors are the
exact means, the skew fit recovers the exponent the sample was drawn with,
every batch layout reads the same, and bad input is named. Run from models/:
    /usr/bin/python3 -m unittest discover -s tests -t .
"""
import json
import os
import tempfile
import unittest

import torch

from shardlens_cost import import_torchrec as it
from shardlens_cost.indexgen import table_batch


class Opaque:
    """Stands for a pickled object such as a KeyedJaggedTensor (only loads with --allow-pickle)."""


def gen(seed=0):
    g = torch.Generator()
    g.manual_seed(seed)
    return g


class FitZipfTest(unittest.TestCase):
    def test_recovers_the_exponent_it_was_drawn_with(self):
        rows = 100_000
        for alpha in (0.0, 0.5, 0.8, 1.05, 1.3):
            idx, _ = table_batch(rows, 20.0, alpha, 4096, gen(int(alpha * 100)))
            a, weak = it.fit_zipf(rows, idx.numel(), int(torch.unique(idx).numel()))
            self.assertAlmostEqual(a, alpha, delta=0.05, msg=f"alpha {alpha}")
            self.assertFalse(weak, f"alpha {alpha}: ~80k lookups over 100k rows pin the exponent down")

    def test_a_saturated_sample_is_a_weak_fit(self):
        idx, _ = table_batch(100, 50.0, 0.5, 2048, gen())
        a, weak = it.fit_zipf(100, idx.numel(), int(torch.unique(idx).numel()))
        self.assertTrue(weak, "every row seen: the distinct count says nothing about the skew")
        self.assertGreaterEqual(a, 0.0)

    def test_bounds(self):
        self.assertEqual(it.fit_zipf(1000, 500, 500)[0], 0.0)
        self.assertEqual(it.fit_zipf(1_000_000, 100_000, 1)[0], it.MAX_ZIPF)
        with self.assertRaises(it.ImportProblem):
            it.fit_zipf(10, 0, 0)


class MeasureTest(unittest.TestCase):
    def configs(self):
        return [
            it.config_from({"name": "t", "num_embeddings": 5000, "embedding_dim": 16, "feature_names": ["f", "g"]}),
            it.config_from({"name": "u", "num_embeddings": 100, "embedding_dim": 8}),
        ]

    def sample(self):
        g = gen(3)
        batches = []
        for _ in range(3):
            b = {}
            for f, rows, p in (("f", 5000, 3.0), ("g", 5000, 7.0), ("u", 100, 1.0)):
                idx, ln = table_batch(rows, p, 0.9, 512, g)
                b[f] = {"indices": idx, "lengths": ln}
            batches.append(b)
        return batches

    def test_pooling_is_the_exact_mean_and_sums_over_features(self):
        batches = self.sample()
        ms, problems = it.measure(self.configs(), batches)
        self.assertEqual(problems, [])
        t, u = ms
        for f in ("f", "g"):
            lookups = sum(b[f]["lengths"].sum().item() for b in batches)
            self.assertAlmostEqual(t.factors[f], lookups / (3 * 512), places=12)
        self.assertAlmostEqual(t.pooling, t.factors["f"] + t.factors["g"], places=12)
        self.assertEqual(list(u.factors), ["u"], "a table without feature_names reads the feature named like it (as EmbeddingBagCollection does)")

    def test_kjt_layout_reads_like_the_dict_layout(self):
        batches = self.sample()
        kjt = []
        for b in batches:
            keys = list(b)
            kjt.append({"keys": keys, "values": torch.cat([b[k]["indices"] for k in keys]), "lengths": torch.cat([b[k]["lengths"] for k in keys])})
        a, _ = it.measure(self.configs(), batches)
        k, _ = it.measure(self.configs(), kjt)
        self.assertEqual([(m.factors, m.unique, m.zipf) for m in a], [(m.factors, m.unique, m.zipf) for m in k])

    def test_problems_are_named(self):
        batches = self.sample()
        batches[0]["u"]["indices"][0] = 10_000
        del batches[1]["g"]
        batches[2]["f"]["lengths"][0] += 1
        ms, problems = it.measure(self.configs(), batches)
        text = "\n".join(problems)
        self.assertIn("table u: 1 ids outside 0 … 99", text)
        self.assertIn("batch 2: feature f: lengths sum to", text)
        cfg = self.configs() + [it.config_from({"name": "v", "num_embeddings": 10, "embedding_dim": 8, "feature_names": ["missing"]})]
        _, p2 = it.measure(cfg, self.sample())
        self.assertIn("table v: feature missing has no lookups in the sample", p2)

    def test_bad_configs(self):
        with self.assertRaises(it.ImportProblem):
            it.config_from({"name": "a\nversion: 2", "num_embeddings": 10, "embedding_dim": 8})
        with self.assertRaises(it.ImportProblem):
            it.config_from({"name": "a", "num_embeddings": 10, "embedding_dim": 10})
        probs = it.check_configs([
            it.config_from({"name": "q", "num_embeddings": 10, "embedding_dim": 8, "data_type": "DataType.INT8"}),
            it.config_from({"name": "n", "num_embeddings": 10, "embedding_dim": 8, "pooling": "PoolingType.NONE"}),
        ])
        self.assertTrue(any("INT8 is a quantized" in p for p in probs))
        self.assertTrue(any("pooling NONE" in p for p in probs))


class OutputTest(unittest.TestCase):
    def test_names_are_quoted_when_yaml_would_read_them_otherwise(self):
        self.assertEqual(it.yaml_name("user_id"), "user_id")
        self.assertEqual(it.yaml_name("a: b"), '"a: b"')
        self.assertEqual(it.yaml_name("null"), '"null"')
        self.assertEqual(it.yaml_name("é"), '"\\u00e9"')

    def test_demo_sample_round_trip(self):
        with tempfile.TemporaryDirectory() as d:
            it.demo_sample(d)
            with open(os.path.join(d, "truth.json"), encoding="utf-8") as f:
                truth = json.load(f)
            configs = it.configs_from_json(os.path.join(d, "configs.json"))
            text, problems = it.run(configs, it.load_batches(os.path.join(d, "batches.pt"), False), None, 8, "H100-80GB", "x\nversion: 2")
            self.assertEqual(problems, [])
            self.assertEqual([l for l in text.splitlines() if l.startswith("version:")], ["version: 1"])
            self.assertIn("batch_size: 2048", text)
            blocks = {b.split("\n")[0].strip(): b for b in text.split("  - name: ")[1:]}
            self.assertEqual(list(blocks), [t["name"] for t in truth])
            for t in truth:
                pooling = float(blocks[t["name"]].split("pooling: ")[1].split()[0])
                self.assertAlmostEqual(pooling, sum(t["factors"]), delta=0.05 * sum(t["factors"]))
            zipf = float(blocks["user_id"].split("zipf: ")[1].split()[0])
            self.assertAlmostEqual(zipf, 1.05, delta=0.05)

    def test_pickles_load_only_when_allowed(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "b.pt")
            torch.save([{"keys": ["f"], "values": torch.tensor([1]), "lengths": torch.tensor([1])}], path)
            self.assertEqual(len(it.load_batches(path, False)), 1, "tensors, lists and dicts load safely")
            torch.save([Opaque()], path)
            with self.assertRaises(it.ImportProblem):
                it.load_batches(path, False)
            self.assertIsInstance(it.load_batches(path, True)[0], Opaque)


if __name__ == "__main__":
    unittest.main()
