import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encodeFrame, FrameDecoder } from './frames.js';

test('frames survive any chunking', () => {
  fc.assert(
    fc.property(fc.array(fc.jsonValue(), { maxLength: 8 }), fc.array(fc.nat(40), { maxLength: 10 }), (values, cuts) => {
      const bytes = Buffer.from(values.map(encodeFrame).join(''));
      const d = new FrameDecoder();
      const got: unknown[] = [];
      let at = 0;
      for (const c of [...cuts, bytes.length]) {
        const end = Math.min(bytes.length, at + c);
        for (const ev of d.push(bytes.subarray(at, end))) got.push(ev.kind === 'frame' ? ev.value : ev);
        at = end;
      }
      for (const ev of d.push(bytes.subarray(at))) got.push(ev.kind === 'frame' ? ev.value : ev);
      // JSON round trip normalises -0 and the like, exactly as the wire does.
      assert.deepEqual(got, values.map((v) => JSON.parse(JSON.stringify(v))));
    }),
  );
});

test('an oversized line is skipped without buffering and the stream recovers', () => {
  const d = new FrameDecoder(16);
  const evs = [...d.push(Buffer.from('x'.repeat(10))), ...d.push(Buffer.from('y'.repeat(10))), ...d.push(Buffer.from('z\n{"a":1}\n'))];
  assert.equal(d.buffered, 0);
  assert.deepEqual(evs, [{ kind: 'oversized', bytes: 21 }, { kind: 'frame', value: { a: 1 } }]);
});

test('bad JSON is reported, blank lines ignored', () => {
  const d = new FrameDecoder();
  const evs = d.push(Buffer.from('{nope\n\n[1]\n'));
  assert.equal(evs[0].kind, 'bad-json');
  assert.deepEqual(evs[1], { kind: 'frame', value: [1] });
  assert.equal(evs.length, 2);
});
