// The primary's image as a test sees it: every acked write with its version, so the image at
// any version cut can be rebuilt and compared with what dr holds.
import type { ClientReply, DrImage } from '../types.js';

export class Model {
  readonly writes: { v: number; block: number; value: string }[] = [];

  note(block: number, value: string, reply: ClientReply | null | undefined): void {
    if (reply && reply.ok && typeof reply.version === 'number') this.writes.push({ v: reply.version, block, value });
  }

  /** block -> value of the latest write with version <= cut. */
  imageAt(cut: number): Record<number, string> {
    const latest = new Map<number, { v: number; value: string }>();
    for (const w of this.writes) {
      if (w.v > cut) continue;
      const cur = latest.get(w.block);
      if (!cur || cur.v < w.v) latest.set(w.block, { v: w.v, value: w.value });
    }
    const out: Record<number, string> = {};
    for (const k of [...latest.keys()].sort((x, y) => x - y)) out[k] = latest.get(k)!.value;
    return out;
  }

  latest(): Record<number, string> { return this.imageAt(Number.MAX_SAFE_INTEGER); }
}

export function values(img: DrImage): Record<number, string> {
  const out: Record<number, string> = {};
  for (const k of Object.keys(img.blocks).map(Number).sort((x, y) => x - y)) out[k] = img.blocks[k].value;
  return out;
}
