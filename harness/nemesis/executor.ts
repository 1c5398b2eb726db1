// Carries a fault plan out against a Runtime and records every fault's start and stop in the
// history (process 'nemesis', type info). The start is recorded before the fault is applied
// and the stop after it is healed, so the recorded window always covers the real one.
// `healAll` undoes whatever is still active; the run calls it in a finally block.
import type { Runtime } from '../runtime/types.js';
import type { HistoryWriter } from '../../ground/history/writer.js';
import type { ViewChange } from '../../ground/system.js';
import { ROLE_REFS, stepNodes, type FaultStep, type NemesisSpace } from './plan.js';
import { ClusterView } from './view.js';

type NodeName = string;

type Timed = { at: number; phase: 'start' | 'stop'; step: FaultStep };

/** Targets of a step already resolved by the executor (roles replaced by node names). */
const resolved = (s: FaultStep): NodeName[] => s.targets as NodeName[];
const refsOf = (s: FaultStep): string[] | undefined => (s as FaultStep & { refs?: string[] }).refs;

export function describe(step: FaultStep): string {
  if (step.kind === 'partition' || step.kind === 'netem') return `${step.kind}(${step.shape ?? 'links'}:${step.targets.join('+')})`;
  return `${step.kind}(${step.targets.join('+')})`;
}

export class NemesisExecutor {
  private readonly active = new Map<number, FaultStep>();
  private stopped = false;
  /** Faults the runtime refused (an error while applying); the run reports them. */
  readonly errors: string[] = [];

  constructor(
    private readonly plan: readonly FaultStep[],
    private readonly space: NemesisSpace,
    private readonly runtime: Runtime,
    private readonly history: HistoryWriter,
    private readonly view: ClusterView,
    /** Runtime ns at which plan offsets count from. */
    private readonly t0: number,
  ) {}

  /** Applies the plan in time order until it ends or `stop()` is called. */
  async run(endNs: number): Promise<void> {
    const timed: Timed[] = [];
    for (const s of this.plan) {
      timed.push({ at: s.at, phase: 'start', step: s });
      if (!this.space.capabilities.get(s.kind)?.instant) timed.push({ at: s.at + s.durationMs, phase: 'stop', step: s });
    }
    // Stops before starts at the same instant, so a node is free before it is taken again.
    timed.sort((x, y) => x.at - y.at || (x.phase === y.phase ? x.step.id - y.step.id : x.phase === 'stop' ? -1 : 1));
    for (const t of timed) {
      if (this.stopped) return;
      const atNs = this.t0 + t.at * 1e6;
      if (atNs >= endNs) return;
      // Sleep in short slices so halt() (end of workload, Ctrl-C) is honoured promptly.
      for (let waitMs = (atNs - this.runtime.now()) / 1e6; waitMs > 0 && !this.stopped; waitMs = (atNs - this.runtime.now()) / 1e6) {
        await this.runtime.sleep(Math.min(waitMs, 250));
      }
      if (this.stopped) return;
      if (t.phase === 'start') await this.start(t.step);
      else await this.heal(t.step);
    }
  }

  /** Stops applying further steps (active ones stay until healAll). */
  halt(): void {
    this.stopped = true;
  }

  activeFaults(): FaultStep[] {
    return [...this.active.values()];
  }

  private record(phase: 'start' | 'stop', step: FaultStep, extra: Record<string, unknown> = {}): void {
    this.history.append({
      process: 'nemesis',
      type: 'info',
      f: phase,
      value: { kind: step.kind, ...(step.shape ? { shape: step.shape } : {}), targets: step.targets, ...(step.links ? { links: step.links } : {}), ...(step.args ? { args: step.args } : {}), ...extra },
      meta: { fault: step.kind, targets: [...step.targets], faultId: step.id, ...(step.shape ? { shape: step.shape } : {}), ...(refsOf(step) ? { refs: refsOf(step) } : {}), ...extra },
    });
  }

  private usable(step: FaultStep): boolean {
    // Nodes a capability removed (site loss) are gone; a hand-edited plan may still name them.
    return !step.targets.some((n) => this.view.destroyed.has(n as NodeName)) && !(step.links ?? []).some(([f, t]) => this.view.destroyed.has(f) || this.view.destroyed.has(t));
  }

  /** Names the nodes a role refers to now: the pair member that says it is primary (the
   *  view's belief when neither answers), and the other one as partner. */
  private async resolve(step: FaultStep): Promise<FaultStep> {
    if (!step.targets.some((t) => (ROLE_REFS as readonly string[]).includes(t))) return step;
    const pair = this.view.pair;
    let primary: NodeName = this.view.primary;
    for (const n of pair) {
      const s = await this.runtime.status(n).catch(() => null);
      if (s?.role === this.space.primaryRole) { primary = n; break; }
    }
    const partner = pair.find((n) => n !== primary) ?? primary;
    const targets = [...new Set(step.targets.map((t) => (t === 'primary' ? primary : t === 'partner' ? partner : t)))] as NodeName[];
    return { ...step, targets, refs: step.targets } as FaultStep;
  }

  private async start(planned: FaultStep): Promise<void> {
    if (!this.usable(planned)) return;
    const step = await this.resolve(planned);
    this.record('start', step);
    // A failover is blamed on the last fault that hit the old primary; a cluster-wide fault hits every node.
    const hit = this.space.capabilities.get(step.kind)?.scope === 'cluster' ? stepNodes(this.space, step) : resolved(step);
    for (const n of hit) this.view.lastFault.set(n, step.id);
    this.active.set(step.id, step);
    this.view.active.set(step.id, describe(step));
    const rt = this.runtime;
    try {
      switch (step.kind) {
        case 'partition':
          for (const [f, t] of step.links ?? []) await rt.cut(f, t);
          break;
        case 'netem':
          if (!rt.netem) throw new Error(`the ${rt.kind} runtime cannot impair links`);
          for (const [f, t] of step.links ?? []) await rt.netem(f, t, step.args ?? {});
          break;
        case 'kill':
          for (const n of resolved(step)) await rt.kill(n);
          break;
        case 'pause':
          for (const n of resolved(step)) await rt.pause(n);
          break;
        default: {
          const cap = this.space.capabilities.get(step.kind);
          if (!cap) throw new Error(`no such fault kind for this system: ${step.kind}`);
          const change = (await cap.apply(rt, resolved(step), step.args)) ?? undefined;
          if (cap.instant) this.ended(step, change);
          break;
        }
      }
    } catch (e) {
      this.errors.push(`${describe(step)}: ${(e as Error).message}`);
      if (this.active.has(step.id)) await this.heal(step, (e as Error).message);
    }
  }

  /** An instant fault is over as soon as it is applied. Its stop is recorded before any client
   *  learns of a new shape, so no op of a new era (after a site loss) is invoked before it. */
  private ended(step: FaultStep, change: ViewChange | undefined): void {
    this.active.delete(step.id);
    this.view.active.delete(step.id);
    this.record('stop', step, change?.record ?? {});
    if (change && (change.primary || change.candidates || change.readNodes || change.destroyed)) this.view.apply(change);
  }

  private async heal(planned: FaultStep, error?: string): Promise<void> {
    // Heal what was actually done: the resolved step kept in `active`.
    const step = this.active.get(planned.id);
    if (!step) return;
    const rt = this.runtime;
    let healError = error;
    try {
      switch (step.kind) {
        case 'partition':
          for (const [f, t] of step.links ?? []) await rt.heal(f, t);
          break;
        case 'netem':
          for (const [f, t] of step.links ?? []) await rt.netem?.(f, t, null);
          break;
        case 'kill':
          for (const n of resolved(step)) await rt.start(n);
          break;
        case 'pause':
          for (const n of resolved(step)) await rt.resume(n);
          break;
        default:
          await this.space.capabilities.get(step.kind)?.heal?.(rt, resolved(step), step.args);
          break;
      }
    } catch (e) {
      healError = healError ?? (e as Error).message;
      this.errors.push(`heal ${describe(step)}: ${(e as Error).message}`);
    }
    this.active.delete(step.id);
    this.view.active.delete(step.id);
    this.record('stop', step, healError ? { error: healError } : {});
  }

  /** Heals every fault still active (recording each stop), then asks the runtime to heal
   *  anything left over. Safe to call more than once and after errors. */
  async healAll(): Promise<void> {
    this.stopped = true;
    for (const step of [...this.active.values()].sort((x, y) => x.id - y.id)) await this.heal(step);
    try {
      await this.runtime.healAll();
    } catch (e) {
      this.errors.push(`healAll: ${(e as Error).message}`);
    }
  }
}
