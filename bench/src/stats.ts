/** Small statistics helpers: every figure in the report is a median of several runs. */
import { performance } from "node:perf_hooks";

export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export const median = (values: readonly number[]) => quantile(values, 0.5);
export const p95 = (values: readonly number[]) => quantile(values, 0.95);
export const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;

/** Runs `fn` `runs` times (after `warmup` unmeasured runs) and returns each run's value. */
export async function repeat<T>(runs: number, fn: (run: number) => Promise<T>, warmup = 0): Promise<T[]> {
  for (let i = 0; i < warmup; i++) await fn(-1 - i);
  const out: T[] = [];
  for (let i = 0; i < runs; i++) out.push(await fn(i));
  return out;
}

export async function timeMs(fn: () => Promise<unknown> | unknown): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/** Wall-clock time with sub-ms resolution, comparable across processes on one machine. */
export const wallNow = (): number => performance.timeOrigin + performance.now();

export function fmt(value: number, digits = 1): string {
  if (!Number.isFinite(value)) return "n/a";
  return value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export const fmtKB = (bytes: number) => `${fmt(bytes / 1024, 2)} KB`;
export const ratio = (a: number, b: number) => `${fmt(a / b, 2)}x`;
