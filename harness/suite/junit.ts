// The suite's junit.xml: a testsuite per case, a testcase per seed. A run that did not meet its
// case's expectation is a <failure> whose message is the verdict, the anomaly summary and the
// reproduce command; an unknown standing in the way is <skipped>; a harness failure <error>.
// Each testcase's system-out attaches the run's report with [[ATTACHMENT|path]], which
// Jenkins' junit-attachments plugin and GitLab's test reports pick up.
import { esc } from './escape.js';
import type { CaseResult, JudgedRun } from './types.js';

export interface JunitOptions {
  suite: string;
  /** The path to print in [[ATTACHMENT|...]] for a run's report (absolute, or relative to the
   *  CI workspace), or undefined when the run directory was removed. */
  attachment: (r: JudgedRun) => string | undefined;
  /** Wall seconds of the whole suite. */
  wallS?: number;
}

const verdictWord = (v: JudgedRun['verdict']) => (v === true ? 'VALID' : v === false ? 'INVALID' : v === 'unknown' ? 'UNKNOWN' : 'ERROR');

export function failureMessage(r: JudgedRun): string {
  const lines = [`${verdictWord(r.verdict)}: ${r.note}`];
  if (r.summary) lines.push(r.summary);
  if (r.reproduce) lines.push(`reproduce with: ${r.reproduce}`);
  return lines.join('\n');
}

function testcase(c: CaseResult, r: JudgedRun, o: JunitOptions): string {
  const name = `seed ${r.seed}`;
  const cls = `chaos.${o.suite}.${c.name}`;
  let body = '';
  if (r.outcome === 'unmet') body = `<failure message="${esc(failureMessage(r))}" type="${r.verdict === false ? 'violation' : r.verdict === true ? 'not-found' : 'unknown'}">${esc(failureMessage(r))}</failure>`;
  else if (r.outcome === 'error') body = `<error message="${esc(failureMessage(r))}" type="harness">${esc(r.errors.join('\n'))}</error>`;
  else if (r.outcome === 'unknown' || r.outcome === 'accepted') body = `<skipped message="${esc(`${r.note}${r.reproduce ? `; reproduce with: ${r.reproduce}` : ''}`)}"/>`;
  const att = o.attachment(r);
  const out = [
    `${verdictWord(r.verdict)} (${r.outcome}): ${r.note}`,
    ...(r.summary && r.outcome !== 'unmet' ? [r.summary] : []),
    ...(r.reproduce ? [`reproduce with: ${r.reproduce}`] : []),
    ...(r.errors.length ? [`harness errors: ${r.errors.join('; ')}`] : []),
    ...(att ? [`[[ATTACHMENT|${att}]]`] : ['(run directory removed: it met a valid expectation; the reproduce command rebuilds it)']),
  ].join('\n');
  return `    <testcase classname="${esc(cls)}" name="${esc(name)}" time="${(r.durationMs / 1000).toFixed(3)}">${body}<system-out>${esc(out)}</system-out></testcase>`;
}

export function renderSuiteJunit(cases: readonly CaseResult[], o: JunitOptions): string {
  const all = { tests: 0, failures: 0, errors: 0, skipped: 0, time: 0 };
  const suites = cases.map((c) => {
    const n = {
      tests: c.runs.length,
      failures: c.runs.filter((r) => r.outcome === 'unmet').length,
      errors: c.runs.filter((r) => r.outcome === 'error').length,
      skipped: c.runs.filter((r) => r.outcome === 'unknown' || r.outcome === 'accepted').length,
      time: c.runs.reduce((s, r) => s + r.durationMs / 1000, 0),
    };
    for (const k of Object.keys(all) as (keyof typeof all)[]) all[k] += n[k];
    const props = [
      ['runtime', c.runtime], ['workload', c.workload], ['bugs', c.bugs.join(',') || 'none'], ['expect', c.expect], ['unknown', c.unknownRule], ['outcome', c.outcome], ['note', c.note],
    ].map(([k, v]) => `      <property name="${esc(k)}" value="${esc(v)}"/>`);
    return [
      `  <testsuite name="${esc(c.name)}" tests="${n.tests}" failures="${n.failures}" errors="${n.errors}" skipped="${n.skipped}" time="${n.time.toFixed(3)}">`,
      '    <properties>', ...props, '    </properties>',
      ...c.runs.map((r) => testcase(c, r, o)),
      '  </testsuite>',
    ].join('\n');
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${esc(`chaos suite ${o.suite}`)}" tests="${all.tests}" failures="${all.failures}" errors="${all.errors}" skipped="${all.skipped}" time="${(o.wallS ?? all.time).toFixed(3)}">`,
    ...suites,
    '</testsuites>',
    '',
  ].join('\n');
}
