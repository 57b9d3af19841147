import type { CostCounters } from './instrument';

/** The q-quantile (0..1) of `values`, nearest rank; NaN for no values. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

export const median = (values: readonly number[]) => quantile(values, 0.5);

/** Milliseconds since `start` (a `performance.now()` reading). */
export const since = (start: number) => performance.now() - start;

export function ms(value: number, digits = 1): string {
  return Number.isFinite(value) ? `${value.toFixed(digits)} ms` : 'n/a';
}

export function num(value: number, digits = 0): string {
  if (!Number.isFinite(value)) return 'n/a';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Capacity units: DynamoDB reports halves (eventually consistent reads), so one decimal is exact. */
export function units(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

export function bytes(value: number): string {
  return `${num(value)} B (${(value / 1024).toFixed(1)} KiB)`;
}

/** `{ GetItem: 1, BatchGetItem: 1 }` as `BatchGetItem 1, GetItem 1`, sorted so that runs compare. */
export function calls(counters: Pick<CostCounters, 'dynamoCalls'>): string {
  const entries = Object.entries(counters.dynamoCalls).sort(([a], [b]) => a.localeCompare(b));
  return entries.length === 0 ? 'none' : entries.map(([name, count]) => `${name} ${count}`).join(', ');
}

export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell) => cell.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** A target the issue states, and whether this run met it. */
export interface TargetResult {
  readonly target: string;
  readonly pass: boolean;
  readonly measured: string;
  /** Why it missed, and what would meet it (for a miss). */
  readonly note?: string;
}

/** One section of the report. */
export interface Section {
  readonly title: string;
  readonly markdown: string;
  readonly targets: readonly TargetResult[];
}
