"""ShardLens learned placement policy (DreamShard's idea, Zha et al. 2022):
assign tables one at a time to GPUs with a small network scoring every GPU,
trained by REINFORCE against a cost model used as a simulated environment.

Mirrored in TypeScript by server/src/plan/policyFeatures.ts (features) and
server/src/plan/policyNetwork.ts (network); change both together and bump
POLICY_FEATURE_VERSION (the sidecar records it, the server refuses a mismatch).
"""

POLICY_FEATURE_VERSION = 2
POLICY_SIDECAR_VERSION = 1
