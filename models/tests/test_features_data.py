"""Features, split and network shapes (no GPU)."""
import math
import unittest

import torch

from shardlens_cost import indexstats
from shardlens_cost.data import is_heldout, pad_sets, training_examples
from shardlens_cost.features import NUM_FEATURES, histogram_stats, table_features
from shardlens_cost.net import CostNet


class FeaturesTest(unittest.TestCase):
    def test_uniform_unique_matches_closed_form(self):
        rows, n = 100_000, 50_000
        exact = rows * (1 - math.exp(-n / rows))
        self.assertAlmostEqual(indexstats.expected_unique(rows, n, 0.0) / exact, 1.0, delta=1e-3)

    def test_skew_lowers_unique_and_raises_hot_share(self):
        u0 = indexstats.expected_unique(1e6, 1e6, 0.0)
        u1 = indexstats.expected_unique(1e6, 1e6, 1.2)
        self.assertLess(u1, u0 / 3)
        self.assertGreater(indexstats.hot_share(1e6, 1e6, 1.2), 0.5)
        self.assertAlmostEqual(indexstats.hot_share(1e6, 1e6, 0.0), 0.01, places=6)

    def test_histogram_of_single_use_rows_means_all_unique(self):
        u, hot, hottest = histogram_stats([1.0] + [0.0] * 16, 1e6, 1000)
        self.assertAlmostEqual(u, 1000)
        self.assertEqual(hottest, 1.0)
        self.assertAlmostEqual(hot, 1.0)  # 1% of 1e6 rows = 10,000 > 1000 touched rows

    def test_feature_vector_length_and_finiteness(self):
        f = table_features(1, 4, 0.5, 1.0, 2, 8192)
        self.assertEqual(len(f), NUM_FEATURES)
        self.assertTrue(all(math.isfinite(x) for x in f))


class SplitTest(unittest.TestCase):
    def test_split_is_deterministic_and_about_twenty_percent(self):
        ids = [f"s{i}" for i in range(5000)]
        held = [i for i in ids if is_heldout(i)]
        self.assertEqual(held, [i for i in ids if is_heldout(i)])
        self.assertAlmostEqual(len(held) / len(ids), 0.2, delta=0.02)

    def test_singles_become_extra_one_table_examples(self):
        rec = {"id": "m1", "batch": 1024, "dtype": "fp32",
               "tables": [{"rows": 10, "dim": 4, "pooling": 1, "alpha": 0}, {"rows": 20, "dim": 8, "pooling": 2, "alpha": 1}],
               "fwd_ms": 1.0, "bwd_ms": 2.0, "singles": [{"fwd_ms": 0.5, "bwd_ms": 1}, {"fwd_ms": 0.6, "bwd_ms": 1.1}]}
        ex = training_examples([rec])
        self.assertEqual([len(e["x"]) for e in ex], [2, 1, 1])
        self.assertEqual([e["fwd"] for e in ex], [1.0, 0.5, 0.6])
        self.assertEqual(len(training_examples([rec], use_singles=False)), 1)


class NetTest(unittest.TestCase):
    def test_padding_does_not_change_predictions_and_flat_equals_dense(self):
        torch.manual_seed(0)
        net = CostNet(NUM_FEATURES, [0.0] * NUM_FEATURES, [1.0] * NUM_FEATURES, members=2, hidden=16, emb=8, head=8)
        sets = [[table_features(1000, 16, 2, 0.5, 4, 8192)],
                [table_features(10**6, 64, 20, 1.1, 2, 65536), table_features(500, 4, 1, 0, 4, 65536)]]
        x, m = pad_sets(sets, NUM_FEATURES)
        f, b = net(torch.tensor(x), torch.tensor(m))
        x2, m2 = pad_sets(sets, NUM_FEATURES, min_tables=7)
        f2, b2 = net(torch.tensor(x2), torch.tensor(m2))
        self.assertTrue(torch.allclose(f, f2) and torch.allclose(b, b2))
        flat = torch.tensor([r for s in sets for r in s])
        idx = torch.tensor([0, 1, 1])
        lf = torch.stack([net.member_log_flat(k, flat, idx, 2)[0] for k in range(2)]).mean(0)
        self.assertTrue(torch.allclose(torch.exp(lf), f, rtol=1e-5))


if __name__ == "__main__":
    unittest.main()


class AnalyticBaseTest(unittest.TestCase):
    def test_residual_network_multiplies_the_base_in(self):
        from shardlens_cost.analytic import DEVICES, record_base
        rec = {"id": "m1", "batch": 8192, "dtype": "fp32",
               "tables": [{"rows": 1000, "dim": 16, "pooling": 2, "alpha": 0.5},
                          {"rows": 50000, "dim": 64, "pooling": 10, "alpha": 1.1}]}
        (lf, lb), singles = record_base(rec, DEVICES["H100-80GB"])
        self.assertEqual(len(singles), 2)
        # A fused set costs at least its costliest table alone and less than the sum (one launch).
        self.assertGreaterEqual(lb, max(s[1] for s in singles))
        self.assertLess(math.exp(lf), sum(math.exp(s[0]) for s in singles))
        torch.manual_seed(0)
        net = CostNet(NUM_FEATURES, [0.0] * NUM_FEATURES, [1.0] * NUM_FEATURES, members=2, hidden=8, emb=4, head=4, residual=True)
        x = torch.tensor([[table_features(1000, 16, 2, 0.5, 4, 8192)]], dtype=torch.float32)
        m = torch.ones(1, 1)
        f0, b0 = net(x, m, torch.zeros(1, 2))
        f1, b1 = net(x, m, torch.tensor([[1.0, 2.0]]))
        self.assertAlmostEqual(f1.item() / f0.item(), math.e, places=4)
        self.assertAlmostEqual(b1.item() / b0.item(), math.e ** 2, places=4)


class ExportRangesTest(unittest.TestCase):
    def test_training_ranges_cover_the_training_split_only(self):
        from shardlens_cost.export import training_ranges
        recs = [{"id": f"s{i}", "batch": 8192 * (1 + i % 2), "dtype": "fp32", "fwd_ms": 1.0, "bwd_ms": 2.0,
                 "tables": [{"rows": 1000 * (i + 1), "dim": 4 << (i % 3), "pooling": 1 + i, "alpha": 0.1 * i}]} for i in range(40)]
        r = training_ranges(recs, 20, "torch_embedding_bag")
        train = [x for x in recs if not is_heldout(x["id"], 20)]
        self.assertEqual(r["rows"], [min(x["tables"][0]["rows"] for x in train), max(x["tables"][0]["rows"] for x in train)])
        self.assertEqual(r["dims"], sorted({x["tables"][0]["dim"] for x in train}))
        self.assertEqual(r["optimizers"], ["sgd"])
        self.assertEqual(r["kernels"], ["torch_embedding_bag"])
        self.assertEqual(r["tables_per_set"], [1, 1])

    def test_error_bands_hold_their_quantile_per_size(self):
        from shardlens_cost.train import error_bands
        pred = [0.5] * 20 + [5.0] * 20 + [50.0] * 20
        true = [p * (1 + 0.2 * ((i % 10) / 10)) for i, p in enumerate(pred[:20])] + [p * 1.05 for p in pred[20:40]] + [p for p in pred[40:]]
        b = error_bands(pred, true, "test")
        self.assertEqual(b["n"], [20, 20, 20])
        self.assertGreater(b["rel"][0], b["rel"][1])
        self.assertAlmostEqual(b["rel"][1], 0.05, places=3)  # every set 5% off: exp(ln 1.05) - 1
        self.assertEqual(b["rel"][2], 0.0)
