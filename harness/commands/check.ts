// `chaos check FILE...`: judge histories for linearizability. One line per file (or one JSON
// object per file with --json); exit 0 all valid, 1 a violation, 2 bad input, 3 unknown.
import { readFileSync } from 'node:fs';
import { InputError, exitFor, mergeVerdicts, type Verdict } from '../../ground/errors.js';
import { readHistory, type Format } from '../../ground/history/readers/index.js';
import { checkHistory, describeOp, loadModel, modelName, MODELS, type Counterexample, type LoadedModel, type ModelName } from '../../checkers/linearizability/index.js';

const DEFAULT_MODEL: Record<Format, ModelName> = { jsonl: 'cas-register', edn: 'cas-register', 'jepsen-log': 'etcd-cas-register', 'porcupine-kv': 'kv' };

/** `--initial 0` -> 0, `--initial nil` -> null, `--initial '"x"'` -> "x", otherwise the text itself. */
export function parseInitial(v: string): unknown {
  if (v === 'nil') return null;
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

function parseTimeout(v: unknown): number | undefined {
  if (v === undefined) return undefined;
  const s = Number(v);
  if (!Number.isFinite(s) || s <= 0) throw new InputError(`expected a number of seconds > 0, got ${JSON.stringify(v)}`, '--timeout');
  return s * 1000;
}

function readFile(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : String(code ?? e);
    throw new InputError(`cannot read (${why}); expected a history file`, file);
  }
}

function renderCounterexample(c: Counterexample, file: string, locate: (i: number) => string): string {
  const at = (i: number) => {
    if (i < 0) return 'never completed';
    const l = locate(i);
    return l.startsWith(`${file}:`) ? `line ${l.slice(file.length + 1)}` : l;
  };
  const lines = [`  cannot linearize: ${describeOp(c.op)}   [${at(c.op.index)} .. ${at(c.op.completeIndex)}]`];
  const shown = c.prefix;
  lines.push(`  longest linearizable prefix: ${c.prefixLength} ops${c.prefixLength > shown.length ? `, last ${shown.length}` : ''}:`);
  for (const p of shown) lines.push(`    ${describeOp(p.op).padEnd(34)} => ${JSON.stringify(p.state)}   [${at(p.op.index)}]`);
  lines.push(`  state then: ${JSON.stringify(c.state)}`);
  if (c.concurrent.length) {
    lines.push(`  concurrent with it (${c.concurrentCount}):`);
    for (const o of c.concurrent.slice(0, 12)) lines.push(`    ${describeOp(o).padEnd(34)}   [${at(o.index)} .. ${at(o.completeIndex)}]`);
    if (c.concurrentCount > 12) lines.push(`    ... ${c.concurrentCount - 12} more`);
  }
  return lines.join('\n');
}

/** A built-in model by name, or a user's model module by path (loaded and validated here). */
async function resolveModel(m: string | undefined): Promise<ModelName | LoadedModel | undefined> {
  if (m === undefined) return undefined;
  if ((MODELS as readonly string[]).includes(m)) return m as ModelName;
  if (/[/\\]|\.(?:[cm]?js|m?ts)$/.test(m)) return loadModel(m);
  throw new InputError(`unknown model ${JSON.stringify(m)}; expected one of ${MODELS.join(', ')}, or the path of a model module (./my-model.js)`, '--model');
}

export default async function check(files: string[], opts: Record<string, unknown>): Promise<number> {
  if (files.length === 0) throw new InputError('expected at least one history file', 'check');
  const model = await resolveModel(opts.model as string | undefined);
  const format = ((opts.format as string | undefined) ?? 'auto') as Format | 'auto';
  const timeoutMs = parseTimeout(opts.timeout);
  const initial = typeof opts.initial === 'string' ? parseInitial(opts.initial) : undefined;
  if (initial !== undefined && model === 'kv') throw new InputError('the kv model starts every key at ""; --initial does not apply', '--initial');
  if (initial !== undefined && typeof model === 'object') throw new InputError(`model ${model.name} starts from its own init(); --initial does not apply`, '--initial');
  const verdicts: Verdict[] = [];
  for (const file of files) {
    const t0 = performance.now();
    const h = readHistory(readFile(file), file, format);
    const m = model ?? DEFAULT_MODEL[h.format];
    if (initial !== undefined && m === 'kv') throw new InputError(`${file} is checked with the kv model; --initial does not apply`, '--initial');
    const r = await checkHistory(h.events, {
      model: m,
      initial,
      timeoutMs,
      locate: h.locate,
      // knossos reads an ok read of nil in an EDN register history as unknown
      nilReadIsUnknown: h.format === 'edn',
    });
    const ms = Math.round((performance.now() - t0) * 100) / 100;
    verdicts.push(r.valid);
    if (opts.json) {
      const out: Record<string, unknown> = { file, model: modelName(m), valid: r.valid, ops: r.ops, ms };
      if (r.counterexample) out.counterexample = r.counterexample;
      if (r.reason) out.reason = r.reason;
      process.stdout.write(JSON.stringify(out) + '\n');
    } else {
      const what = r.valid === true ? 'valid' : r.valid === false ? 'INVALID' : 'unknown';
      const keys = r.partitions > 1 ? `, ${r.partitions} keys` : '';
      process.stdout.write(`${file}: ${what} (${modelName(m)}, ${r.ops} ops${keys}, ${ms} ms)${r.reason ? ` — ${r.reason}` : ''}\n`);
      if (r.counterexample) process.stdout.write(renderCounterexample(r.counterexample, file, h.locate) + '\n');
    }
  }
  return exitFor(mergeVerdicts(verdicts));
}
