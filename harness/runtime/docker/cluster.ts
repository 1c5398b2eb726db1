// The generic docker runtime (the Runtime seam): any System's nodes as containers of the images it
// names, on one private network per run, with the generic fault surface (kill, start, pause,
// resume, one-way cuts, destroy) done to any container and nothing of any one system known
// here. Plain dockerode, no testcontainers: every step is one engine call we can time, and a
// restart must be awaited on a ready line printed after it, which we do ourselves anyway.
//
// Every resource carries the run's labels (ownership.ts); down() removes this run's and nothing
// else, and every up() first removes the leftovers of harnesses that died (cleanup.ts).
import { createServer } from 'node:net';
import { posix } from 'node:path';
import Docker from 'dockerode';
import type { Client, ClusterInfo, ContainerSpec, LinkImpairment, NodeStatus, System } from '../../../ground/system.js';
import { tarStream } from '../../../nodes/image/tar.js';
import type { ClusterSpec, Runtime } from '../types.js';
import { removeChaosResources } from './cleanup.js';
import { containerLogs, execIn, waitForReady } from './dockerio.js';
import { slug } from './names.js';
import { checkImpairment, NetHelper, netemdArgs, netHelperImage, type NetemState } from './netns.js';
import { LABEL, ownerLabels } from './ownership.js';

type Life = 'running' | 'paused' | 'dead' | 'destroyed';

interface Box {
  name: string;
  spec: ContainerSpec;
  container: string;
  id: string;
  image: string;
  hostPort: number;
  volume?: string;
  life: Life;
  lastLogs?: string;
  /** Address on the run's network in the current life. */
  ip?: string;
  /** The partition helper in the current life's network namespace. */
  helper?: NetHelper;
  admin?: Client;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function withTimeout<T>(p: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<T>((r) => { timer = setTimeout(() => r(fallback), ms); })]).finally(() => clearTimeout(timer));
}

export interface ContainerRuntimeOptions {
  runId: string;
  docker?: Docker;
}

export class ContainerRuntime implements Runtime {
  readonly kind = 'docker' as const;
  private readonly docker: Docker;
  private readonly t0 = process.hrtime.bigint();
  private spec?: ClusterSpec;
  private system?: System;
  private network?: string;
  private readonly boxes = new Map<string, Box>();
  /** Shared volumes by their name in the ContainerSpec -> docker volume name. */
  private readonly shared = new Map<string, string>();
  /** Active one-way cuts as "from>to"; rules live in `to`'s INPUT chain (through its helper). */
  private readonly cuts = new Set<string>();
  /** Active link impairments by "from>to"; applied on `from`'s egress (through its helper),
   *  matched by `to`'s address. */
  private readonly impairments = new Map<string, LinkImpairment>();
  private netemDraws = 0;
  private readonly clients = new Set<Client>();
  /** Rule changes of one receiver run one after another (a rebuild reads the cut set); so do
   *  the impairment changes of one sender (keyed `netem>sender`). */
  private readonly ruleLocks = new Map<string, Promise<unknown>>();
  private labels: Record<string, string> = {};
  private helperImage = '';
  private settling: Promise<void> = Promise.resolve();
  private slugId = '';
  /** Where the last up() spent its time (ms per phase), for the bench. */
  upTimings: Record<string, number> = {};

  constructor(private readonly opts: ContainerRuntimeOptions) {
    this.docker = opts.docker ?? new Docker();
  }

  now(): number {
    return Number(process.hrtime.bigint() - this.t0);
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  private get runId(): string {
    return this.spec?.runId || this.opts.runId;
  }

  private info(spec: ClusterSpec): ClusterInfo {
    return {
      runId: spec.runId,
      nodes: spec.nodes,
      host: (n) => this.containerName(n),
      bugs: spec.bugs,
      params: spec.params,
      seed: spec.seed,
    };
  }

  liveNodes(): string[] {
    return [...this.boxes.values()].filter((b) => b.life !== 'destroyed').map((b) => b.name);
  }

  host(node: string): string {
    this.box(node);
    return this.containerName(node);
  }

  private containerName(node: string): string {
    return `chaos-${this.slugId}-${node}`;
  }

  async up(spec: ClusterSpec): Promise<void> {
    this.spec = spec;
    this.system = spec.system;
    this.slugId = slug(spec.runId || this.opts.runId);
    this.labels = ownerLabels(this.runId);
    let mark = performance.now();
    const phase = (name: string) => {
      const now = performance.now();
      this.upTimings[name] = now - mark;
      mark = now;
    };
    const info = this.info(spec);
    const specs = new Map(spec.nodes.map((n) => [n, spec.system.container(n, info)] as const));
    // Distinct images once each (several nodes usually share one).
    const images = new Map<string, ContainerSpec['image']>();
    for (const s of specs.values()) images.set(s.image.name, s.image);
    const [, tags, helperTag] = await Promise.all([
      removeChaosResources(this.docker, { onlyDead: true }),
      Promise.all([...images.values()].map(async (img) => [img.name, await img.ensure()] as const)),
      netHelperImage.ensure(),
    ]);
    const tagOf = new Map(tags);
    this.helperImage = helperTag;
    phase('prepare');

    for (const [name, s] of specs) {
      this.boxes.set(name, {
        name,
        spec: s,
        container: this.containerName(name),
        id: '',
        image: tagOf.get(s.image.name)!,
        hostPort: await freePort(),
        volume: s.dataDir ? `chaos-${this.slugId}-${name}` : undefined,
        life: 'dead',
      });
      for (const v of Object.keys(s.sharedVolumes ?? {})) if (!this.shared.has(v)) this.shared.set(v, `chaos-${this.slugId}-shared-${v}`);
    }
    const [net] = await Promise.all([
      this.docker.createNetwork({ Name: `chaos-${this.slugId}`, Driver: 'bridge', CheckDuplicate: true, Labels: this.labels }),
      ...[...this.shared.values()].map((v) => this.docker.createVolume({ Name: v, Labels: this.labels })),
      ...[...this.boxes.values()].filter((b) => b.volume).map((b) => this.docker.createVolume({ Name: b.volume!, Labels: { ...this.labels, [LABEL.node]: b.name } })),
    ]);
    this.network = net.id;
    phase('network+volumes');
    await Promise.all([...this.boxes.values()].map((b) => this.create(b)));
    phase('containers created');
    // All at once: a cluster that needs a quorum to say it is ready (etcd) needs its peers up.
    // (Started one after another instead, etcd 3.4 boots no faster: its bootstrap check waits
    // ~1 s per peer that is not serving yet either way.)
    // The partition helpers come up beside the nodes but are not waited for here: no cut
    // exists yet, and every fault method waits for them first (settled()).
    // (Chained as they start, so that down() after a failed up() still waits for them.)
    await Promise.all([...this.boxes.values()].map(async (b) => {
      const since = await this.launch(b);
      const helper = this.newLife(b);
      this.settling = Promise.all([this.settling, helper]).then(() => {});
      this.settling.catch(() => {});
      await this.awaitReady(b, since);
    }));
    phase('containers to ready');
    // A cluster is ready when one of its nodes holds the primary role (etcd: a leader elected).
    await this.waitForPrimary(spec.system.roles.primary, 30_000);
    phase('primary');
  }

  private async create(b: Box): Promise<void> {
    const port = `${b.spec.clientPort}/tcp`;
    const mounts: Docker.MountSettings[] = [];
    if (b.volume && b.spec.dataDir) mounts.push({ Type: 'volume', Source: b.volume, Target: b.spec.dataDir });
    for (const [v, target] of Object.entries(b.spec.sharedVolumes ?? {})) mounts.push({ Type: 'volume', Source: this.shared.get(v)!, Target: target });
    for (let attempt = 1; ; attempt++) {
      try {
        const c = await this.docker.createContainer({
          Image: b.image,
          name: b.container,
          Hostname: b.name,
          Cmd: b.spec.command,
          Env: Object.entries(b.spec.env ?? {}).map(([k, v]) => `${k}=${v}`),
          Labels: { ...this.labels, [LABEL.node]: b.name },
          ExposedPorts: { [port]: {} },
          StopSignal: b.spec.stopSignal,
          HostConfig: {
            NetworkMode: this.network,
            // Published on loopback only: the cluster is reachable from this host and no other.
            PortBindings: { [port]: [{ HostIp: '127.0.0.1', HostPort: String(b.hostPort) }] },
            Mounts: mounts,
          },
        });
        b.id = c.id;
        return;
      } catch (e) {
        if (attempt < 3 && /already in use/i.test((e as Error).message)) {
          await this.docker.getContainer(b.container).remove({ force: true }).catch(() => {});
          continue;
        }
        throw new Error(`docker runtime: node ${b.name}: cannot create its container: ${(e as Error).message.split('\n')[0]}`);
      }
    }
  }

  /** Starts a stopped container and waits for its ready line; then its helper and its cuts. */
  private async startBox(b: Box): Promise<void> {
    const since = await this.launch(b);
    await this.awaitLife(b, since);
  }

  /** The engine's start (a port someone took meanwhile gets a new one); returns when, in unix
   *  seconds, the new life's log begins. */
  private async launch(b: Box): Promise<number> {
    for (let attempt = 1; ; attempt++) {
      const since = Date.now() / 1000 - 0.5;
      try {
        await this.docker.getContainer(b.id).start();
        b.life = 'running';
        return since;
      } catch (e) {
        // The port picked at up() can be taken by someone else before the engine binds it.
        if (attempt < 3 && /port is already allocated|address already in use/i.test((e as Error).message)) {
          await this.docker.getContainer(b.id).remove({ force: true }).catch(() => {});
          b.hostPort = await freePort();
          await this.create(b);
          continue;
        }
        throw new Error(`docker runtime: node ${b.name} did not start: ${(e as Error).message.split('\n')[0]}`);
      }
    }
  }

  /** Waits for the ready line printed after `since`, while giving the new life its helper. */
  private async awaitLife(b: Box, since: number): Promise<void> {
    const helper = this.newLife(b);
    helper.catch(() => {});
    await this.awaitReady(b, since);
    await helper;
  }

  /** The ready line printed after `since` (the log holds earlier lives' lines too). */
  private async awaitReady(b: Box, since: number): Promise<void> {
    const ready = new RegExp(b.spec.readyLog.source, b.spec.readyLog.flags.replace('g', ''));
    const timeout = b.spec.startupTimeoutMs ?? 30_000;
    try {
      await waitForReady(this.docker, b.id, since, timeout, ready, true).catch(async (e) => {
        const tail = (await containerLogs(this.docker, b.id).catch(() => '')).trim().split('\n').slice(-5).join(' | ');
        throw new Error(`docker runtime: node ${b.name}: ${(e as Error).message}${tail ? `; its log ends: ${tail}` : ''}`);
      });
    } catch (e) {
      await this.refresh(b).catch(() => {});
      throw e;
    }
  }

  /** Each node is asked on its own loop, so one that hangs (not serving yet) holds nobody up. */
  private async waitForPrimary(role: string, timeoutMs: number): Promise<void> {
    const end = Date.now() + timeoutMs;
    let found = false;
    const last = new Map<string, string | null>();
    await Promise.all([...this.boxes.keys()].map(async (n) => {
      while (!found && Date.now() < end) {
        const st = await this.status(n);
        last.set(n, st?.role ?? null);
        if (st?.role === role) found = true;
        else await this.sleep(50);
      }
    }));
    if (!found) throw new Error(`docker runtime: no node reports role '${role}' within ${timeoutMs} ms of boot (last seen: ${JSON.stringify(Object.fromEntries(last))})`);
  }

  /** The helpers up() started without waiting; a helper that failed fails the next fault. */
  private settled(): Promise<void> {
    return this.settling;
  }

  /** A new life is a new network namespace: a new helper, the address, and every cut that
   *  touches the node re-applied (its own rules are gone; its address may have changed under
   *  the rules of the others). */
  private async newLife(b: Box): Promise<void> {
    await b.helper?.remove();
    b.helper = undefined;
    b.ip = undefined;
    b.helper = await NetHelper.attach(this.docker, {
      image: this.helperImage,
      name: `${b.container}-net-${Date.now().toString(36)}`,
      targetId: b.id,
      labels: { ...this.labels, [LABEL.node]: b.name },
    });
    await this.ip(b);
    const receivers = new Set<string>([b.name]);
    for (const key of this.cuts) {
      const [from, to] = key.split('>') as [string, string];
      if (from === b.name) receivers.add(to);
    }
    // Impairments likewise: its own egress (nothing is applied in a new namespace), and the
    // senders towards it (its address may have changed under their rules).
    const senders = new Set<string>(this.sendersTo(b.name));
    if ([...this.impairments.keys()].some((k) => k.startsWith(`${b.name}>`))) senders.add(b.name);
    await Promise.all([...[...receivers].map((r) => this.rebuildRules(r)), ...[...senders].map((s) => this.rebuildNetem(s))]);
  }

  private async ip(b: Box): Promise<string | undefined> {
    if (b.ip || b.life === 'dead' || b.life === 'destroyed') return b.ip;
    const info = await this.docker.getContainer(b.id).inspect();
    for (const n of Object.values(info.NetworkSettings.Networks ?? {})) if (n.NetworkID === this.network) b.ip = n.IPAddress || undefined;
    return b.ip;
  }

  /** Forgets what belonged to a container's life: its address and its helper; senders that
   *  impair links towards it drop the rule naming that address (another node restarting may
   *  be given it). */
  private async endLife(b: Box): Promise<void> {
    b.ip = undefined;
    const h = b.helper;
    b.helper = undefined;
    await h?.remove();
    await Promise.all(this.sendersTo(b.name).map((s) => this.rebuildNetem(s)));
  }

  /** The engine's word on a container: a server that exited by itself is dead, not running. */
  private async refresh(b: Box): Promise<void> {
    if (b.life === 'destroyed' || !b.id) return;
    const st = (await this.docker.getContainer(b.id).inspect()).State;
    const life: Life = st.Paused ? 'paused' : st.Running ? 'running' : 'dead';
    if (life === 'dead' && b.life !== 'dead') await this.endLife(b);
    b.life = life;
  }

  private box(node: string): Box {
    const b = this.boxes.get(node);
    if (!b) throw new Error(`docker runtime: node ${node} is not part of this cluster`);
    return b;
  }

  private live(node: string): Box {
    const b = this.box(node);
    if (b.life === 'destroyed') throw new Error(`docker runtime: node ${node} was destroyed`);
    // An empty id would reach the engine as a malformed path (it tries to resolve a host
    // named "containers"): say what happened instead.
    if (!b.id) throw new Error(`docker runtime: node ${node} has no container (the cluster never came up)`);
    return b;
  }

  /** Where a node lives, for tests and the bench. */
  where(node: string): { container: string; id: string; hostPort: number; life: Life; ip?: string; helper?: string } {
    const b = this.box(node);
    return { container: b.container, id: b.id, hostPort: b.hostPort, life: b.life, ip: b.ip, helper: b.helper?.id };
  }

  /** The INPUT rules in force in a node's namespace (tests). */
  async rules(node: string): Promise<string[]> {
    await this.settled();
    const b = this.box(node);
    return b.helper ? b.helper.rules() : [];
  }

  /** The link impairments applied in a node's namespace: its CHAOS-NETEM rules and its live
   *  chaos-netemd processes (tests). */
  async netemState(node: string): Promise<NetemState> {
    await this.settled();
    const b = this.box(node);
    return b.helper ? b.helper.netemState() : { rules: [], daemons: 0 };
  }

  /** The INPUT chain of a node's namespace with packet counters (tests). */
  async ruleCounters(node: string): Promise<string> {
    await this.settled();
    const b = this.box(node);
    return b.helper ? b.helper.counters() : '';
  }

  client(node: string): Client {
    if (!this.system || !this.spec) throw new Error('docker runtime: client() before up()');
    const b = this.box(node);
    const c = this.system.client(node, { host: '127.0.0.1', port: b.hostPort }, { timeoutMs: this.spec.clientTimeoutMs, params: this.spec.params });
    this.clients.add(c);
    return c;
  }

  async status(node: string): Promise<NodeStatus | null> {
    const b = this.box(node);
    if (b.life !== 'running' || !this.system) return null;
    b.admin ??= this.client(node);
    const timeout = (this.spec?.clientTimeoutMs ?? 1000) * 2;
    return withTimeout(this.system.status(b.admin).catch(() => null), timeout, null);
  }

  async kill(node: string): Promise<void> {
    await this.settled();
    const b = this.live(node);
    if (b.life === 'dead') return;
    const c = this.docker.getContainer(b.id);
    // The engine refuses to signal a frozen container; thaw it just to kill it.
    if (b.life === 'paused') await c.unpause().catch(() => {});
    await c.kill({ signal: 'SIGKILL' }).catch((e: { statusCode?: number }) => {
      if (e.statusCode !== 409) throw e; // 409: not running already
    });
    await c.wait({ condition: 'not-running' }).catch(() => {});
    b.life = 'dead';
    await this.endLife(b);
  }

  async start(node: string): Promise<void> {
    await this.settled();
    const b = this.live(node);
    await this.refresh(b);
    if (b.life === 'running') return;
    if (b.life === 'paused') return this.resume(node);
    await this.startBox(b);
  }

  async pause(node: string): Promise<void> {
    await this.settled();
    const b = this.live(node);
    if (b.life !== 'running') return;
    // The cgroup freezer gives up when a task of the container sits in uninterruptible sleep
    // (an fsync on a busy disk); runc thaws it again and the engine answers 500 "unable to
    // freeze". That is the moment, not the container: try again shortly, a few times.
    for (let attempt = 1; ; attempt++) {
      try {
        await this.docker.getContainer(b.id).pause();
        break;
      } catch (e) {
        if (attempt >= 4 || !/unable to freeze/i.test((e as Error).message)) throw e;
        await this.sleep(25 * attempt);
      }
    }
    b.life = 'paused';
  }

  async resume(node: string): Promise<void> {
    await this.settled();
    const b = this.live(node);
    if (b.life !== 'paused') return;
    await this.docker.getContainer(b.id).unpause();
    b.life = 'running';
  }

  private withRules<T>(to: string, fn: () => Promise<T>): Promise<T> {
    const next = (this.ruleLocks.get(to) ?? Promise.resolve()).then(fn);
    this.ruleLocks.set(to, next.catch(() => {}));
    return next;
  }

  async cut(from: string, to: string): Promise<void> {
    await this.settled();
    if (from === to) return;
    const key = `${from}>${to}`;
    this.box(from);
    const receiver = this.live(to);
    if (this.cuts.has(key)) return;
    this.cuts.add(key);
    // A dead receiver has no namespace and a dead sender no address: their next start applies
    // the cut. A paused receiver is fine: its helper is not frozen with it.
    const ip = await this.ip(this.box(from));
    if (!receiver.helper || !ip) return;
    await this.withRules(to, async () => {
      if (this.cuts.has(key)) await receiver.helper?.addDrop(ip);
    });
  }

  async heal(from: string, to: string): Promise<void> {
    await this.settled();
    if (!this.cuts.delete(`${from}>${to}`)) return;
    const receiver = this.boxes.get(to);
    const ip = this.boxes.get(from)?.ip;
    if (!receiver?.helper || !ip) return this.rebuildRules(to);
    // Deleting the one rule costs what adding it did (a flush and rebuild of the chain costs
    // several times more); when it is not there as expected, the chain is rebuilt instead.
    await this.withRules(to, async () => {
      const more = [...this.cuts].some((k) => k.endsWith(`>${to}`) && this.boxes.get(k.split('>')[0]!)?.ip === ip);
      if (more) return;
      await receiver.helper?.dropRule(ip).catch(() => this.rebuildNow(to));
    });
  }

  /** Sets `to`'s INPUT chain to exactly its active cuts. */
  private rebuildRules(to: string): Promise<void> {
    return this.withRules(to, () => this.rebuildNow(to));
  }

  private async rebuildNow(to: string): Promise<void> {
    const b = this.boxes.get(to);
    if (!b?.helper) return;
    const ips: string[] = [];
    for (const key of this.cuts) {
      const [from, dest] = key.split('>') as [string, string];
      if (dest !== to) continue;
      const ip = await this.ip(this.box(from));
      if (ip) ips.push(ip);
    }
    await b.helper.setDrops(ips);
  }

  /**
   * Impairs the one-way link from -> to as tc netem would (added delay with uniform jitter,
   * chances of loss, duplication and reordering), or with null restores it; a second call
   * replaces the impairment. Done on `from`'s egress by its helper (netns.ts: NFQUEUE to a
   * chaos-netemd per link), matched by `to`'s address on the run's network, so only
   * node-to-node traffic is touched. Like cuts, impairments outlive restarts of either end, and
   * a paused node keeps getting them (its helper is not frozen).
   */
  async netem(from: string, to: string, impairment: LinkImpairment | null): Promise<void> {
    const imp = impairment === null ? null : checkImpairment(from, to, impairment);
    await this.settled();
    // Restoring a link of a node destroyed meanwhile is nothing to do (destroy dropped it).
    for (const n of [from, to]) if (imp) this.live(n); else this.box(n);
    if (from === to) return;
    const key = `${from}>${to}`;
    if (imp) this.impairments.set(key, imp);
    else if (!this.impairments.delete(key)) return;
    await this.rebuildNetem(from);
  }

  private sendersTo(node: string): string[] {
    return [...this.impairments.keys()].filter((k) => k.endsWith(`>${node}`)).map((k) => k.split('>')[0]!);
  }

  /** Sets `from`'s impaired links to exactly the active impairments from it. A dead sender has
   *  no namespace (its start applies them); a dead receiver no address (skipped until it starts). */
  private rebuildNetem(from: string): Promise<void> {
    return this.withRules(`netem>${from}`, async () => {
      const b = this.boxes.get(from);
      if (!b?.helper) return;
      const links = new Map<string, { ip: string; args: string[] }>();
      for (const [key, imp] of this.impairments) {
        const [f, t] = key.split('>') as [string, string];
        if (f !== from) continue;
        const ip = await this.ip(this.box(t));
        if (ip) links.set(t, { ip, args: netemdArgs(imp) });
      }
      await b.helper.setNetem(links, () => ((this.spec?.seed ?? 0) >>> 0) * 65_536 + (++this.netemDraws % 65_536));
    });
  }

  async destroy(node: string): Promise<void> {
    await this.settled();
    const b = this.box(node);
    if (b.life === 'destroyed') return;
    b.lastLogs = await containerLogs(this.docker, b.id).catch(() => '');
    await b.admin?.close().catch(() => {});
    b.admin = undefined;
    const senders = this.sendersTo(node);
    for (const key of [...this.impairments.keys()]) if (key.split('>').includes(node)) this.impairments.delete(key);
    await this.endLife(b);
    await Promise.all(senders.map((s) => this.rebuildNetem(s)));
    await this.docker.getContainer(b.id).remove({ force: true, v: false }).catch(() => {});
    b.life = 'destroyed';
    if (b.volume) await this.docker.getVolume(b.volume).remove().catch(() => {});
    for (const key of [...this.cuts]) if (key.split('>').includes(node)) this.cuts.delete(key);
    // A shared volume goes with the last node that mounts it.
    for (const v of Object.keys(b.spec.sharedVolumes ?? {})) {
      const users = [...this.boxes.values()].some((o) => o.life !== 'destroyed' && o.spec.sharedVolumes?.[v] !== undefined);
      if (!users && this.shared.has(v)) {
        await this.docker.getVolume(this.shared.get(v)!).remove().catch(() => {});
        this.shared.delete(v);
      }
    }
  }

  async exec(node: string, argv: string[]): Promise<{ code: number; output: string }> {
    const b = this.live(node);
    if (b.life !== 'running') throw new Error(`docker runtime: exec in ${node}: it is ${b.life}`);
    return execIn(this.docker, b.id, argv);
  }

  async putFile(node: string, path: string, content: Buffer | string): Promise<void> {
    const b = this.live(node);
    const data = Buffer.from(content);
    const entry = { kind: 'content' as const, path: `/${posix.basename(path)}`, content: data, mode: 0o644 };
    // The engine copies into a stopped container too (its volumes included).
    await this.docker.getContainer(b.id).putArchive(tarStream([entry], [], new Map()), { path: posix.dirname(path) });
  }

  /** The marks each live node's status reports, summed. A node counts from its own start, so a
   *  restart forgets what its earlier life hit (the simulator keeps whole-run counts). */
  async coverage(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const b of this.boxes.values()) {
      if (b.life !== 'running') continue;
      const st = await this.status(b.name).catch(() => null);
      const m = st?.marks;
      if (m && typeof m === 'object') for (const [k, v] of Object.entries(m as Record<string, unknown>)) if (typeof v === 'number') out[k] = (out[k] ?? 0) + v;
    }
    return out;
  }

  async logs(node: string): Promise<string> {
    const b = this.box(node);
    if (b.life === 'destroyed' || !b.id) return b.lastLogs ?? '';
    return containerLogs(this.docker, b.id).catch(() => b.lastLogs ?? '');
  }

  async healAll(): Promise<void> {
    await this.settled();
    // A node whose container was never created (up() failed) has nothing to heal.
    const alive = [...this.boxes.values()].filter((b) => b.life !== 'destroyed' && b.id);
    await Promise.all(alive.map((b) => this.refresh(b)));
    await Promise.all(alive.filter((b) => b.life === 'paused').map(async (b) => {
      await this.docker.getContainer(b.id).unpause();
      b.life = 'running';
    }));
    this.cuts.clear();
    this.impairments.clear();
    await Promise.all(alive.filter((b) => b.helper).flatMap((b) => [
      this.withRules(b.name, () => b.helper!.setDrops([])),
      this.rebuildNetem(b.name),
    ]));
    // Dead ones together: a quorum system may need several back before any says it is ready.
    await Promise.all(alive.filter((b) => b.life === 'dead').map((b) => this.startBox(b)));
  }

  async down(): Promise<void> {
    // A helper still being made would outlive the removal below.
    await this.settling.catch(() => {});
    await Promise.all([...this.clients].map((c) => c.close().catch(() => {})));
    this.clients.clear();
    for (const b of this.boxes.values()) {
      if (b.life !== 'destroyed' && b.id) b.lastLogs = await containerLogs(this.docker, b.id).catch(() => b.lastLogs ?? '');
      b.admin = undefined;
      b.helper?.remove().catch(() => {});
      b.helper = undefined;
      b.life = 'destroyed';
    }
    this.cuts.clear();
    this.impairments.clear();
    await removeChaosResources(this.docker, { runId: this.runId });
  }
}

export function createContainerRuntime(opts: ContainerRuntimeOptions): ContainerRuntime {
  return new ContainerRuntime(opts);
}
