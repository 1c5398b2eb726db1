// The server's command line: one stable contract shared with the docker runtime
// (nodes/server/README.md). Every mistake is an InputError of one line (exit 2).
import { parseArgs } from 'node:util';
import { InputError } from '../../../ground/errors.js';
import { BUG_SWITCHES, NODE_NAMES, type BugSwitch, type NodeConfig, type NodeName, type NodeParams } from '../core/types.js';
import type { PeerAddress } from './peers.js';

export interface ServerConfig {
  node: NodeConfig;
  dataDir: string;
  backendDir?: string;
  listen: PeerAddress;
  peers: Map<NodeName, PeerAddress>;
  dropUnsynced: boolean;
  /** Client connections served at once; more get a `too-many-connections` reply. */
  maxClients: number;
}

/** Defaults sized for a real network on one host: leases well above a scheduling hiccup. */
export const DEFAULT_PARAMS: NodeParams = {
  blocks: 64,
  maxValueBytes: 256,
  leaseMs: 1000,
  takeoverMs: 1500,
  heartbeatMs: 100,
  barrierMs: 50,
  barrierWrites: 32,
  journalCapacity: 10000,
  retryMs: 200,
};

/** Flag name -> NodeParams key; every param is settable from the command line. */
const PARAM_FLAGS: Record<string, keyof NodeParams> = {
  blocks: 'blocks',
  'max-value-bytes': 'maxValueBytes',
  'lease-ms': 'leaseMs',
  'takeover-ms': 'takeoverMs',
  'heartbeat-ms': 'heartbeatMs',
  'barrier-ms': 'barrierMs',
  'barrier-writes': 'barrierWrites',
  'journal-capacity': 'journalCapacity',
  'retry-ms': 'retryMs',
};

export const USAGE = `usage: server --name a|b|dr --role primary|partner|dr --data DIR [--backend DIR]
  --listen HOST:PORT [--peer NAME=HOST:PORT]... [--bug NAME]... [--drop-unsynced]
  [--blocks N] [--max-value-bytes N] [--lease-ms N] [--takeover-ms N] [--heartbeat-ms N]
  [--barrier-ms N] [--barrier-writes N] [--journal-capacity N] [--retry-ms N] [--max-clients N]`;

export function parseServerArgs(argv: string[], defaults: NodeParams = DEFAULT_PARAMS): ServerConfig {
  const paramOptions = Object.fromEntries(Object.keys(PARAM_FLAGS).map((k) => [k, { type: 'string' as const }]));
  let values: Record<string, string | boolean | string[] | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: {
        name: { type: 'string' },
        role: { type: 'string' },
        data: { type: 'string' },
        backend: { type: 'string' },
        listen: { type: 'string' },
        peer: { type: 'string', multiple: true },
        bug: { type: 'string', multiple: true },
        'drop-unsynced': { type: 'boolean' },
        'max-clients': { type: 'string' },
        ...paramOptions,
      },
    }) as { values: Record<string, string | boolean | string[] | undefined>; positionals: string[] });
  } catch (e) {
    // parseArgs messages are one line already, e.g. "Unknown option '--foo'".
    throw new InputError(String((e as Error).message).split('\n')[0], 'server');
  }
  if (positionals.length) throw new InputError(`unexpected argument ${JSON.stringify(positionals[0])}`, 'server');

  const name = need(values, 'name');
  if (!(NODE_NAMES as readonly string[]).includes(name)) throw new InputError(`expected a|b|dr, got ${JSON.stringify(name)}`, '--name');
  const role = need(values, 'role');
  if (role !== 'primary' && role !== 'partner' && role !== 'dr')
    throw new InputError(`expected primary|partner|dr, got ${JSON.stringify(role)}`, '--role');
  const dataDir = need(values, 'data');
  const listen = hostPort(need(values, 'listen'), '--listen');

  const peers = new Map<NodeName, PeerAddress>();
  for (const p of (values.peer as string[] | undefined) ?? []) {
    const eq = p.indexOf('=');
    const pn = eq > 0 ? p.slice(0, eq) : '';
    if (!(NODE_NAMES as readonly string[]).includes(pn)) throw new InputError(`expected NAME=HOST:PORT with NAME a|b|dr, got ${JSON.stringify(p)}`, '--peer');
    if (pn === name) throw new InputError(`a node is not its own peer (${p})`, '--peer');
    peers.set(pn as NodeName, hostPort(p.slice(eq + 1), '--peer'));
  }

  const bugs: BugSwitch[] = [];
  for (const b of (values.bug as string[] | undefined) ?? []) {
    if (!(BUG_SWITCHES as readonly string[]).includes(b))
      throw new InputError(`unknown bug switch ${JSON.stringify(b)}; known: ${BUG_SWITCHES.join(', ')}`, '--bug');
    if (!bugs.includes(b as BugSwitch)) bugs.push(b as BugSwitch);
  }

  const params: NodeParams = { ...defaults };
  for (const [flag, key] of Object.entries(PARAM_FLAGS)) {
    const v = values[flag];
    if (v !== undefined) params[key] = posInt(v as string, `--${flag}`);
  }
  const maxClients = values['max-clients'] !== undefined ? posInt(values['max-clients'] as string, '--max-clients') : 256;

  return {
    node: { name: name as NodeName, role, bugs, params },
    dataDir,
    backendDir: values.backend as string | undefined,
    listen,
    peers,
    dropUnsynced: values['drop-unsynced'] === true,
    maxClients,
  };
}

function need(values: Record<string, unknown>, flag: string): string {
  const v = values[flag];
  if (typeof v !== 'string' || v === '') throw new InputError('is required', `--${flag}`);
  return v;
}

function posInt(s: string, flag: string): number {
  if (!/^\d+$/.test(s) || Number(s) < 1 || !Number.isSafeInteger(Number(s))) throw new InputError(`expected a positive integer, got ${JSON.stringify(s)}`, flag);
  return Number(s);
}

function hostPort(s: string, flag: string): PeerAddress {
  const i = s.lastIndexOf(':');
  const host = i > 0 ? s.slice(0, i).replace(/^\[(.*)\]$/, '$1') : '';
  const port = i > 0 ? s.slice(i + 1) : '';
  if (!host || !/^\d+$/.test(port) || Number(port) > 65535) throw new InputError(`expected HOST:PORT, got ${JSON.stringify(s)}`, flag);
  return { host, port: Number(port) };
}
