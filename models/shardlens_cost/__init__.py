"""ShardLens learned cost model pipeline: collect embedding-bag costs on GPUs,
train a DreamShard-style set cost network, export ONNX + a JSON sidecar that the
TypeScript engine (server/src/cost/learnedModel.ts) loads."""

FEATURE_VERSION = 1
SIDECAR_VERSION = 1

# Embedding kernels, as the config and the sidecar's "kernel" name them
# (server/src/config/types.ts KERNELS). A data line without "kernel" measured
# PyTorch's embedding_bag.
KERNELS = ("fbgemm_tbe", "fbgemm_tbe_uvm_caching", "torch_embedding_bag")
DEFAULT_KERNEL = "torch_embedding_bag"
