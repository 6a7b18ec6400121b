"""A ShardLens config (*.shard.yaml) from a TorchRec model and a sample of its
input batches: table sizes from the EmbeddingBagCollection's configs, pooling
factors measured from the batches, skew fitted to the id frequencies.

Tables come from an EmbeddingBagCollection (``--ebc package.module:function``
returning one, when torchrec imports) or from a JSON of its configs
(``--configs``: a list, or {"tables"|"embedding_bag_configs": [...]}, of
objects with TorchRec's EmbeddingBagConfig fields name, num_embeddings,
embedding_dim, feature_names, data_type, pooling).

Batches (``--batches FILE.pt``, written with torch.save) are a list; each
batch is either a dict feature name -> {"indices": LongTensor, "lengths":
LongTensor} (one length per bag), or the KeyedJaggedTensor layout {"keys":
[...], "values": LongTensor, "lengths": LongTensor} (lengths key-major, as
KJT.lengths()), or a KeyedJaggedTensor itself (needs --allow-pickle: loading
arbitrary pickles runs code, so by default only tensors, lists and dicts load).

What is measured, per table:
- pooling: mean lookups per bag of each of its features (sum of lengths /
  bags over the sample); a table read by several features serves the sum of
  their factors per sample, which is what ShardLens's ``pooling`` is;
- zipf: the exponent a of the bounded power law the cost models assume
  (density ~ x^-a over the rows; models/shardlens_cost/indexstats.py) whose
  expected number of distinct ids for the sample's number of lookups equals
  the distinct ids observed (indexstats.expected_unique, solved by bisection on
  a in [0, 10]; it decreases as a grows). It uses only counts, so hashed ids
  (a permutation of rows) fit the same as sorted ones, and it matches what the
  cost models do with zipf (distinct rows per step, cache hits). When nearly
  every lookup is distinct the sample cannot tell small skews apart: the
  output says so.

Run from models/:
    python3 -m shardlens_cost.import_torchrec --configs configs.json --batches batches.pt -o model.shard.yaml
    python3 -m shardlens_cost.import_torchrec --demo-sample DIR   # writes a sample with known pooling and skew
"""
import argparse
import importlib
import json
import math
import re
import sys
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import torch

from . import indexstats
from .indexgen import table_batch

MAX_ZIPF = 10.0
# A fit is weak when moving the exponent by this much changes the expected distinct ids by less than the sampling noise.
FIT_STEP = 0.25
DTYPES = {"FP32": "fp32", "FLOAT32": "fp32", "FP16": "fp16", "FLOAT16": "fp16", "HALF": "fp16", "BF16": "bf16", "BFLOAT16": "bf16"}
QUANTIZED = {"INT8", "UINT8", "INT4", "INT2", "NFP8", "INT32", "INT64"}
PLAIN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-/]*$")
RESERVED = re.compile(r"^(?:true|false|yes|no|on|off|y|n|null|~|\.nan|\.inf|-\.inf|\+\.inf)$", re.IGNORECASE)
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


class ImportProblem(Exception):
    """A problem with the input, said in words for the user."""


@dataclass
class TableConfig:
    name: str
    num_embeddings: int
    embedding_dim: int
    feature_names: List[str]
    data_type: str = "FP32"
    pooling: str = "SUM"


@dataclass
class TableMeasure:
    config: TableConfig
    factors: Dict[str, float] = field(default_factory=dict)
    bags: int = 0
    lookups: int = 0
    unique: int = 0
    out_of_range: int = 0
    zipf: Optional[float] = None
    weak_fit: bool = False

    @property
    def pooling(self) -> float:
        return sum(self.factors.values())


def _enum_word(v) -> str:
    """'SUM' from PoolingType.SUM, 'PoolingType.SUM' or 'sum'; 'FP16' likewise."""
    if hasattr(v, "value"):
        v = v.value
    s = str(v).strip()
    return s.split(".")[-1].upper()


def config_from(obj) -> TableConfig:
    """A TableConfig from an EmbeddingBagConfig or a dict with its fields."""
    get = (lambda k, d=None: obj.get(k, d)) if isinstance(obj, dict) else (lambda k, d=None: getattr(obj, k, d))
    name = get("name")
    if not isinstance(name, str) or not name.strip():
        raise ImportProblem("a table has no name")
    if CONTROL.search(name):
        raise ImportProblem(f"table name {json.dumps(name)} holds a line break or control character")
    try:
        rows = int(get("num_embeddings"))
        dim = int(get("embedding_dim"))
    except (TypeError, ValueError):
        raise ImportProblem(f"table {name}: num_embeddings and embedding_dim must be whole numbers")
    if not (1 <= rows <= 1e12) or not (4 <= dim <= 65536) or dim % 4:
        raise ImportProblem(f"table {name}: num_embeddings {rows} (1 … 1e12) or embedding_dim {dim} (4 … 65536, a multiple of 4) out of range")
    features = list(get("feature_names") or []) or [name]  # EmbeddingBagCollection uses the table name when none is given
    return TableConfig(name, rows, dim, [str(f) for f in features], _enum_word(get("data_type", "FP32") or "FP32"), _enum_word(get("pooling", "SUM") or "SUM"))


def configs_from_json(path: str) -> List[TableConfig]:
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    if isinstance(doc, dict):
        doc = next((doc[k] for k in ("tables", "embedding_bag_configs", "configs") if k in doc), None)
    if not isinstance(doc, list):
        raise ImportProblem(f"{path}: expected a list of EmbeddingBagConfig objects, or an object with a \"tables\" list")
    return [config_from(x) for x in doc]


def configs_from_ebc(ebc) -> List[TableConfig]:
    """The configs of a torchrec EmbeddingBagCollection (its embedding_bag_configs())."""
    return [config_from(c) for c in ebc.embedding_bag_configs()]


def _feature_tensors(batch) -> Dict[str, Tuple[torch.Tensor, torch.Tensor]]:
    """feature -> (indices, lengths) for one batch in any of the accepted layouts."""
    if hasattr(batch, "keys") and hasattr(batch, "values") and hasattr(batch, "lengths") and callable(getattr(batch, "lengths")):
        keys, values, lengths = list(batch.keys()), batch.values(), batch.lengths()
    elif isinstance(batch, dict) and {"keys", "values", "lengths"} <= set(batch):
        keys, values, lengths = list(batch["keys"]), batch["values"], batch["lengths"]
    elif isinstance(batch, dict):
        out = {}
        for f, v in batch.items():
            idx = v.get("indices", v.get("values")) if isinstance(v, dict) else v[0]
            ln = v["lengths"] if isinstance(v, dict) else v[1]
            out[str(f)] = (torch.as_tensor(idx).long().flatten(), torch.as_tensor(ln).long().flatten())
        return out
    else:
        raise ImportProblem(f"a batch must be a dict or a KeyedJaggedTensor, not {type(batch).__name__}")
    # KJT layout: lengths are key-major (all bags of key 0, then key 1, ...), each key has the same bag count.
    values = torch.as_tensor(values).long().flatten()
    lengths = torch.as_tensor(lengths).long().flatten()
    if len(keys) == 0 or lengths.numel() % len(keys):
        raise ImportProblem(f"{lengths.numel()} lengths do not split evenly over {len(keys)} keys")
    per_key = lengths.view(len(keys), -1)
    ends = torch.cumsum(per_key.sum(dim=1), 0).tolist()
    starts = [0] + ends[:-1]
    return {str(k): (values[s:e], per_key[i]) for i, (k, s, e) in enumerate(zip(keys, starts, ends))}


def fit_zipf(rows: int, lookups: int, unique: int) -> Tuple[float, bool]:
    """The exponent whose expected distinct ids (indexstats.expected_unique) match `unique`, and whether the fit is weak:
    the expected count moves by less than two sampling standard deviations (~2·sqrt(unique)) when the exponent moves
    by ±FIT_STEP, as when nearly every lookup is distinct or the sample has seen every row."""
    if lookups <= 0:
        raise ImportProblem("no lookups to fit skew to")
    if unique >= indexstats.expected_unique(rows, lookups, 0.0):
        a = 0.0
    elif unique <= indexstats.expected_unique(rows, lookups, MAX_ZIPF):
        a = MAX_ZIPF
    else:
        lo, hi = 0.0, MAX_ZIPF
        for _ in range(60):
            mid = (lo + hi) / 2
            if indexstats.expected_unique(rows, lookups, mid) > unique:
                lo = mid
            else:
                hi = mid
        a = (lo + hi) / 2
    moved = abs(indexstats.expected_unique(rows, lookups, max(0.0, a - FIT_STEP)) - indexstats.expected_unique(rows, lookups, min(MAX_ZIPF, a + FIT_STEP)))
    return a, moved < 2 * math.sqrt(max(1, unique))


def measure(configs: Sequence[TableConfig], batches: Sequence) -> Tuple[List[TableMeasure], List[str]]:
    """Pooling factors and fitted skew per table; problems (missing features, ids out of range) as messages."""
    problems: List[str] = []
    per_feature: Dict[str, List[Tuple[torch.Tensor, torch.Tensor]]] = {}
    for b, batch in enumerate(batches):
        try:
            for f, (idx, ln) in _feature_tensors(batch).items():
                if int(ln.sum()) != idx.numel():
                    raise ImportProblem(f"feature {f}: lengths sum to {int(ln.sum())} but there are {idx.numel()} indices")
                per_feature.setdefault(f, []).append((idx, ln))
        except ImportProblem as err:
            problems.append(f"batch {b}: {err}")
    out: List[TableMeasure] = []
    for c in configs:
        m = TableMeasure(c)
        ids: List[torch.Tensor] = []
        for f in c.feature_names:
            parts = per_feature.get(f)
            if not parts:
                problems.append(f"table {c.name}: feature {f} has no lookups in the sample")
                continue
            bags = sum(ln.numel() for _, ln in parts)
            lookups = sum(idx.numel() for idx, _ in parts)
            m.factors[f] = lookups / bags if bags else 0.0
            m.bags = max(m.bags, bags)
            ids.extend(idx for idx, _ in parts)
        if not ids:
            continue
        every = torch.cat(ids)
        bad = (every < 0) | (every >= c.num_embeddings)
        m.out_of_range = int(bad.sum())
        if m.out_of_range:
            problems.append(f"table {c.name}: {m.out_of_range} ids outside 0 … {c.num_embeddings - 1} (left out of the skew fit)")
            every = every[~bad]
        m.lookups = int(every.numel())
        m.unique = int(torch.unique(every).numel())
        if m.lookups and m.pooling > 0:
            m.zipf, m.weak_fit = fit_zipf(c.num_embeddings, m.lookups, m.unique)
        else:
            problems.append(f"table {c.name}: no lookups in the sample (pooling 0)")
        out.append(m)
    return out, problems


def yaml_name(name: str) -> str:
    """A table name as a YAML key/value: plain when safe, else a JSON (= YAML) double-quoted string."""
    return name if PLAIN_NAME.match(name) and not RESERVED.match(name) else json.dumps(name, ensure_ascii=True)


def _num(x: float) -> str:
    return repr(float(f"{x:.6g}")) if not float(x).is_integer() else str(int(x))


def render_yaml(measures: Sequence[TableMeasure], batch_size: int, gpus: int, device: str, source: str, batches: int) -> str:
    safe_source = CONTROL.sub("?", source)[-80:]
    lines = [
        f"# Imported by ShardLens from a TorchRec model ({json.dumps(safe_source, ensure_ascii=True)}) and {batches} sample batches:",
        "# pooling measured per feature (summed over a table's features), zipf fitted to the distinct ids (models/shardlens_cost/import_torchrec.py).",
        "version: 1",
        f"batch_size: {batch_size}",
        "dtype: fp32                # TorchRec's default data_type",
        "optimizer: rowwise_adagrad",
        "devices:",
        f"  type: {device}",
        f"  count: {gpus}",
        f"  per_host: {min(8, gpus)}",
        "  reserve: 0.15",
        "tables:",
    ]
    for m in measures:
        if m.zipf is None:
            continue
        c = m.config
        lines.append(f"  - name: {yaml_name(c.name)}")
        lines.append(f"    rows: {c.num_embeddings}")
        lines.append(f"    dim: {c.embedding_dim}")
        notes = []
        if len(m.factors) > 1:
            notes.append(f"{len(m.factors)} features: " + ", ".join(_num(v) for v in m.factors.values()))
        if c.pooling == "MEAN":
            notes.append("TorchRec pooling MEAN")
        lines.append(f"    pooling: {_num(m.pooling)}" + (f"   # {'; '.join(notes)}" if notes else ""))
        fit = f"{m.unique} distinct of {m.lookups} lookups" + (f"; weak fit: the sample cannot tell ±{FIT_STEP} apart" if m.weak_fit else "")
        lines.append(f"    zipf: {round(m.zipf, 3)}   # {fit}")
        dtype = DTYPES[c.data_type]
        if dtype == "bf16":
            lines.append("    dtype: fp16   # BF16 in the model: same 2 bytes per element")
        elif dtype != "fp32":
            lines.append(f"    dtype: {dtype}")
    return "\n".join(lines) + "\n"


def check_configs(configs: Sequence[TableConfig]) -> List[str]:
    problems = []
    seen = set()
    for c in configs:
        if c.name in seen:
            problems.append(f"duplicate table name {c.name}")
        seen.add(c.name)
        if c.data_type in QUANTIZED:
            problems.append(f"table {c.name}: data_type {c.data_type} is a quantized (inference) type; ShardLens plans FP32, FP16 or BF16 tables")
        elif c.data_type not in DTYPES:
            problems.append(f"table {c.name}: data_type {c.data_type} is not FP32, FP16 or BF16")
        if c.pooling not in ("SUM", "MEAN"):
            problems.append(f"table {c.name}: pooling {c.pooling} is not SUM or MEAN (NONE is an unpooled EmbeddingCollection table)")
    return problems


def load_batches(path: str, allow_pickle: bool) -> list:
    try:
        batches = torch.load(path, map_location="cpu", weights_only=not allow_pickle)
    except TypeError:  # torch without weights_only
        if not allow_pickle:
            raise ImportProblem("this torch cannot load without unpickling; pass --allow-pickle if you trust the file")
        batches = torch.load(path, map_location="cpu")
    except Exception as err:  # a pickle the safe loader refuses
        raise ImportProblem(f"{path}: cannot load ({str(err).splitlines()[0][:200]}); a file of KeyedJaggedTensors needs --allow-pickle")
    if not isinstance(batches, (list, tuple)) or not batches:
        raise ImportProblem(f"{path}: expected a non-empty list of batches")
    return list(batches)


def demo_sample(out_dir: str, seed: int = 0) -> dict:
    """Writes configs.json, batches.pt and truth.json: tables with known pooling and skew, drawn like the H100 campaign's data."""
    import os

    os.makedirs(out_dir, exist_ok=True)
    truth = [
        {"name": "user_id", "num_embeddings": 200_000, "embedding_dim": 64, "feature_names": ["user_id"], "data_type": "FP32", "pooling": "SUM", "factors": [1.0], "zipf": 1.05},
        {"name": "item_hist", "num_embeddings": 50_000, "embedding_dim": 32, "feature_names": ["hist", "hist_recent"], "data_type": "FP16", "pooling": "MEAN", "factors": [12.0, 4.0], "zipf": 0.6},
        {"name": "country", "num_embeddings": 250, "embedding_dim": 16, "feature_names": ["country"], "data_type": "FP32", "pooling": "SUM", "factors": [1.0], "zipf": 0.0},
    ]
    gen = torch.Generator()
    gen.manual_seed(seed)
    batches = []
    for _ in range(4):
        batch = {}
        for t in truth:
            for f, p in zip(t["feature_names"], t["factors"]):
                idx, ln = table_batch(t["num_embeddings"], p, t["zipf"], 2048, gen)
                batch[f] = {"indices": idx, "lengths": ln}
        batches.append(batch)
    with open(os.path.join(out_dir, "configs.json"), "w", encoding="utf-8") as f:
        json.dump([{k: v for k, v in t.items() if k not in ("factors", "zipf")} for t in truth], f, indent=2)
    torch.save(batches, os.path.join(out_dir, "batches.pt"))
    with open(os.path.join(out_dir, "truth.json"), "w", encoding="utf-8") as f:
        json.dump(truth, f, indent=2)
    return {"tables": truth}


def run(configs: Sequence[TableConfig], batches: Sequence, batch_size: Optional[int], gpus: int, device: str, source: str) -> Tuple[str, List[str]]:
    problems = check_configs(configs)
    usable = [c for c in configs if not any(p.startswith(f"table {c.name}:") or p == f"duplicate table name {c.name}" for p in problems)]
    measures, more = measure(usable, batches)
    problems += more
    if batch_size is None:
        # Bags per batch of the first measured feature: the sample's batch size (one rank's, if the sample is).
        sizes = [next(iter(_feature_tensors(b).values()))[1].numel() for b in batches]
        batch_size = sorted(sizes)[len(sizes) // 2]
    return render_yaml(measures, batch_size, gpus, device, source, len(batches)), problems


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m shardlens_cost.import_torchrec", description=__doc__.split("\n\n")[0])
    src = ap.add_mutually_exclusive_group()
    src.add_argument("--configs", help="JSON of EmbeddingBagConfig fields (a list, or {\"tables\": [...]})")
    src.add_argument("--ebc", help="package.module:function returning an EmbeddingBagCollection (needs torchrec)")
    src.add_argument("--demo-sample", metavar="DIR", help="write a sample with known pooling and skew to DIR and exit")
    ap.add_argument("--batches", help="torch.save'd list of batches (see the module doc)")
    ap.add_argument("--allow-pickle", action="store_true", help="load KeyedJaggedTensor pickles (runs code from the file: trusted files only)")
    ap.add_argument("-o", "--out", help="write the config here (default: stdout)")
    ap.add_argument("--batch-size", type=int, help="global bags per table per step (default: the sample's bags per batch)")
    ap.add_argument("--gpus", type=int, default=8)
    ap.add_argument("--device", default="H100-80GB")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)
    try:
        if a.demo_sample:
            demo_sample(a.demo_sample, a.seed)
            print(f"wrote {a.demo_sample}/configs.json, batches.pt, truth.json", file=sys.stderr)
            return 0
        if not a.batches or not (a.configs or a.ebc):
            ap.error("give --configs or --ebc, and --batches")
        if not (1 <= a.gpus <= 65536):
            ap.error("--gpus must be 1 … 65536")
        if a.configs:
            configs, source = configs_from_json(a.configs), a.configs
        else:
            module, _, fn = a.ebc.partition(":")
            configs, source = configs_from_ebc(getattr(importlib.import_module(module), fn)()), a.ebc
        text, problems = run(configs, load_batches(a.batches, a.allow_pickle), a.batch_size, a.gpus, a.device, source)
    except ImportProblem as err:
        print(f"import_torchrec: {err}", file=sys.stderr)
        return 1
    for p in problems:
        print(f"import_torchrec: {p}", file=sys.stderr)
    if a.out:
        with open(a.out, "w", encoding="utf-8") as f:
            f.write(text)
        print(f"wrote {a.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
