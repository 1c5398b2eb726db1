// `chaos systems`: the built-in systems under test, each with its nodes and who serves first,
// the faults the nemesis can draw for it (generic ones and its own capabilities), the
// workloads it supports with their default faults, and the checkers that judge it.
import type { System } from '../../ground/system.js';
import { BUILT_IN_SYSTEMS, loadSystem } from '../systems/load.js';
import { nemesisSpace } from '../nemesis/plan.js';

export interface SystemSummary {
  name: string;
  description: string;
  nodes: string[];
  primary: string;
  roles: string[];
  runtimes: string[];
  faults: string[];
  capabilities: { kind: string; description: string; runtimes: string[] }[];
  workloads: Record<string, { nemesis: string[]; concurrency: number; thinkMs: number }>;
  checkers: string[];
  bugs: string[];
  /** Coverage marks its runs count. */
  marks: string[];
}

export function summarize(s: System): SystemSummary {
  const nodes = s.nodes(s.params.defaults);
  const topo = s.topology(nodes);
  const space = nemesisSpace(s, nodes);
  return {
    name: s.name,
    description: s.description,
    nodes,
    primary: topo.primary,
    roles: [s.roles.primary, ...(s.roles.others ?? [])],
    runtimes: s.sim ? ['docker', 'sim'] : ['docker'],
    faults: space.kinds.filter((k) => !k.startsWith('partition-')).concat(Object.keys(space.shapes).map((x) => `partition-${x}`)),
    capabilities: s.capabilities.map((c) => ({ kind: c.kind, description: c.description, runtimes: [...c.runtimes] })),
    workloads: Object.fromEntries(Object.entries(s.workloads).map(([w, d]) => [w, { nemesis: [...d.nemesis], concurrency: d.concurrency, thinkMs: d.thinkMs }])),
    checkers: s.checkers({}).use,
    bugs: [...s.bugs],
    marks: [...(s.marks ?? [])],
  };
}

export default async function systems(_args: string[], opts: Record<string, unknown>): Promise<number> {
  const all = await Promise.all(BUILT_IN_SYSTEMS.map((n) => loadSystem(n)));
  const rows = all.map(summarize);
  if (opts.json) {
    process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
    return 0;
  }
  const out: string[] = [];
  for (const r of rows) {
    out.push(`${r.name}: ${r.description}`);
    out.push(`  nodes      ${r.nodes.join(', ')} (writes go to ${r.primary} first; roles ${r.roles.join(', ')})`);
    out.push(`  runtimes   ${r.runtimes.join(', ')}`);
    out.push(`  faults     ${r.faults.join(', ')}`);
    for (const c of r.capabilities) out.push(`    ${c.kind}: ${c.description} (${c.runtimes.join(', ')})`);
    for (const [w, d] of Object.entries(r.workloads)) out.push(`  workload   ${w}: nemesis ${d.nemesis.join(',') || 'none'}, ${d.concurrency} clients, think ${d.thinkMs} ms`);
    out.push(`  checkers   ${r.checkers.join(', ')}`);
    if (r.bugs.length) out.push(`  bugs       ${r.bugs.join(', ')}`);
    if (r.marks.length) out.push(`  marks      ${r.marks.length} coverage marks counted per run (${r.marks.slice(0, 4).join(', ')} ...)`);
    out.push('');
  }
  out.push('A system of your own: chaos run --system ./path/to/module.ts (docs/systems.md).');
  process.stdout.write(out.join('\n') + '\n');
  return 0;
}
