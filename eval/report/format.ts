// Number formatting shared by the Markdown and HTML reports, so both print the same figures the same way.

const DASH = '–';

function finite(value: number | null | undefined): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** Fixed decimals, without a negative zero ("-0.00"). */
function fixed(value: number, digits: number): string {
  const text = value.toFixed(digits);
  return /^-0(\.0+)?$/.test(text) ? text.slice(1) : text;
}

/** A rate or score in [0, 1] (success rate, SPL, CI bounds): two decimals. */
export function formatRate(value: number): string {
  return finite(value) ? fixed(value, 2) : DASH;
}

/** A success rate with its 95% interval: `0.84 [0.77, 0.89]`. */
export function formatRateCi(rate: number, ci: { low: number; high: number }): string {
  return `${formatRate(rate)} [${formatRate(ci.low)}, ${formatRate(ci.high)}]`;
}

/** A signed difference of rates: `+0.12`, `-0.05`, `0.00`. */
export function formatDiff(value: number): string {
  if (!finite(value)) return DASH;
  const text = fixed(value, 2);
  return value > 0 && text !== '0.00' ? `+${text}` : text;
}

/** Milliseconds with precision that suits the magnitude: `0.042`, `3.14`, `42.1`, `1,234`. */
export function formatMs(value: number): string {
  if (!finite(value)) return DASH;
  const abs = Math.abs(value);
  if (abs === 0) return '0';
  if (abs < 0.001) return '<0.001';
  if (abs < 1) return String(Number(value.toPrecision(2)));
  if (abs < 10) return fixed(value, 2);
  if (abs < 100) return fixed(value, 1);
  return Math.round(value).toLocaleString('en-US');
}

/** A step count or other mean: one decimal. */
export function formatSteps(value: number): string {
  return finite(value) ? fixed(value, 1) : DASH;
}

/** A rate per second or per episode: more decimals for small values, grouped thousands for large ones. */
export function formatAmount(value: number): string {
  if (!finite(value)) return DASH;
  const abs = Math.abs(value);
  if (abs === 0) return '0';
  if (abs < 10) return fixed(value, 2);
  if (abs < 100) return fixed(value, 1);
  return Math.round(value).toLocaleString('en-US');
}

/** A whole count with grouped thousands. */
export function formatCount(value: number): string {
  return finite(value) ? Math.round(value).toLocaleString('en-US') : DASH;
}

/** A p-value: three decimals, `<0.001` below that, a dash when there is none. */
export function formatP(value: number | null): string {
  if (!finite(value)) return DASH;
  return value < 0.001 ? '<0.001' : fixed(value, 3);
}

/** A wall-clock duration: `0.84 s`, `12.3 s`, `2 min 05 s`, `1 h 02 min`. */
export function formatDuration(seconds: number): string {
  if (!finite(seconds)) return DASH;
  if (seconds < 10) return `${fixed(seconds, 2)} s`;
  if (seconds < 60) return `${fixed(seconds, 1)} s`;
  const whole = Math.round(seconds);
  const h = Math.floor(whole / 3600);
  const min = Math.floor((whole % 3600) / 60);
  const s = whole % 60;
  return h > 0 ? `${h} h ${String(min).padStart(2, '0')} min` : `${min} min ${String(s).padStart(2, '0')} s`;
}

/** A yes/no cell. */
export function formatBool(value: boolean): string {
  return value ? 'yes' : 'no';
}

/** A scope that may be null (every scenario, every family). */
export function formatScope(value: string | null): string {
  return value ?? 'all';
}

export { DASH };
