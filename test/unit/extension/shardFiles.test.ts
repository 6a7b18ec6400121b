import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isShardDocument } from '../../../extension/src/shardFiles';
import { isStrategyName } from '../../../extension/src/strategies';

describe('shard documents and strategy names', () => {
  it('recognises the language id and the *.shard.{yaml,yml,json} names', () => {
    assert.equal(isShardDocument({ languageId: 'shardlens', fileName: 'Untitled-1' }), true);
    assert.equal(isShardDocument({ languageId: 'json', fileName: '/w/model.shard.json' }), true);
    assert.equal(isShardDocument({ languageId: 'yaml', fileName: '/w/model.SHARD.yml' }), true);
    assert.equal(isShardDocument({ languageId: 'yaml', fileName: '/w/model.yaml' }), false);
    assert.equal(isShardDocument({ languageId: 'yaml', fileName: '/w/shard.yaml' }), false);
  });

  it('accepts only known strategy names', () => {
    assert.equal(isStrategyName('best'), true);
    assert.equal(isStrategyName('round-robin'), true);
    assert.equal(isStrategyName('toString'), false);
    assert.equal(isStrategyName(undefined), false);
  });
});
