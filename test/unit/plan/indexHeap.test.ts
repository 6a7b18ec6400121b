import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { IndexHeap } from '../../../server/src/plan/indexHeap';

it('pops ids in key order (ties by id), and again after keys change and rebuild()', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 1, maxLength: 60 }), fc.integer({ min: 0, max: 59 }), (keys, changed) => {
      const key = Float64Array.from(keys);
      const less = (x: number, y: number) => (key[x] !== key[y] ? key[x] < key[y] : x < y);
      const ids = keys.map((_, i) => i);
      const byKey = () => [...ids].sort((x, y) => key[x] - key[y] || x - y);
      const drain = (h: IndexHeap) => Array.from({ length: h.size }, () => h.pop());
      assert.deepEqual(drain(new IndexHeap(ids, less)), byKey());
      const h = new IndexHeap(ids, less);
      key[changed % keys.length] = -1; // changed outside pop/push
      h.rebuild();
      assert.deepEqual(drain(h), byKey());
    }),
  );
});

it('push puts an id back in order', () => {
  const key = [5, 1, 3];
  const h = new IndexHeap([0, 1, 2], (x, y) => key[x] < key[y]);
  assert.equal(h.pop(), 1);
  key[1] = 4;
  h.push(1);
  assert.deepEqual([h.pop(), h.pop(), h.pop()], [2, 1, 0]);
  assert.equal(h.size, 0);
});
