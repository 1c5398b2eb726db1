// The docker runtime: a, b and dr as real containers of the node image on one private network.
// testcontainers starts them and waits for the server's `ready` line; dockerode does the rest
// (exec for iptables, kill, pause, restart, logs). Every resource carries the run's labels, and
// this module removes them itself: the testcontainers reaper needs a registry and is off.
process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
process.env.TESTCONTAINERS_HOST_OVERRIDE ??= 'localhost';

import { createHash } from 'node:crypto';
import { createServer } from 'node:net';
import Docker from 'dockerode';
import type { Client, ClusterInfo, ContainerSpec, NodeStatus } from '../../../ground/system.js';
import { tarStream } from '../../../nodes/image/tar.js';
import type { ClusterSpec, Runtime, RuntimeFactory } from '../types.js';
import { removeChaosResources } from './cleanup.js';
import { ContainerShell, containerLogs, execIn, waitForReady } from './dockerio.js';
import { LABEL, ownerLabels } from './ownership.js';

export { isDockerAvailable } from './engine.js';

const READY_TIMEOUT_MS = 30_000;

type Life = 'running' | 'paused' | 'dead' | 'destroyed';

type NodeName = string;

interface NodeBox {
  name: NodeName;
  spec: ContainerSpec;
  container: string; // name == DNS name on the run's network
  id: string;
  hostPort: number;
  volume: string;
  life: Life;
  /** Log text kept from before the container was removed (destroy, down). */
  lastLogs?: string;
  admin?: Client;
  /** Address on the run's network in the current life (a restart may change it). */
  ip?: string;
  shell?: ContainerShell;
}

/** Docker object names allow [a-zA-Z0-9_.-]; run ids are free-form. A shortened id keeps a
 *  hash of the whole, so two long ids that share a prefix still name different objects. */
export function slug(runId: string): string {
  const s = runId.replace(/[^a-zA-Z0-9_.-]+/g, '-').replace(/^[^a-zA-Z0-9]+/, '') || 'run';
  return s.length <= 48 ? s : `${s.slice(0, 41)}-${createHash('sha256').update(runId).digest('hex').slice(0, 6)}`;
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

export class DockerRuntime implements Runtime {
  readonly kind = 'docker' as const;
  private readonly docker = new Docker();
  private readonly t0 = process.hrtime.bigint();
  private spec?: ClusterSpec;
  private network?: string;
  /** Shared volumes by name (the block store's backend) -> docker volume name. */
  private readonly shared = new Map<string, string>();
  private readonly nodes = new Map<NodeName, NodeBox>();
  /** Active one-way cuts as "from>to"; rules live in `to`'s INPUT chain. */
  private readonly cuts = new Set<string>();
  private readonly clients = new Set<Client>();
  /** Receivers whose rule changes waited while they were frozen. */
  private readonly missed = new Set<NodeName>();
  /** Rule changes of one receiver run one after another (a rebuild reads the cut set). */
  private readonly ruleLocks = new Map<NodeName, Promise<unknown>>();
  private labels: Record<string, string> = {};

  constructor(private readonly runId: string) {}

  now(): number {
    return Number(process.hrtime.bigint() - this.t0);
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  /** Where the last up() spent its time (ms per phase), for the bench. */
  upTimings: Record<string, number> = {};

  async up(spec: ClusterSpec): Promise<void> {
    this.spec = spec;
    const runId = spec.runId || this.runId;
    let mark = performance.now();
    const phase = (name: string) => {
      const now = performance.now();
      this.upTimings[name] = now - mark;
      mark = now;
    };
    const s = slug(runId);
    const host = (n: NodeName) => `chaos-${s}-${n}`;
    const cluster: ClusterInfo = { runId, nodes: spec.nodes, host, bugs: spec.bugs, params: spec.params, seed: spec.seed };
    const specs = new Map(spec.nodes.map((n) => [n, spec.system.container(n, cluster)] as const));
    // Independent preparations at once: leftovers of harnesses that died (kill -9 included),
    // the images (each system builds its own offline), and loading testcontainers.
    const images = new Map<string, Promise<string>>();
    for (const c of specs.values()) if (!images.has(c.image.name)) images.set(c.image.name, c.image.ensure());
    const [, tags, tc] = await Promise.all([
      removeChaosResources(this.docker, { onlyDead: true }),
      Promise.all([...images].map(async ([name, p]) => [name, await p] as const)).then((xs) => new Map(xs)),
      loadTestcontainers(),
    ]);
    phase('prepare');
    this.labels = ownerLabels(runId);
    for (const c of specs.values()) for (const v of Object.keys(c.sharedVolumes ?? {})) this.shared.set(v, `chaos-${s}-shared-${v}`);
    for (const name of spec.nodes) {
      this.nodes.set(name, { name, spec: specs.get(name)!, container: host(name), id: '', hostPort: await freePort(), volume: `chaos-${s}-${name}`, life: 'dead' });
    }
    const [net] = await Promise.all([
      this.docker.createNetwork({ Name: `chaos-${s}`, Driver: 'bridge', CheckDuplicate: true, Labels: this.labels }),
      ...[...this.shared.values()].map((v) => this.docker.createVolume({ Name: v, Labels: this.labels })),
      ...[...this.nodes.values()].map((b) => this.docker.createVolume({ Name: b.volume, Labels: { ...this.labels, [LABEL.node]: b.name } })),
    ]);
    this.network = net.id;
    phase('network+volumes');
    const { GenericContainer, Wait } = tc;
    // testcontainers publishes on every interface; the cluster must be reachable from loopback only.
    class LoopbackContainer extends GenericContainer {
      protected override async beforeContainerCreated(): Promise<void> {
        for (const bindings of Object.values(this.hostConfig.PortBindings ?? {})) {
          for (const b of (bindings as { HostIp?: string }[] | undefined) ?? []) b.HostIp = '127.0.0.1';
        }
      }
    }
    await Promise.all(
      spec.nodes.map(async (name) => {
        const box = this.nodes.get(name)!;
        const c = box.spec;
        const mounts = c.dataDir ? [{ source: box.volume, target: c.dataDir }] : [];
        for (const [v, target] of Object.entries(c.sharedVolumes ?? {})) mounts.push({ source: this.shared.get(v)!, target });
        // testcontainers removes a container that fails its wait, logs and all; keep its words.
        let early = '';
        const launch = () =>
          new LoopbackContainer(tags.get(c.image.name)!)
            .withLogConsumer((stream) => {
              stream.on('data', (d: Buffer | string) => {
                if (early.length < 1 << 14) early += String(d);
              });
              stream.on('error', () => {});
            })
            .withName(box.container)
            .withNetworkMode(net.id)
            .withLabels({ ...this.labels, [LABEL.node]: name })
            .withExposedPorts({ container: c.clientPort, host: box.hostPort })
            .withBindMounts(mounts)
            .withAddedCapabilities('NET_ADMIN')
            .withCommand(c.command)
            .withEnvironment(c.env ?? {})
            .withWaitStrategy(Wait.forLogMessage(c.readyLog))
            .withStartupTimeout(c.startupTimeoutMs ?? READY_TIMEOUT_MS)
            .start();
        let started;
        for (let attempt = 1; ; attempt++) {
          try {
            started = await launch();
            break;
          } catch (e) {
            const msg = (e as Error).message;
            const logs = early || (await containerLogs(this.docker, box.container).catch(() => ''));
            await this.docker.getContainer(box.container).remove({ force: true }).catch(() => {});
            // The free port picked at up() can be taken by someone else before the engine binds it.
            if (attempt < 3 && /port is already allocated|address already in use/i.test(msg)) {
              box.hostPort = await freePort();
              continue;
            }
            const tail = logs.trim().split('\n').slice(-5).join(' | ');
            throw new Error(`docker runtime: node ${name} did not start: ${msg.split('\n')[0]}${tail ? `; its log ends: ${tail}` : ''}`);
          }
        }
        box.id = started.getId();
        box.life = 'running';
        // Ready the partition machinery now so the first fault does not pay for it.
        box.shell = await ContainerShell.open(this.docker, box.id);
        await this.ip(name);
      }),
    );
    phase('containers to ready');
  }

  async down(): Promise<void> {
    for (const c of this.clients) await c.close().catch(() => {});
    this.clients.clear();
    for (const box of this.nodes.values()) {
      if (box.life !== 'destroyed' && box.id) box.lastLogs = await containerLogs(this.docker, box.id).catch(() => box.lastLogs ?? '');
      box.admin = undefined;
      this.endLife(box);
      box.life = 'destroyed';
    }
    const runId = this.spec?.runId || this.runId;
    await removeChaosResources(this.docker, { runId });
    this.cuts.clear();
  }

  /** Where a node lives, for tests and the bench (probes from inside, raw host connects). */
  where(node: NodeName): { container: string; id: string; hostPort: number; life: Life; ip?: string } {
    const b = this.box(node);
    return { container: b.container, id: b.id, hostPort: b.hostPort, life: b.life, ip: b.ip };
  }

  private box(node: NodeName): NodeBox {
    const b = this.nodes.get(node);
    if (!b) throw new Error(`docker runtime: node ${node} is not part of this cluster`);
    return b;
  }

  private live(node: NodeName): NodeBox {
    const b = this.box(node);
    if (b.life === 'destroyed') throw new Error(`docker runtime: node ${node} was destroyed`);
    return b;
  }

  client(node: NodeName): Client {
    const b = this.box(node);
    const c = this.spec!.system.client(node, { host: '127.0.0.1', port: b.hostPort }, { timeoutMs: this.spec?.clientTimeoutMs ?? 1000 });
    this.clients.add(c);
    return c;
  }

  private admin(node: NodeName): Client {
    const b = this.box(node);
    b.admin ??= this.client(node);
    return b.admin;
  }

  async kill(node: NodeName): Promise<void> {
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
    this.endLife(b);
  }

  /** Writes a file into the node's container, running or stopped (the engine copies it into
   *  the container's filesystem or the volume mounted there). */
  async putFile(node: NodeName, path: string, content: Buffer | string): Promise<void> {
    const b = this.live(node);
    const slash = path.lastIndexOf('/');
    const dir = path.slice(0, slash) || '/';
    const entry = { kind: 'content', path: path.slice(slash + 1), content: Buffer.from(content), mode: 0o644 } as const;
    await this.docker.getContainer(b.id).putArchive(tarStream([entry], [], new Map()), { path: dir });
  }

  /** Runs argv in the node's running container. */
  async exec(node: NodeName, argv: string[]): Promise<{ code: number; output: string }> {
    const b = this.live(node);
    return execIn(this.docker, b.id, argv);
  }

  /** The engine's word on a container: a server that exited by itself is dead, not running. */
  private async refresh(b: NodeBox): Promise<void> {
    if (b.life === 'destroyed' || !b.id) return;
    const st = (await this.docker.getContainer(b.id).inspect()).State;
    const life: Life = st.Paused ? 'paused' : st.Running ? 'running' : 'dead';
    if (life === 'dead' && b.life !== 'dead') this.endLife(b);
    b.life = life;
  }

  async start(node: NodeName): Promise<void> {
    const b = this.live(node);
    await this.refresh(b);
    if (b.life === 'running') return;
    if (b.life === 'paused') return this.resume(node);
    const since = Date.now() / 1000;
    await this.docker.getContainer(b.id).start();
    b.life = 'running';
    b.shell = await ContainerShell.open(this.docker, b.id);
    // A new life is a new network namespace: its INPUT rules are gone, and its address may have
    // changed under the rules of the others. Re-apply every cut that touches it.
    await Promise.all([waitForReady(this.docker, b.id, since, b.spec.startupTimeoutMs ?? READY_TIMEOUT_MS, b.spec.readyLog), this.reapplyCuts(node)]);
  }

  async pause(node: NodeName): Promise<void> {
    const b = this.live(node);
    if (b.life !== 'running') return;
    await this.docker.getContainer(b.id).pause();
    b.life = 'paused';
  }

  async resume(node: NodeName): Promise<void> {
    const b = this.live(node);
    if (b.life !== 'paused') return;
    await this.docker.getContainer(b.id).unpause();
    b.life = 'running';
    if (this.missed.delete(node)) await this.rebuildRules(node);
  }

  private async ip(node: NodeName): Promise<string | null> {
    const b = this.box(node);
    if (b.life === 'destroyed' || b.life === 'dead') return null;
    if (b.ip) return b.ip;
    const info = await this.docker.getContainer(b.id).inspect();
    const nets = info.NetworkSettings.Networks ?? {};
    for (const n of Object.values(nets)) if (n.NetworkID === this.network) b.ip = n.IPAddress || undefined;
    return b.ip ?? null;
  }

  /** Forgets what belonged to a container's previous life: its address and its shell. */
  private endLife(b: NodeBox): void {
    b.ip = undefined;
    b.shell?.close();
    b.shell = undefined;
  }

  private iptables(node: NodeName, script: string): Promise<void> {
    return this.sh(node, script, 'iptables');
  }

  /** Runs a shell script in a running container through its kept shell (an exec if that broke). */
  private async sh(node: NodeName, script: string, what: string): Promise<void> {
    const b = this.box(node);
    let r;
    try {
      if (!b.shell?.alive) b.shell = await ContainerShell.open(this.docker, b.id);
      r = await b.shell.run(script);
    } catch {
      // The kept shell broke (it dies with its container's life); one plain exec instead.
      b.shell?.close();
      b.shell = undefined;
      r = await execIn(this.docker, b.id, ['/bin/sh', '-c', script]);
    }
    if (r.code !== 0) throw new Error(`docker runtime: ${what} in ${node} failed (${r.code}): ${r.output.trim()}`);
  }

  private withRules<T>(to: NodeName, fn: () => Promise<T>): Promise<T> {
    const next = (this.ruleLocks.get(to) ?? Promise.resolve()).then(fn);
    this.ruleLocks.set(to, next.catch(() => {}));
    return next;
  }

  async cut(from: NodeName, to: NodeName): Promise<void> {
    const key = `${from}>${to}`;
    if (this.cuts.has(key)) return;
    this.cuts.add(key);
    const receiver = this.box(to);
    const ip = await this.ip(from);
    // A frozen or dead receiver cannot run iptables; resume/start re-applies its cuts. A dead
    // sender has no address; its start re-applies the cut in the receiver.
    if (receiver.life === 'paused') this.missed.add(to);
    if (receiver.life !== 'running' || !ip) return;
    await this.withRules(to, () => this.iptables(to, `iptables -w -A INPUT -s ${ip} -j DROP`));
  }

  async heal(from: NodeName, to: NodeName): Promise<void> {
    if (!this.cuts.delete(`${from}>${to}`)) return;
    const life = this.box(to).life;
    if (life === 'paused') this.missed.add(to);
    if (life !== 'running') return;
    await this.rebuildRules(to);
  }

  /** Sets `to`'s INPUT chain to exactly its active cuts. */
  private rebuildRules(to: NodeName): Promise<void> {
    return this.withRules(to, () => this.rebuildRulesNow(to));
  }

  private async rebuildRulesNow(to: NodeName): Promise<void> {
    const lines = ['iptables -w -F INPUT'];
    for (const key of this.cuts) {
      const [from, dest] = key.split('>') as [NodeName, NodeName];
      if (dest !== to) continue;
      const ip = await this.ip(from);
      if (ip) lines.push(`iptables -w -A INPUT -s ${ip} -j DROP`);
    }
    await this.iptables(to, lines.join(' && '));
  }

  /** After a start (a new network namespace, maybe a new address), brings the INPUT chains
   *  that involve `node` up to date. */
  private async reapplyCuts(node: NodeName): Promise<void> {
    this.missed.delete(node);
    const receivers = new Set<NodeName>();
    for (const key of this.cuts) {
      const [from, to] = key.split('>') as [NodeName, NodeName];
      if (to === node || from === node) receivers.add(to);
    }
    await Promise.all([...receivers].filter((r) => this.box(r).life === 'running').map((r) => this.rebuildRules(r)));
  }

  async destroy(node: NodeName): Promise<void> {
    const b = this.box(node);
    if (b.life === 'destroyed') return;
    b.lastLogs = await containerLogs(this.docker, b.id).catch(() => '');
    await b.admin?.close().catch(() => {});
    b.admin = undefined;
    await this.docker.getContainer(b.id).remove({ force: true, v: false });
    b.life = 'destroyed';
    this.endLife(b);
    await this.docker.getVolume(b.volume).remove().catch(() => {});
    for (const key of [...this.cuts]) if (key.includes(node)) this.cuts.delete(key);
    // A shared volume (the block store's backend is site storage) goes with the last node
    // that mounts it.
    for (const v of Object.keys(b.spec.sharedVolumes ?? {})) {
      const inUse = [...this.nodes.values()].some((n) => n.life !== 'destroyed' && v in (n.spec.sharedVolumes ?? {}));
      const name = this.shared.get(v);
      if (!inUse && name) {
        await this.docker.getVolume(name).remove().catch(() => {});
        this.shared.delete(v);
      }
    }
  }

  async logs(node: NodeName): Promise<string> {
    const b = this.box(node);
    if (b.life === 'destroyed' || !b.id) return b.lastLogs ?? '';
    return containerLogs(this.docker, b.id).catch(() => b.lastLogs ?? '');
  }

  async status(node: NodeName): Promise<NodeStatus | null> {
    const b = this.box(node);
    if (b.life !== 'running') return null;
    return this.spec!.system.status(this.admin(node));
  }

  async healAll(): Promise<void> {
    const alive = [...this.nodes.values()].filter((b) => b.life !== 'destroyed');
    await Promise.all(alive.map((b) => this.refresh(b)));
    await Promise.all(alive.filter((b) => b.life === 'paused').map((b) => this.docker.getContainer(b.id).unpause().then(() => { b.life = 'running'; })));
    this.cuts.clear();
    this.missed.clear();
    await Promise.all(alive.filter((b) => b.life === 'running').map((b) => this.withRules(b.name, () => this.iptables(b.name, 'iptables -w -F INPUT'))));
    await Promise.all(alive.filter((b) => b.life === 'dead').map((b) => this.start(b.name)));
  }
}

/** testcontainers takes a second or more to load cold; start loading it with the runtime. */
let testcontainers: Promise<typeof import('testcontainers')> | undefined;
function loadTestcontainers(): Promise<typeof import('testcontainers')> {
  testcontainers ??= import('testcontainers');
  return testcontainers;
}

export const createDockerRuntime: RuntimeFactory = ({ runId }) => {
  void loadTestcontainers().catch(() => {});
  return new DockerRuntime(runId);
};
