// Binary search shared by the checkers that index sorted sequences (write versions per block,
// fault windows by start time): what keeps them n log n over million-op histories.

/** Index of the last position i in [0, length) with keyAt(i) <= v, or -1; keys non-decreasing. */
export function lastAtOrBelow(length: number, keyAt: (i: number) => number, v: number): number {
  let lo = 0;
  let hi = length - 1;
  let at = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (keyAt(mid) <= v) {
      at = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return at;
}
