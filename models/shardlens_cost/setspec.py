"""The set-spec format `shardlens measure` writes and the collector's spec mode
reads: one JSON line per GPU (rank) of a plan, every shard it runs.

    {"id": "best/gpu3", "plan": "best", "rank": 3, "world": 8,
     "batch": 65536, "device_type": "H100-80GB", "optimizer": "sgd", "dtype": "fp16",
     "pooled_bytes_per_bag": {"out": 512, "row": 128},
     "tables": [{"name": "t7", "shard": 0, "shards": 2, "rows": 500000, "dim": 64,
                 "pooling": 3.1, "alpha": 1.05, "dtype": "fp16",
                 "kernel": "torch_embedding_bag", "optimizer": "sgd", "bags": 65536,
                 "block": {"offset": 0, "table_rows": 1000000, "table_pooling": 6.2, "ids": "hashed"},
                 "cache_load_factor": 0.2}]}

`block` is present for a row block, `cache_load_factor` for
fbgemm_tbe_uvm_caching; `bags` = bags per step this shard serves (the global
batch, or batch / N for a data-parallel replica). docs/cli.md
("Measure and calibrate: files and formats") is the reference; server/src/plan/measureSpec.ts
writes it. Parsing is strict: a bad line is a located message, not a crash.
"""
from typing import List, Tuple

KERNELS = ("fbgemm_tbe", "fbgemm_tbe_uvm_caching", "torch_embedding_bag")
FBGEMM_KERNELS = ("fbgemm_tbe", "fbgemm_tbe_uvm_caching")
OPTIMIZERS = ("sgd", "adagrad", "rowwise_adagrad", "adam")
DTYPES = ("fp32", "fp16", "bf16")
IDS = ("hashed", "sorted")


class SpecError(ValueError):
    """A spec line that cannot be measured; the message names the line and field."""


def _int(v, at: str, minimum: int = 1) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < minimum:
        raise SpecError(f"{at} must be an integer >= {minimum}, got {v!r}")
    return v


def _num(v, at: str, minimum: float = 0.0, strict: bool = False) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or v != v or v < minimum or (strict and v == minimum):
        raise SpecError(f"{at} must be a number {'>' if strict else '>='} {minimum}, got {v!r}")
    return float(v)


def _choice(v, at: str, options) -> str:
    if v not in options:
        raise SpecError(f"{at} must be one of {', '.join(options)}, got {v!r}")
    return v


def parse_table(t, at: str, batch: int, set_dtype: str, set_optimizer: str) -> dict:
    if not isinstance(t, dict):
        raise SpecError(f"{at} must be an object")
    out = dict(t)
    out["name"] = str(t.get("name", at))
    out["rows"] = _int(t.get("rows"), f"{at}.rows")
    out["dim"] = _int(t.get("dim"), f"{at}.dim")
    out["pooling"] = _num(t.get("pooling"), f"{at}.pooling")
    out["alpha"] = _num(t.get("alpha", t.get("zipf", 0.0)), f"{at}.alpha")
    out["dtype"] = _choice(t.get("dtype", set_dtype), f"{at}.dtype", DTYPES)
    out["kernel"] = _choice(t.get("kernel", "torch_embedding_bag"), f"{at}.kernel", KERNELS)
    out["optimizer"] = _choice(t.get("optimizer", set_optimizer), f"{at}.optimizer", OPTIMIZERS)
    out["bags"] = _int(t.get("bags", batch), f"{at}.bags")
    if "block" in t and t["block"] is not None:
        b = t["block"]
        if not isinstance(b, dict):
            raise SpecError(f"{at}.block must be an object")
        block = {"offset": _int(b.get("offset"), f"{at}.block.offset", 0),
                 "table_rows": _int(b.get("table_rows"), f"{at}.block.table_rows"),
                 "table_pooling": _num(b.get("table_pooling"), f"{at}.block.table_pooling"),
                 "ids": _choice(b.get("ids", "hashed"), f"{at}.block.ids", IDS)}
        if block["offset"] + out["rows"] > block["table_rows"]:
            raise SpecError(f"{at}.block: rows [{block['offset']}, {block['offset'] + out['rows']}) "
                            f"exceed the table's {block['table_rows']} rows")
        out["block"] = block
    if out["kernel"] == "fbgemm_tbe_uvm_caching":
        out["cache_load_factor"] = _num(t.get("cache_load_factor", 0.2), f"{at}.cache_load_factor", 0.0, strict=True)
    return out


def parse_spec(rec, line: int) -> dict:
    """One spec line (a decoded JSON value) -> normalised dict; SpecError on bad input."""
    where = f"line {line}"
    if not isinstance(rec, dict):
        raise SpecError(f"{where}: expected a JSON object")
    try:
        out = dict(rec)
        out["id"] = str(rec.get("id", f"line-{line}"))
        out["batch"] = _int(rec.get("batch"), "batch")
        dtype = _choice(rec.get("dtype", "fp32"), "dtype", DTYPES)
        optimizer = _choice(rec.get("optimizer", "sgd"), "optimizer", OPTIMIZERS)
        out["dtype"], out["optimizer"] = dtype, optimizer
        out["rank"] = _int(rec.get("rank", 0), "rank", 0)
        out["world"] = _int(rec.get("world", 1), "world")
        out["plan"] = str(rec.get("plan", out["id"]))
        tables = rec.get("tables")
        if not isinstance(tables, list):
            raise SpecError('"tables" must be an array')
        out["tables"] = [parse_table(t, f"tables[{i}]", out["batch"], dtype, optimizer) for i, t in enumerate(tables)]
    except SpecError as e:
        raise SpecError(f"{where}: {e}") from None
    return out


def runnable_problems(specs: List[dict], fbgemm_ok: bool, device_type: str) -> List[str]:
    """Why these sets cannot be measured here (empty: they can): a kernel or
    optimizer this machine lacks, by name, once each."""
    problems = []
    seen = set()

    def once(key: Tuple, msg: str):
        if key not in seen:
            seen.add(key)
            problems.append(msg)

    for s in specs:
        for t in s["tables"]:
            k, opt = t["kernel"], t["optimizer"]
            if k in FBGEMM_KERNELS and not fbgemm_ok:
                once(("kernel", k), f"kernel {k} (table {t['name']}) needs FBGEMM (fbgemm_gpu), which cannot be "
                                    f"imported by this Python; install fbgemm_gpu, or set kernel: torch_embedding_bag "
                                    f"to measure PyTorch's embedding_bag instead")
            if k in FBGEMM_KERNELS and device_type != "cuda":
                once(("device", k), f"kernel {k} (table {t['name']}) runs only on a CUDA GPU")
            if k == "torch_embedding_bag" and opt == "rowwise_adagrad":
                once(("opt", opt), f"optimizer rowwise_adagrad (table {t['name']}) exists only in FBGEMM's fused "
                                   f"TBE; with kernel torch_embedding_bag use sgd, adagrad or adam")
    return problems
