// Malformed input through the real CLI: exit 2 and exactly one line on stderr naming file:line;
// well-formed edge cases (an empty history) get a verdict instead.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const dir = mkdtempSync(path.join(tmpdir(), 'chaos-check-'));

function chaos(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(root, 'bin', 'chaos.mjs'), 'check', ...args], { encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 99) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

function file(name: string, content: string | Buffer): string {
  const p = path.join(dir, name);
  writeFileSync(p, content);
  return p;
}

const cases: { name: string; file: string; args?: string[]; where: RegExp }[] = [
  { name: 'truncated EDN', file: file('trunc.edn', '[{:process 0 :type :invoke :f :read :value nil}\n {:process 0 :type :ok\n  :f :read'), where: /trunc\.edn:\d+: .*expected/ },
  { name: 'unknown :type', file: file('type.edn', '{:process 0, :type :invoke, :f :read, :value nil}\n{:process 0, :type :done, :f :read, :value 1}\n'), where: /type\.edn:2: unknown :type :done; expected :invoke/ },
  { name: 'completion with no invocation', file: file('orphan.edn', '{:process 0 :type :invoke :f :write :value 1}\n{:process 0 :type :ok :f :write :value 1}\n{:process 3 :type :ok :f :read :value 1}\n'), where: /orphan\.edn:3: .*no open invocation/ },
  { name: 'second invocation before completion', file: file('twice.edn', '{:process 0 :type :invoke :f :write :value 1}\n{:process 0 :type :invoke :f :read :value nil}\n'), where: /twice\.edn:2: process 0 invoked read while/ },
  { name: 'binary garbage', file: file('garbage.bin', Buffer.from([0x7b, 0x3a, 0x70, 0x0a, 0xff, 0x00, 0xfe, 0x13, 0x88, 0x00])), where: /garbage\.bin:2: binary data/ },
  { name: 'invalid UTF-8 without NULs', file: file('latin1.edn', Buffer.from([0x7b, 0x3a, 0x66, 0x20, 0xe9, 0x7d, 0x0a])), where: /latin1\.edn:1: binary data/ },
  { name: 'bad JSON line', file: file('bad.jsonl', '{"index":0,"time":0,"process":0,"type":"invoke","f":"read"}\n{"index":1,\n'), where: /bad\.jsonl:2: not valid JSON/ },
  { name: 'unknown JSONL type', file: file('type.jsonl', '{"process":0,"type":"start","f":"read"}\n'), where: /type\.jsonl:1: unknown type "start"/ },
  { name: 'jepsen log with an unknown type', file: file('bad.log', 'INFO  jepsen.util - 0\t:invoke\t:read\tnil\nINFO  jepsen.util - 0\t:maybe\t:read\t1\n'), where: /bad\.log:2: unknown type :maybe/ },
  { name: 'unclosed string', file: file('str.edn', '{:process 0 :type :invoke :f :write :value "abc}\n'), where: /str\.edn:\d+: the string opened on line 1 is not closed/ },
  { name: 'cas without [old new]', file: file('cas.edn', '{:process 0 :type :invoke :f :cas :value 3}\n{:process 0 :type :ok :f :cas :value 3}\n'), where: /cas\.edn:1: cas value 3; expected \[expected new\]/ },
  { name: 'an op the model lacks', file: file('kvop.edn', '{:process 0 :type :invoke :f :get :key "a" :value nil}\n{:process 0 :type :ok :f :get :key "a" :value ""}\n'), args: ['--model', 'register'], where: /kvop\.edn:1: operation :get is not part of model register/ },
  { name: 'missing file', file: path.join(dir, 'nope.edn'), where: /nope\.edn: cannot read \(no such file\)/ },
  { name: 'bad --timeout', file: file('ok.edn', ''), args: ['--timeout', 'soon'], where: /^chaos: --timeout: expected a number of seconds/ },
  { name: 'unrecognised text', file: file('prose.txt', 'hello world\n'), where: /prose\.txt:1: unrecognised history/ },
];

test('bad input -> exit 2 and one line naming where and what was expected', async (t) => {
  // the CLI stops at the first bad file, so each case is its own process; run them together
  const results = await Promise.all(cases.map((c) => chaos([...(c.args ?? []), c.file])));
  for (const [i, c] of cases.entries()) {
    await t.test(c.name, () => {
      const r = results[i];
      assert.equal(r.code, 2, `exit status (stderr: ${r.stderr})`);
      const lines = r.stderr.split('\n').filter((l) => l !== '');
      assert.equal(lines.length, 1, `one line on stderr, got:\n${r.stderr}`);
      assert.match(lines[0], c.where);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    });
  }
});

test('an empty file, or one with only comments, is a valid empty history', async () => {
  const r = await chaos([file('empty.edn', ''), file('comments.edn', '; nothing yet\n\n'), file('blank.jsonl', '\n\n')]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim().split('\n').length, 3);
  assert.match(r.stdout, /empty\.edn: valid/);
});

test('exit 1 on a violation with a counterexample, JSON one object per file', async () => {
  const bad = file('bad.edn', '[{:process 0 :type :invoke :f :write :value 1}\n{:process 0 :type :ok :f :write :value 1}\n{:process 1 :type :invoke :f :read :value nil}\n{:process 1 :type :ok :f :read :value 2}]\n');
  const r = await chaos(['--json', bad]);
  assert.equal(r.code, 1);
  const o = JSON.parse(r.stdout);
  assert.equal(o.valid, false);
  assert.equal(o.model, 'cas-register');
  assert.equal(o.counterexample.op.index, 2);
  assert.deepEqual(Object.keys(o).slice(0, 5), ['file', 'model', 'valid', 'ops', 'ms']);
  const human = await chaos([bad]);
  assert.match(human.stdout, /INVALID[\s\S]*cannot linearize: p1 read -> 2/);
});

test('--json is never cut short when piped, and a counterexample stays small in a long history', async () => {
  // a long kv history whose last get is wrong: 3000 appends, then a 400 KB value read back
  const lines: string[] = [];
  const ev = (e: object) => lines.push(JSON.stringify({ index: lines.length, time: lines.length, ...e }));
  let s = '';
  for (let i = 0; i < 3000; i++) {
    ev({ process: 0, type: 'invoke', f: 'append', key: 'k', value: `${i % 10}` });
    ev({ process: 0, type: 'ok', f: 'append', key: 'k', value: `${i % 10}` });
    s += `${i % 10}`;
  }
  const big = 'x'.repeat(400_000);
  ev({ process: 1, type: 'invoke', f: 'get', key: 'k', value: null });
  ev({ process: 1, type: 'ok', f: 'get', key: 'k', value: big });
  const r = await chaos(['--json', '--model', 'kv', file('long.jsonl', lines.join('\n') + '\n')]);
  assert.equal(r.code, 1, r.stderr);
  const o = JSON.parse(r.stdout);
  assert.equal(o.counterexample.op.output, big, 'the whole line arrived');
  assert.equal(o.counterexample.prefixLength, 3000);
  assert.equal(o.counterexample.prefix.length, 8, 'only the last ops of the prefix');
  assert.equal(o.counterexample.state, s);
  assert.ok(r.stdout.length < big.length + 12 * s.length + 10_000, `bounded: ${r.stdout.length} bytes`);
});

// User models: a module exporting init / step / equal (and optionally partition, describe, hash).
const casModel = `
export default {
  name: 'my-register',
  init: () => null,
  step(s, op) {
    if (op.f === 'read') return op.output === undefined || op.output === s ? s : undefined;
    if (op.f === 'write') return op.input;
    if (op.f === 'cas') return op.input[0] === s ? op.input[1] : undefined;
    return undefined;
  },
  equal: (a, b) => a === b,
  partition: (op) => op.key,
  describe: (s) => ({ value: s }),
};
`;

test('--model PATH checks with a user model, from JavaScript or TypeScript', async () => {
  const model = file('my-register.mjs', casModel);
  const tsModel = file('my-register.mts', casModel.replace('step(s, op)', 'step(s: unknown, op: { f: string; input: any; output: unknown })').replace('(a, b) =>', '(a: unknown, b: unknown) =>').replace('(op) =>', '(op: { key?: unknown }) =>').replace('(s) =>', '(s: unknown) =>'));
  const good = file('good.jsonl', ['{"process":0,"type":"invoke","f":"write","key":"a","value":1}', '{"process":1,"type":"invoke","f":"write","key":"b","value":2}', '{"process":0,"type":"ok","f":"write","key":"a","value":1}', '{"process":1,"type":"ok","f":"write","key":"b","value":2}', '{"process":0,"type":"invoke","f":"cas","key":"a","value":[1,3]}', '{"process":0,"type":"ok","f":"cas","key":"a","value":[1,3]}'].join('\n'));
  const bad = file('stale.jsonl', ['{"process":0,"type":"invoke","f":"write","key":"a","value":1}', '{"process":0,"type":"ok","f":"write","key":"a","value":1}', '{"process":0,"type":"invoke","f":"read","key":"a","value":null}', '{"process":0,"type":"ok","f":"read","key":"a","value":null}'].join('\n'));
  for (const m of [model, tsModel]) {
    const ok = await chaos(['--model', m, good]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /good\.jsonl: valid \(my-register, 3 ops, 2 keys/);
    const no = await chaos(['--json', '--model', m, bad]);
    assert.equal(no.code, 1, no.stderr);
    const o = JSON.parse(no.stdout);
    assert.equal(o.model, 'my-register');
    assert.equal(o.counterexample.key, 'a');
    assert.deepEqual(o.counterexample.state, { value: 1 }, 'states shown through describe()');
  }
});

test('a bad model module, or one that throws, is bad input: exit 2 and one line', async () => {
  const cases: [string, string, RegExp][] = [
    ['nodefault.mjs', 'export const x = 1;\n', /nodefault\.mjs: no model object exported; expected a default export/],
    ['nostep.mjs', 'export default { init: () => 0, equal: (a, b) => a === b };\n', /nostep\.mjs: the model has no function step/],
    ['badinit.mjs', 'export default { init() { throw new Error("boom") }, step: (s) => s, equal: (a, b) => a === b };\n', /badinit\.mjs: the model's init\(\) threw: boom/],
    ['syntax.mjs', 'export default { init: () => 0,, };\n', /syntax\.mjs: cannot load the model module/],
    ['badpart.mjs', 'export default { init: () => 0, step: (s) => s, equal: (a, b) => a === b, partition: 3 };\n', /badpart\.mjs: the model's partition is a number; expected a function/],
    ['throws.mjs', 'export default { init: () => 0, step(s, op) { if (op.f === "read") throw new Error("no reads here"); return s; }, equal: (a, b) => a === b };\n', /h\.jsonl:3: model throws: step\(\) threw: no reads here/],
  ];
  const h = file('h.jsonl', ['{"process":0,"type":"invoke","f":"write","value":1}', '{"process":0,"type":"ok","f":"write","value":1}', '{"process":0,"type":"invoke","f":"read","value":null}', '{"process":0,"type":"ok","f":"read","value":1}'].join('\n'));
  const results = await Promise.all([...cases.map(([name, src]) => chaos(['--model', file(name, src), h])), chaos(['--model', 'nonsense', h]), chaos(['--model', path.join(dir, 'absent.mjs'), h])]);
  const expect = [...cases.map((c) => c[2]), /--model: unknown model "nonsense"; expected one of register/, /absent\.mjs: cannot read \(no such file\)/];
  results.forEach((r, i) => {
    assert.equal(r.code, 2, `case ${i}: ${r.stderr}`);
    const lines = r.stderr.split('\n').filter((l) => l !== '');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], expect[i]);
  });
});

test("the README's user-model example runs as documented", async () => {
  const r = await chaos(['--model', path.join(root, 'docs/examples/counter-model.mjs'), path.join(root, 'docs/examples/counter-history.jsonl')]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /INVALID \(counter, 4 ops/);
  assert.match(r.stdout, /cannot linearize: p2 read key "x" -> 2/);
  assert.match(r.stdout, /state then: 3/);
});
