// junit.xml: one testcase per checker (failure = violation, skipped = unknown), plus one for
// the harness itself when it met errors, so CI systems show a run like a test suite.
import type { ComposedResult } from '../checkers/types.js';

export function xmlEscape(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!).replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');
}

export function renderJunit(test: string, seed: number, results: ComposedResult, errors: readonly string[] = []): string {
  const suite = `chaos.${test}`;
  const cls = `${suite}.seed${seed}`;
  const cases: string[] = [];
  let failures = 0;
  let skipped = 0;
  for (const name of Object.keys(results.checkers).sort()) {
    const r = results.checkers[name];
    let body = '';
    if (r.valid === false) {
      failures++;
      const kinds = [...new Set(r.anomalies.map((a) => a.kind))].join(', ');
      const text = r.anomalies.slice(0, 50).map((a) => `${a.kind}: ${a.message}`).join('\n');
      body = `<failure message="${xmlEscape(`${r.anomalies.length} anomalies: ${kinds}`)}" type="violation">${xmlEscape(text)}</failure>`;
    } else if (r.valid === 'unknown') {
      skipped++;
      body = `<skipped message="${xmlEscape(`unknown: ${r.reason ?? 'no verdict'}`)}"/>`;
    }
    cases.push(`    <testcase classname="${xmlEscape(cls)}" name="${xmlEscape(name)}">${body}</testcase>`);
  }
  if (errors.length) {
    skipped++;
    cases.push(`    <testcase classname="${xmlEscape(cls)}" name="harness"><skipped message="${xmlEscape(`${errors.length} harness errors`)}"/><system-err>${xmlEscape(errors.join('\n'))}</system-err></testcase>`);
  }
  const n = cases.length;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="chaos" tests="${n}" failures="${failures}" skipped="${skipped}">`,
    `  <testsuite name="${xmlEscape(suite)}" tests="${n}" failures="${failures}" errors="0" skipped="${skipped}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
