// Partitions of images that are not ours: a small helper container joins the target's network
// namespace (`NetworkMode: container:<id>`) and holds the only NET_ADMIN of the pair, so the
// target needs nothing installed and no privilege. The helper image is the host's iptables
// (nf_tables backend) with its extension modules and libraries, `sh` and `sleep`, built offline
// like every other image. A kept shell in the helper applies a rule in a few ms.
import type Docker from 'dockerode';
import { binaryImage, modulesIn } from '../../../nodes/image/binary.js';
import { XTABLES_DIR, which } from '../../../nodes/image/rootfs.js';
import { ContainerShell } from './dockerio.js';
import { LABEL } from './ownership.js';

/** The helper image: iptables and enough of a shell to drive it. */
export const netHelperImage = binaryImage({
  repo: 'chaos-nethelper',
  binaries: ['/bin/sh'],
  programs: ['iptables', 'iptables-save', 'sleep'],
  modules: modulesIn(XTABLES_DIR),
  // The helper only waits; the runtime speaks to it through a kept shell.
  entrypoint: [which('sleep'), 'infinity'],
});

/** A running helper bound to one life of one target container. */
export class NetHelper {
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
    if (!this.shell.alive) this.shell = await ContainerShell.open(this.docker, this.id);
    const r = await this.shell.run(script);
    if (r.code !== 0) throw new Error(`partition helper: '${script}' failed (${r.code}): ${r.output.trim()}`);
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

  async remove(): Promise<void> {
    this.shell.close();
    await this.docker.getContainer(this.id).remove({ force: true }).catch(() => {});
  }
}
