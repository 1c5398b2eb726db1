// junit.xml: one testcase per checker, so CI systems show a run like a test suite. A violation
// is a <failure>; a checker that could not decide, a harness failure, a core crash and an
// interrupted run are <error>s (CI dashboards show <skipped> as green, and none of these
// earned a pass). Test names are unique within the file, and the class names the run
// (test, seed and run directory), so two runs' files merge without clashes.
import type { ComposedResult } from '../checkers/types.js';

export function xmlEscape(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!).replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');
}

export interface JunitRun {
  test: string;
  seed: number;
  /** The run directory's name (unique per run). */
  run?: string;
}

export function renderJunit(r: JunitRun, results: ComposedResult, errors: readonly string[] = []): string {
  const suite = `chaos.${r.test}`;
  const cls = `${suite}.seed${r.seed}${r.run ? `.${r.run}` : ''}`;
  const cases: string[] = [];
  const used = new Set<string>();
  const unique = (name: string) => {
    let n = name;
    for (let i = 2; used.has(n); i++) n = `${name}#${i}`;
    used.add(n);
    return n;
  };
  let failures = 0;
  let errs = 0;
  const push = (name: string, body: string) => cases.push(`    <testcase classname="${xmlEscape(cls)}" name="${xmlEscape(unique(name))}">${body}</testcase>`);
  for (const name of Object.keys(results.checkers).sort()) {
    const c = results.checkers[name];
    let body = '';
    if (c.valid === false) {
      failures++;
      const kinds = [...new Set(c.anomalies.map((a) => a.kind))].join(', ');
      const text = c.anomalies.slice(0, 50).map((a) => `${a.kind}: ${a.message}${typeof a.stack === 'string' ? `\n${a.stack}` : ''}`).join('\n');
      body = `<failure message="${xmlEscape(`${c.anomalies.length} anomalies: ${kinds}`)}" type="${name === 'core' ? 'crash' : 'violation'}">${xmlEscape(text)}</failure>`;
    } else if (c.valid === 'unknown') {
      errs++;
      body = `<error message="${xmlEscape(`unknown: ${c.reason ?? 'no verdict'}`)}" type="unknown"/>`;
    }
    push(name, body);
  }
  if (results.interrupted) {
    const i = results.interrupted;
    errs++;
    push('run', `<error message="${xmlEscape(`interrupted by ${i.signal} during ${i.phase} after ${i.ranS} s of ${i.plannedS} s (${i.faultsStarted} of ${i.faultsPlanned} planned faults started)`)}" type="interrupted"/>`);
  }
  if (errors.length) {
    errs++;
    push('harness-errors', `<error message="${xmlEscape(`${errors.length} harness errors`)}" type="harness"/><system-err>${xmlEscape(errors.join('\n'))}</system-err>`);
  }
  const n = cases.length;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="chaos" tests="${n}" failures="${failures}" errors="${errs}" skipped="0">`,
    `  <testsuite name="${xmlEscape(suite)}" tests="${n}" failures="${failures}" errors="${errs}" skipped="0">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
