"""Index batches as in the H100 campaign (models/data/h100/README.md):

- bag lengths ~ Poisson(pooling), `batch` bags per table;
- ranks from a bounded continuous power law with density ∝ x^-alpha on
  [1, rows+1), rank = floor(x) - 1 (alpha = 0: uniform);
- ranks hashed over the table so hot rows are scattered:
  row = (rank * 2654435761 + 12345) mod rows.

Works on any torch device (CPU for tests); `gen` must live on that device. indexstats.py holds the matching
expected values.
"""
import torch

HASH_MULT = 2654435761
HASH_ADD = 12345


def power_law_ranks(n: int, rows: int, alpha: float, gen: torch.Generator, device="cpu") -> torch.Tensor:
    """n int64 ranks in [0, rows) by inverse-CDF sampling of the continuous law."""
    u = torch.rand(n, generator=gen, dtype=torch.float64, device=device)
    if alpha == 0:
        x = 1 + u * rows
    elif abs(alpha - 1) < 1e-9:
        x = torch.exp(u * torch.log(torch.tensor(rows + 1.0, dtype=torch.float64, device=device)))
    else:
        e = 1 - alpha
        x = (1 + u * ((rows + 1.0) ** e - 1)) ** (1 / e)
    return torch.clamp(torch.floor(x).long() - 1, 0, rows - 1)


def hash_rows(ranks: torch.Tensor, rows: int) -> torch.Tensor:
    return (ranks * HASH_MULT + HASH_ADD) % rows


def bag_lengths(batch: int, pooling: float, gen: torch.Generator, device="cpu") -> torch.Tensor:
    rate = torch.full((batch,), float(pooling), dtype=torch.float64, device=device)
    return torch.poisson(rate, generator=gen).long()


def table_batch(rows: int, pooling: float, alpha: float, batch: int, gen: torch.Generator, device="cpu"):
    """(indices int64 [n], lengths int64 [batch]) for one table."""
    lengths = bag_lengths(batch, pooling, gen, device)
    n = int(lengths.sum().item())
    idx = hash_rows(power_law_ranks(n, rows, alpha, gen, device), rows)
    return idx, lengths


def observed_stats(indices: torch.Tensor, rows: int) -> dict:
    """What the data file records per table: n_idx, unique, top1pct_share."""
    n = int(indices.numel())
    if n == 0:
        return {"n_idx": 0, "unique": 0, "top1pct_share": 0.0}
    _, counts = torch.unique(indices, return_counts=True)
    k = max(1, int(0.01 * rows))
    top = torch.topk(counts, min(k, counts.numel())).values.sum().item()
    return {"n_idx": n, "unique": int(counts.numel()), "top1pct_share": round(top / n, 5)}


def block_batch(table_rows: int, table_pooling: float, alpha: float, bags: int, offset: int, rows: int, ids: str,
                gen: torch.Generator, device="cpu"):
    """(indices [n] local to the block, lengths [bags]) of a row block: rows
    [offset, offset + rows) of a table of `table_rows` rows. The whole table's
    lookups are generated (Poisson(table_pooling) per bag, power-law ranks) and
    only those landing in the block are kept, so the block sees exactly its
    share of the table's traffic: with `ids` = "hashed" ranks are scattered by
    `hash_rows` (each block gets about its row fraction, hot rows anywhere);
    with "sorted" rank r is row r (the first block holds the head), which is
    how a frequency-ordered vocabulary lands on row-wise shards."""
    lengths = bag_lengths(bags, table_pooling, gen, device)
    n = int(lengths.sum().item())
    ranks = power_law_ranks(n, table_rows, alpha, gen, device)
    rows_of = hash_rows(ranks, table_rows) if ids == "hashed" else ranks
    keep = (rows_of >= offset) & (rows_of < offset + rows)
    bag_of = torch.repeat_interleave(torch.arange(bags, device=device), lengths)
    local_lengths = torch.bincount(bag_of[keep], minlength=bags)
    return rows_of[keep] - offset, local_lengths
