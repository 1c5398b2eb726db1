// Partitions of images that are not ours: a small helper container joins the target's network
// namespace (`NetworkMode: container:<id>`) and holds the only NET_ADMIN of the pair, so the
// target needs nothing installed and no privilege. The helper image is the host's iptables
// (nf_tables backend) with its extension modules and libraries, `sh` and `sleep`, built offline
// like every other image, plus chaos-netemd (netemd.c, compiled here with the host's C compiler)
// for link impairments. A kept shell in the helper applies a rule in a few ms.
//
// Link impairments (delay, jitter, loss, duplication, reordering) are tc netem's, done in user
// space: the kernels this project runs on have no sch_netem (nor sch_prio), while NFQUEUE is
// built in. The sender's helper queues the packets of an impaired link (its OUTPUT chain,
// matched by the receiver's address) to a chaos-netemd of that link, which delays, drops,
// duplicates or lets them overtake as netem would (netemd.c says how).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type Docker from 'dockerode';
import type { ImageSpec, LinkImpairment } from '../../../ground/system.js';
import { ensureBinaryImage, modulesIn, type BinaryImageSpec } from '../../../nodes/image/binary.js';
import { projectRoot } from '../../../nodes/image/build.js';
import { XTABLES_DIR, which } from '../../../nodes/image/rootfs.js';
import { ContainerShell } from './dockerio.js';
import { LABEL } from './ownership.js';

/** Where the impairment program sits in the helper image. */
export const NETEMD = '/usr/local/bin/chaos-netemd';
/** The chain of the sender's OUTPUT that sends impaired links' packets to their chaos-netemd. */
export const NETEM_CHAIN = 'CHAOS-NETEM';
/** The mark of the duplicates chaos-netemd sends itself: they are not queued again. */
const NETEM_MARK = 0x6e6574;

let netemdMissing: string | undefined;

/** chaos-netemd for the helper image, compiled when missing or older than its source; null
 *  (with the reason kept for netem's error) when there is no C compiler. */
export function netemdBinary(): Buffer | null {
  const src = join(projectRoot(), 'harness', 'runtime', 'docker', 'netemd.c');
  const out = join(projectRoot(), '.image-build', 'chaos-netemd');
  try {
    if (!existsSync(out) || statSync(out).mtimeMs < statSync(src).mtimeMs) {
      mkdirSync(dirname(out), { recursive: true });
      // Several test processes may build at once: each writes its own file, then renames.
      const tmp = `${out}.${process.pid}.tmp`;
      execFileSync('cc', ['-O2', '-Wall', '-o', tmp, src], { stdio: ['ignore', 'pipe', 'pipe'] });
      renameSync(tmp, out);
    }
    netemdMissing = undefined;
    return readFileSync(out);
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    netemdMissing = `${String(err.stderr ?? '').trim().split('\n')[0] || err.message.split('\n')[0]}`;
    return null;
  }
}

/** The helper image's contents: iptables and enough of a shell to drive it, and chaos-netemd. */
export function netHelperSpec(): BinaryImageSpec {
  const netemd = netemdBinary();
  return {
    repo: 'chaos-nethelper',
    binaries: ['/bin/sh'],
    programs: ['iptables', 'iptables-save', 'iptables-restore', 'sleep'],
    modules: modulesIn(XTABLES_DIR),
    // chaos-netemd needs libc alone, which sh brings.
    files: netemd ? [{ path: NETEMD, content: netemd, mode: 0o755 }] : [],
    // The helper only waits; the runtime speaks to it through a kept shell.
    entrypoint: [which('sleep'), 'infinity'],
  };
}

let pendingImage: Promise<string> | undefined;

/** The helper image, built on first use (CHAOS_IMAGE_CHAOS_NETHELPER names a tag to use as is). */
export const netHelperImage: ImageSpec = {
  name: 'chaos-nethelper',
  ensure() {
    const override = process.env.CHAOS_IMAGE_CHAOS_NETHELPER;
    if (override) return Promise.resolve(override);
    pendingImage ??= Promise.resolve().then(() => ensureBinaryImage(netHelperSpec())).then((r) => r.tag, (e) => {
      pendingImage = undefined;
      throw e;
    });
    return pendingImage;
  },
};

const IMPAIRMENT_FIELDS = ['delayMs', 'jitterMs', 'lossP', 'dupP', 'reorderP'] as const;
/** Longer than this is a cut, not a delay (and keeps the microseconds a plain integer). */
const MAX_DELAY_MS = 3_600_000;

/** A link impairment checked (finite, non-negative, chances at most 1, no unknown field). */
export function checkImpairment(from: string, to: string, imp: LinkImpairment): LinkImpairment {
  const where = `netem ${from}->${to}`;
  if (imp === null || typeof imp !== 'object') throw new Error(`${where}: expected an impairment object or null, got ${String(imp)}`);
  for (const k of Object.keys(imp)) {
    if (!(IMPAIRMENT_FIELDS as readonly string[]).includes(k)) throw new Error(`${where}: unknown field '${k}' (expected ${IMPAIRMENT_FIELDS.join(', ')})`);
  }
  const out: LinkImpairment = {};
  for (const k of IMPAIRMENT_FIELDS) {
    const v = imp[k];
    if (v === undefined) continue;
    const isP = k.endsWith('P');
    const max = isP ? 1 : MAX_DELAY_MS;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > max) {
      throw new Error(`${where}: ${k} must be a number ${isP ? 'in [0, 1]' : `in [0, ${MAX_DELAY_MS}] ms`}, got ${String(v)}`);
    }
    out[k] = v;
  }
  return out;
}

/** chaos-netemd's arguments after the queue number: DELAY_US JITTER_US LOSS DUP REORDER MARK. */
export function netemdArgs(imp: LinkImpairment): string[] {
  const us = (ms: number | undefined) => String(Math.round((ms ?? 0) * 1000));
  return [us(imp.delayMs), us(imp.jitterMs), String(imp.lossP ?? 0), String(imp.dupP ?? 0), String(imp.reorderP ?? 0), String(NETEM_MARK)];
}

/** One impaired link as a helper holds it: the destination's address and its chaos-netemd. */
interface HeldLink {
  ip: string;
  queue: number;
  pid: number;
  args: string;
}

/** What a helper holds of link impairments (tests, debugging). */
export interface NetemState {
  /** The rules of the CHAOS-NETEM chain (`iptables -S`), one per impaired link plus the mark's. */
  rules: string[];
  /** Live chaos-netemd processes in the namespace's helper. */
  daemons: number;
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** A running helper bound to one life of one target container. */
export class NetHelper {
  /** Impaired links of this namespace's egress, by destination node. */
  private links = new Map<string, HeldLink>();
  private nextQueue = 1;
  private netemChain = false;

  private constructor(readonly id: string, private shell: ContainerShell, private readonly docker: Docker) {}

  /** Starts a helper in `targetId`'s network namespace (the target must be running). */
  static async attach(docker: Docker, opts: { image: string; name: string; targetId: string; labels: Record<string, string> }): Promise<NetHelper> {
    const c = await docker.createContainer({
      Image: opts.image,
      name: opts.name,
      Labels: { ...opts.labels, [LABEL.chaos + '.helper']: '1' },
      HostConfig: { NetworkMode: `container:${opts.targetId}`, CapAdd: ['NET_ADMIN'], AutoRemove: false },
    });
    try {
      await c.start();
      const shell = await ContainerShell.open(docker, c.id);
      return new NetHelper(c.id, shell, docker);
    } catch (e) {
      await c.remove({ force: true }).catch(() => {});
      throw e;
    }
  }

  /** Runs an iptables script in the target's namespace; throws with its output on failure. */
  async run(script: string): Promise<void> {
    await this.output(script);
  }

  /** Runs a script in the target's namespace; its output, or an error with it on failure. */
  async output(script: string): Promise<string> {
    if (!this.shell.alive) this.shell = await ContainerShell.open(this.docker, this.id);
    const r = await this.shell.run(script);
    if (r.code === 127 && script.includes(NETEMD)) {
      throw new Error(`partition helper: its image has no ${NETEMD} (the host had no C compiler to build harness/runtime/docker/netemd.c${netemdMissing ? `: ${netemdMissing}` : ''}; run scripts/setup.sh, which installs gcc)`);
    }
    if (r.code !== 0) throw new Error(`partition helper: '${script}' failed (${r.code}): ${r.output.trim()}`);
    return r.output;
  }

  /** Sets the target's INPUT chain to drop exactly these source addresses. */
  setDrops(sources: readonly string[]): Promise<void> {
    return this.run(['iptables -w -F INPUT', ...sources.map((ip) => `iptables -w -A INPUT -s ${ip} -j DROP`)].join(' && '));
  }

  addDrop(source: string): Promise<void> {
    return this.run(`iptables -w -A INPUT -s ${source} -j DROP`);
  }

  dropRule(source: string): Promise<void> {
    return this.run(`iptables -w -D INPUT -s ${source} -j DROP`);
  }

  /** The INPUT rules now in force (tests, debugging). */
  async rules(): Promise<string[]> {
    const r = await this.shell.run('iptables -w -S INPUT');
    return r.output.split('\n').filter((l) => l.startsWith('-A'));
  }

  /** The INPUT chain with packet counters (`iptables -L -v -x`): proof that rules drop. */
  async counters(): Promise<string> {
    return (await this.shell.run('iptables -w -L INPUT -v -n -x')).output;
  }

  /**
   * Sets the impaired links of the target's egress to exactly `links` (destination node ->
   * its address and chaos-netemd's arguments; `seed` seeds each new chaos-netemd). A link whose
   * impairment is unchanged keeps its chaos-netemd (and what it holds), even when the
   * destination's address changed; a changed one gets a new chaos-netemd, bound before the
   * rules switch to it, and the old one then lets what it held go. The chain is replaced in
   * one iptables-restore transaction, so no packet of a link that stays impaired slips by.
   */
  async setNetem(links: ReadonlyMap<string, { ip: string; args: string[] }>, seed: () => number): Promise<void> {
    if (links.size === 0 && this.links.size === 0) return;
    if (!this.netemChain) {
      await this.run(`iptables -w -N ${NETEM_CHAIN} 2>/dev/null; iptables -w -C OUTPUT -j ${NETEM_CHAIN} 2>/dev/null || iptables -w -A OUTPUT -j ${NETEM_CHAIN}`);
      this.netemChain = true;
    }
    const next = new Map<string, HeldLink>();
    const started: number[] = [];
    const retire: number[] = [];
    try {
      for (const [to, want] of links) {
        const args = want.args.join(' ');
        const have = this.links.get(to);
        if (have && have.args === args) {
          next.set(to, { ...have, ip: want.ip });
          continue;
        }
        const queue = this.nextQueue++;
        const out = await this.output(`${NETEMD} ${queue} ${args} ${Math.abs(Math.trunc(seed()))}`);
        const pid = Number(out.trim().split('\n').pop());
        if (!Number.isInteger(pid) || pid <= 0) throw new Error(`partition helper: ${NETEMD} gave no pid: ${out.trim()}`);
        started.push(pid);
        next.set(to, { ip: want.ip, queue, pid, args });
        if (have) retire.push(have.pid);
      }
      const rules = [...next.values()].map((l) => `-A ${NETEM_CHAIN} -d ${l.ip}/32 -j NFQUEUE --queue-num ${l.queue} --queue-bypass`);
      if (rules.length) rules.unshift(`-A ${NETEM_CHAIN} -m mark --mark ${NETEM_MARK} -j RETURN`);
      const restore = ['*filter', `:${NETEM_CHAIN} - [0:0]`, ...rules, 'COMMIT'];
      await this.run(`printf '%s\\n' ${restore.map(shellQuote).join(' ')} | iptables-restore -w --noflush`);
    } catch (e) {
      if (started.length) await this.run(`kill ${started.join(' ')} 2>/dev/null; true`).catch(() => {});
      throw e;
    }
    for (const [to, have] of this.links) if (!next.has(to)) retire.push(have.pid);
    this.links = next;
    // A retired chaos-netemd lets what it holds go at once, then exits.
    if (retire.length) await this.run(`kill ${retire.join(' ')} 2>/dev/null; true`);
  }

  /** The impairment rules and chaos-netemd processes now in the namespace (tests, debugging). */
  async netemState(): Promise<NetemState> {
    const rules = await this.shell.run(`iptables -w -S ${NETEM_CHAIN} 2>/dev/null`);
    // A chaos-netemd that exited stays a zombie under the helper's `sleep` (state Z): not counted.
    const ps = await this.shell.run('for d in /proc/[0-9]*; do read -r p c s rest < $d/stat 2>/dev/null && [ "$c" = "(chaos-netemd)" ] && [ "$s" != Z ] && echo "$p"; done; true');
    return {
      rules: rules.output.split('\n').filter((l) => l.startsWith('-A')),
      daemons: ps.output.split('\n').filter((l) => /^\d+$/.test(l.trim())).length,
    };
  }

  async remove(): Promise<void> {
    this.shell.close();
    await this.docker.getContainer(this.id).remove({ force: true }).catch(() => {});
  }
}
