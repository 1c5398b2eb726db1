import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EdnParser, EdnMap, Keyword } from './edn.js';
import { readHistory, detectFormat } from './index.js';
import { InputError } from '../../errors.js';

test('EDN values: keywords, strings with escapes, nil/bools, ints/floats, collections, comments, tags, discard', () => {
  const p = new EdnParser('; a comment\n[:a "x\\n\\"y\\u0041" nil true false -3 2.5e1 7N 1.5M (1 2) #{3} #inst "2020" #_ 99 \\a {:k [1]}]', 'f');
  const [v] = p.readAll().map((l) => l.value) as unknown[][];
  assert.equal(v[0], Keyword.of('a'));
  assert.equal(v[1], 'x\n"yA');
  assert.deepEqual(v.slice(2, 10), [null, true, false, -3, 25, 7, 1.5, [1, 2]]);
  assert.deepEqual(v[10], [3]);
  assert.equal(v[11], '2020');
  assert.equal(v[12], 'a');
  assert.ok(v[13] instanceof EdnMap);
  assert.equal(v.length, 14);
});

const knossos = `; a knossos history
[{:type :invoke, :f :write, :value 3, :process 0, :time 10, :index 0}
 {:process 0
  :type :ok
  :f :write
  :value 3}
 {:f :cas :type :invoke :process 1 :value [3 4]}
 {:process 1, :type :fail, :f :cas, :value [3 4]}
 {:process :nemesis, :type :info, :f :start, :value nil}]`;

test('a knossos history: one vector, maps over several lines, keys in any order, :time kept', () => {
  const h = readHistory(knossos, 'k.edn');
  assert.equal(h.format, 'edn');
  assert.deepEqual(
    h.events.map((e) => [e.process, e.type, e.f, e.value, e.time]),
    [[0, 'invoke', 'write', 3, 10], [0, 'ok', 'write', 3, 1], [1, 'invoke', 'cas', [3, 4], 2], [1, 'fail', 'cas', [3, 4], 3], ['nemesis', 'info', 'start', null, 4]],
  );
  assert.equal(h.locate(1), 'k.edn:3');
  assert.equal(h.locate(4), 'k.edn:9');
});

test('independent [key value] tuples become keys; loose maps work as well as a list', () => {
  const h = readHistory('({:process 0 :type :invoke :f :cas :value [5 [1 2]]}\n{:process 0 :type :ok :f :cas :value [5 [1 2]]}\n{:process 1 :type :invoke :f :read :value [6 nil]})', 't.edn');
  assert.deepEqual(h.events.map((e) => [e.key, e.value]), [[5, [1, 2]], [5, [1, 2]], [6, null]]);
  const loose = readHistory('{:process 0 :type :invoke :f :cas :value [1 2]}\n{:process 0 :type :ok :f :cas :value [1 2]}', 'l.edn');
  assert.deepEqual(loose.events.map((e) => [e.key, e.value]), [[undefined, [1, 2]], [undefined, [1, 2]]], 'a plain cas is not a tuple');
});

test('porcupine kv and jepsen logs are detected; their values parse as EDN', () => {
  const kv = readHistory('{:process 0, :type :invoke, :f :get, :key "4", :value nil}\n{:process 0, :type :ok, :f :get, :key "4", :value "x 0 1 y"}\n', 'c.txt');
  assert.equal(kv.format, 'porcupine-kv');
  assert.equal(kv.events[1].value, 'x 0 1 y');
  const log = readHistory('INFO  jepsen.core - starting\nINFO  jepsen.util - 3\t:invoke\t:cas\t[1 2]\nINFO  jepsen.util - 3   :fail   :cas    [1 2]\nINFO  jepsen.util - 4\t:fail\t:read\t:timed-out\n', 'e.log');
  assert.equal(log.format, 'jepsen-log');
  assert.deepEqual(log.events.map((e) => [e.process, e.type, e.value]), [[3, 'invoke', [1, 2]], [3, 'fail', [1, 2]], [4, 'fail', ':timed-out']]);
  assert.equal(log.locate(0), 'e.log:2');
  assert.equal(detectFormat('{"index":0}'), 'jsonl');
});

test('malformed EDN names the line and what was expected', () => {
  const bad = (src: string, re: RegExp) => assert.throws(() => readHistory(src, 'b.edn'), (e: unknown) => e instanceof InputError && re.test(e.message));
  bad('{:process 0 :type :invoke\n :f :read', /^b\.edn:2: the map opened on line 1 is not closed/);
  bad('[{:process 0 :type :invoke :f :read}\n', /^b\.edn:2: the \[ opened on line 1 is not closed/);
  bad('{:process 0 :type :invoke :f}', /has a key with no value/);
  bad('{:process "p" :type :invoke :f :read}', /bad :process "p"; expected an integer or :nemesis/);
  bad('{:process 0 :f :read}', /no :type/);
  bad('{:process 0 :type :invoke :f :read :value 1.2.3}', /bad number 1\.2\.3/);
  bad('[1 2] 3', /^b\.edn:1: unexpected text after the history's closing \]/);
});
