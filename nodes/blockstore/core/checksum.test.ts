// The journal's record checksum: a standard CRC-32 (checked against crc-32, the reference
// implementation npm ships, which is in node_modules for the tests only: the node image has
// none), and what a flipped bit, a torn record or a missing entry does to openJournal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import CRC32 from 'crc-32';
import { corruptJournal } from './corrupt.js';
import { crc32, openJournal, seal, sealedText } from './records.js';

test('crc32 agrees with the reference implementation, ASCII and UTF-8 alike', () => {
  for (const s of ['', 'a', '123456789', '{"t":"e","b":1,"v":1000001,"block":0,"value":"p1-1"}', 'héllo wörld ✓ 𝄞']) {
    assert.equal(crc32(s), CRC32.str(s), s);
  }
  assert.equal(crc32('123456789') >>> 0, 0xcbf43926, 'the standard check value');
});

const journal = () => [
  seal({ t: 'init', jid: 1, base: 0, cut: 0, next: 1 }),
  seal({ t: 'e', b: 1, n: 0, v: 1000001, block: 0, value: 'p1-1' }),
  seal({ t: 'e', b: 1, n: 1, v: 1000002, block: 1, value: 'p1-2' }),
  seal({ t: 'close', b: 1, cut: 1000002, n: 2 }),
  seal({ t: 'e', b: 2, n: 2, v: 1000003, block: 0, value: 'p1-3' }),
].map((r) => JSON.stringify(r));

test('sealedText is the text of seal', () => {
  for (const r of [{ t: 'e', b: 1, n: 0, v: 1, block: 0, value: 'x"y\\z' }, { t: 'e', b: 2, n: 5, v: 9, block: 3, value: null }]) {
    assert.equal(sealedText(r), JSON.stringify(seal(r)));
  }
});

test('openJournal: sound records pass; a flipped bit, a torn record or a missing entry stops it there', () => {
  const raw = journal();
  assert.deepEqual(openJournal(raw, false).bad, null);
  assert.equal(openJournal(raw, false).recs.length, 5);
  const flipped = corruptJournal(raw, 'flip', () => 0)!;
  assert.ok(flipped.index >= 1);
  const f = openJournal(flipped.records, false);
  assert.equal(f.bad, flipped.index);
  assert.equal(f.recs.length, flipped.index);
  assert.doesNotThrow(() => JSON.parse(flipped.records[flipped.index]), 'a flip keeps the record valid JSON');
  const trusted = openJournal(flipped.records, true);
  assert.equal(trusted.bad, null, 'trust-journal does not look');
  assert.equal(trusted.recs.length, 5);
  const torn = corruptJournal(raw, 'torn', () => 0)!;
  assert.equal(openJournal(torn.records, false).bad, 4);
  const hole = raw.filter((_, i) => i !== 2);
  assert.equal(openJournal(hole, false).bad, 2, 'entry n=1 is missing: the close counts 2 entries, 1 was read');
  const tailHole = raw.slice(0, 4).filter((_, i) => i !== 2);
  assert.equal(openJournal(tailHole, false).bad, 2, 'an entry lost just before a close, with nothing after');
  const dupClose = [...raw, JSON.stringify(seal({ t: 'close', b: 1, cut: 1000002, n: 2 }))];
  assert.equal(openJournal(dupClose, false).bad, null, 'a close appended again later is fine');
});

test('openJournal checks the text as written: non-ASCII values pass, text the sealer never writes fails', () => {
  const utf = [sealedText({ t: 'init', jid: 1, base: 0, cut: 0, next: 1 }), sealedText({ t: 'e', b: 1, n: 0, v: 1, block: 0, value: 'héllo ✓ 𝄞 ,"k":1' })];
  assert.equal(openJournal(utf, false).bad, null);
  assert.equal((openJournal(utf, false).recs[1] as { value: string }).value, 'héllo ✓ 𝄞 ,"k":1');
  assert.ok(!('k' in openJournal(utf, false).recs[1]), 'the checksum is not part of the record read back');
  // The same record, its checksum right for the JSON, but not the sealer's text: moved or spaced.
  const rec = { t: 'e', b: 1, n: 0, v: 1, block: 0, value: 'x' };
  const k = JSON.parse(sealedText(rec)).k as number;
  assert.equal(openJournal([JSON.stringify({ k, ...rec })], false).bad, 0, 'k first');
  assert.equal(openJournal([sealedText(rec).replace(':1,', ': 1,')], false).bad, 0, 'a space added');
});

test('corruptJournal flips an entry still to ship that is its block\'s latest', () => {
  const raw = journal();
  raw.splice(4, 0, JSON.stringify(seal({ t: 'acked', b: 1, cut: 1000002 })));
  const c = corruptJournal(raw, 'flip', () => 0)!;
  assert.equal(c.index, 5, 'the only entry after the ack');
  assert.equal(corruptJournal([], 'torn', () => 0), null);
});
