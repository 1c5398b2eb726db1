// The pure parts of the docker runtime: object names from run ids, .
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { slug } from './names.js';

test('run ids become docker names: legal characters, short, distinct', () => {
  assert.equal(slug('register/20261125T042547Z-seed14'), 'register-20261125T042547Z-seed14');
  assert.equal(slug('//'), 'run');
  const long1 = slug(`${'x'.repeat(60)}a`);
  const long2 = slug(`${'x'.repeat(60)}b`);
  assert.ok(long1.length <= 48 && long2.length <= 48);
  assert.notEqual(long1, long2);
  assert.match(slug('a b:c/d'), /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/);
});

