/**
 * The shared Linear(+ReLU) evaluator of the learned cost network and the
 * placement policy, on hand-computed values.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyDense, checkLinear, packLinear } from '../../../server/src/cost/denseLayers';

const layer = {
  weight: [
    [1, 2],
    [-3, 1],
  ],
  bias: [0.5, -1],
};

test('W x + b, then ReLU', () => {
  const d = packLinear(layer);
  // [1·1 + 2·1 + 0.5, −3·1 + 1·1 − 1] = [3.5, −3].
  assert.deepEqual([...applyDense(d, [1, 1], new Float64Array(2), false)], [3.5, -3]);
  assert.deepEqual([...applyDense(d, [1, 1], new Float64Array(2), true)], [3.5, 0]);
  // Without the bias: [3, −2].
  assert.deepEqual([...applyDense(d, [1, 1], new Float64Array(2), false, false)], [3, -2]);
});

test('a block of input columns: the weights of those inputs only', () => {
  const d = packLinear(layer, [1, 2]);
  assert.equal(d.inDim, 1);
  // x = [4] against column 1: [2·4 + 0.5, 1·4 − 1] = [8.5, 3].
  assert.deepEqual([...applyDense(d, [4], new Float64Array(2), true)], [8.5, 3]);
});

test('output into a view of a larger buffer', () => {
  const buf = new Float64Array(5);
  applyDense(packLinear(layer), [2, 0], buf.subarray(2, 4), false);
  // [1·2 + 0.5, −3·2 − 1] = [2.5, −7].
  assert.deepEqual([...buf], [0, 0, 2.5, -7, 0]);
});

test('checkLinear names the layer and what is wrong', () => {
  assert.equal(checkLinear(layer, 2, 2, 'enc[0]'), undefined);
  assert.equal(checkLinear(undefined, 2, 2, 'enc[0]'), 'enc[0] is missing');
  assert.equal(checkLinear({ ...layer, weight: [[1, 2], [3]] }, 2, 2, 'enc[0]'), 'enc[0].weight must be 2×2 finite numbers');
  assert.equal(checkLinear({ ...layer, bias: [0, NaN] }, 2, 2, 'enc[0]'), 'enc[0].bias must be 2 finite numbers');
});
