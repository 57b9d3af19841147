/**
 * Timestamps as Barbican reads and writes them. Input goes through oslo's `parse_isotime`
 * (the iso8601 library: its grammar, UTC when no zone is given); output is Python's
 * `datetime.isoformat()` of a naive UTC time: microseconds, shown only when not zero, no zone.
 * Instants are kept as bigint microseconds since the epoch: Barbican keeps microseconds, and
 * year 9999 in microseconds is past Number's exact range.
 */

/** The iso8601 library's grammar (`ISO8601_REGEX`), group for group. */
const ISO8601 = new RegExp(
  [
    '^(?<year>[0-9]{4})',
    '(',
    '((-(?<monthdash>[0-9]{1,2}))|(?<month>[0-9]{2})(?!$))',
    '(',
    '((-(?<daydash>[0-9]{1,2}))|(?<day>[0-9]{2}))',
    '(',
    '(?<separator>[ T])(?<hour>[0-9]{2})',
    '(:{0,1}(?<minute>[0-9]{2})){0,1}',
    '(:{0,1}(?<second>[0-9]{1,2})([.,](?<fraction>[0-9]+)){0,1}){0,1}',
    '(?<timezone>Z|((?<tzSign>[-+])(?<tzHour>[0-9]{2}):{0,1}(?<tzMinute>[0-9]{2}){0,1})){0,1}',
    '){0,1}',
    '){0,1}',
    '){0,1}$',
  ].join(''),
);

const MICROS_PER_MS = 1000n;
const MICROS_PER_MINUTE = 60_000_000n;

/**
 * `timeutils.parse_isotime`: the instant a string names, or undefined where Barbican would
 * answer "invalid" (no match, a field out of range, a zone of a day or more, a year outside
 * 1..9999 once in UTC).
 */
export function parseIsoTime(text: string): bigint | undefined {
  const groups = ISO8601.exec(text)?.groups;
  if (!groups) return undefined;
  const number = (value: string | undefined, fallback: number) =>
    value === undefined ? fallback : Number(value);
  const year = number(groups.year, 0);
  const month = number(groups.month ?? groups.monthdash, 1);
  const day = number(groups.day ?? groups.daydash, 1);
  const hour = number(groups.hour, 0);
  const minute = number(groups.minute, 0);
  const second = number(groups.second, 0);
  // Decimal("0.<digits>") * 1000000, truncated: the first six digits.
  const micro = groups.fraction === undefined ? 0 : Number(groups.fraction.slice(0, 6).padEnd(6, '0'));
  if (year < 1 || month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return undefined;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, 0);
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return undefined;
  let offsetMinutes = 0;
  if (groups.timezone !== undefined && groups.timezone !== 'Z') {
    offsetMinutes = number(groups.tzHour, 0) * 60 + number(groups.tzMinute, 0);
    if (offsetMinutes >= 24 * 60) return undefined;
    if (groups.tzSign === '-') offsetMinutes = -offsetMinutes;
  }
  const instant =
    BigInt(date.getTime()) * MICROS_PER_MS + BigInt(micro) - BigInt(offsetMinutes) * MICROS_PER_MINUTE;
  return instant >= MIN_INSTANT && instant <= MAX_INSTANT ? instant : undefined;
}

/** 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999999Z: Python's datetime range. */
const MIN_INSTANT = -62135596800000000n;
const MAX_INSTANT = 253402300799999999n;

/** The stored form: `YYYY-MM-DDTHH:MM:SS.ffffffZ`, fixed width, so strings sort as instants do. */
export function formatStoredTime(instant: bigint): string {
  const { date, micro } = split(instant);
  return `${datePart(date)}.${String(micro).padStart(6, '0')}Z`;
}

/** Python's `isoformat()` of the naive UTC datetime: `.ffffff` only when there are microseconds. */
export function pythonIsoFormat(instant: bigint): string {
  const { date, micro } = split(instant);
  return micro === 0 ? datePart(date) : `${datePart(date)}.${String(micro).padStart(6, '0')}`;
}

/** The instant of a stored timestamp (ours, or JavaScript's `toISOString()`). */
export function instantOf(stored: string): bigint {
  const match = /^(.*)\.(\d+)Z$/.exec(stored);
  const whole = match?.[1] ?? stored.replace(/Z$/, '');
  const fraction = (match?.[2] ?? '').slice(0, 6).padEnd(6, '0');
  const date = new Date(`${whole}Z`);
  return BigInt(date.getTime()) * MICROS_PER_MS + BigInt(Number(fraction));
}

export function instantFromDate(date: Date): bigint {
  return BigInt(date.getTime()) * MICROS_PER_MS;
}

function split(instant: bigint): { date: Date; micro: number } {
  let ms = instant / MICROS_PER_MS;
  let micro = Number(instant % 1_000_000n);
  if (micro < 0) micro += 1_000_000;
  if (instant < 0n && instant % MICROS_PER_MS !== 0n) ms -= 1n;
  const date = new Date(Number(ms));
  return { date, micro };
}

function datePart(date: Date): string {
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  return (
    `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}` +
    `T${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}`
  );
}
