"""Loading measured JSONL sets, the deterministic held-out split, and the
flattened tensors the trainer uses."""
import hashlib
import json
from typing import Iterable, List, Optional

from .features import set_features

HELDOUT_PERCENT = 20


def read_jsonl(path: str) -> List[dict]:
    out = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                out.append(json.loads(line))
    return out


def file_sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def is_heldout(set_id: str, percent: int = HELDOUT_PERCENT) -> bool:
    """Deterministic split by id: sha256(id) mod 100 < percent."""
    return int(hashlib.sha256(set_id.encode()).hexdigest()[:8], 16) % 100 < percent


def split_ids(records: Iterable[dict], percent: int = HELDOUT_PERCENT):
    train, held = [], []
    for r in records:
        (held if is_heldout(r["id"], percent) else train).append(r["id"])
    return train, held


def training_examples(records: List[dict], use_singles: bool = True, base=None) -> List[dict]:
    """Sets to train on: every set, plus (optionally) each table of a multi-table
    set measured alone (its `singles`) as an extra one-table set. Call only with
    training-split records so no held-out measurement leaks in. With `base`
    (record -> ((ln fwd, ln bwd) of the set, [(ln fwd, ln bwd) of each table
    alone]), e.g. the analytic model), each example carries its base."""
    out = []
    for r in records:
        feats = set_features(r)
        b = base(r) if base else None
        e = {"id": r["id"], "x": feats, "fwd": r["fwd_ms"], "bwd": r["bwd_ms"], "multi": len(feats) > 1}
        if b:
            e["base"] = b[0]
        out.append(e)
        if use_singles and r.get("singles") and len(r["singles"]) == len(feats):
            for i, s in enumerate(r["singles"]):
                if s is None or s.get("fwd_ms") is None or s.get("bwd_ms") is None:
                    continue
                e = {"id": f"{r['id']}#{i}", "x": [feats[i]], "fwd": s["fwd_ms"], "bwd": s["bwd_ms"], "multi": False}
                if b:
                    e["base"] = b[1][i]
                out.append(e)
    return out


def has_targets(r: dict) -> bool:
    return isinstance(r.get("fwd_ms"), (int, float)) and isinstance(r.get("bwd_ms"), (int, float)) \
        and r["fwd_ms"] > 0 and r["bwd_ms"] > 0


def pad_sets(sets: List[List[List[float]]], num_features: int, min_tables: Optional[int] = None):
    """Dense [S, T, F] features + [S, T] mask (1 = real table) for ONNX/fixtures."""
    t = max([len(s) for s in sets] + [min_tables or 1])
    x = [[[0.0] * num_features for _ in range(t)] for _ in sets]
    m = [[0.0] * t for _ in sets]
    for i, s in enumerate(sets):
        for j, row in enumerate(s):
            x[i][j] = list(row)
            m[i][j] = 1.0
    return x, m
