"""ShardLens learned cost model pipeline: collect embedding-bag costs on GPUs,
train a DreamShard-style set cost network, export ONNX + a JSON sidecar that the
TypeScript engine (server/src/cost/learnedModel.ts) loads."""

FEATURE_VERSION = 1
SIDECAR_VERSION = 1
