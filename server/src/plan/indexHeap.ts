/**
 * A binary min-heap of small integer ids (GPUs, ranks) ordered by a caller's
 * `less`, which reads the ids' keys from the caller's own arrays: pop and push
 * are O(log n). When keys change outside pop/push, `rebuild()` restores the
 * order. Used by least-loaded placement (leastLoaded.ts) and TorchRec's
 * greedy-perf partitioner (torchrec/partitioner.ts).
 */
export class IndexHeap {
  private readonly a: number[];

  constructor(
    ids: readonly number[],
    private readonly less: (x: number, y: number) => boolean,
  ) {
    this.a = ids.slice();
    this.rebuild();
  }

  get size(): number {
    return this.a.length;
  }

  /** After keys changed outside pop/push. */
  rebuild(): void {
    for (let i = (this.a.length >> 1) - 1; i >= 0; i--) this.down(i);
  }

  pop(): number {
    const a = this.a;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      this.down(0);
    }
    return top;
  }

  push(id: number): void {
    this.a.push(id);
    this.up(this.a.length - 1);
  }

  private down(i: number): void {
    const a = this.a;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < a.length && this.less(a[l], a[m])) m = l;
      if (r < a.length && this.less(a[r], a[m])) m = r;
      if (m === i) return;
      const x = a[i];
      a[i] = a[m];
      a[m] = x;
      i = m;
    }
  }

  private up(i: number): void {
    const a = this.a;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(a[i], a[p])) return;
      const x = a[i];
      a[i] = a[p];
      a[p] = x;
      i = p;
    }
  }
}
