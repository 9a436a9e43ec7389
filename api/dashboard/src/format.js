// Small helpers: HTML escaping, amounts in minor units, times.

export function esc(value) {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ({
    '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
  })[c]);
}

// ISO 4217 minor-unit exponents that are not 2 (amounts in the ledger are
// integers in minor units: fen, cents, sen).
const EXPONENTS = {
  BIF: 0, CLP: 0, DJF: 0, GNF: 0, ISK: 0, JPY: 0, KMF: 0, KRW: 0, PYG: 0, RWF: 0,
  UGX: 0, UYI: 0, VND: 0, VUV: 0, XAF: 0, XOF: 0, XPF: 0,
  BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3,
};

export function exponent(currency) {
  return EXPONENTS[currency] ?? 2;
}

// Minor units to major units (a float, for charts and display only; the
// figures compared and summed stay integers).
export function major(amount, currency) {
  return amount / 10 ** exponent(currency);
}

// "CNY 1,234,567.89"
export function money(amount, currency) {
  if (amount === null || amount === undefined) return '—';
  const e = exponent(currency);
  const negative = amount < 0;
  const abs = Math.abs(amount);
  const whole = Math.floor(abs / 10 ** e);
  const frac = abs - whole * 10 ** e;
  let text = whole.toLocaleString('en-US');
  if (e > 0) text += '.' + String(frac).padStart(e, '0');
  return `${currency} ${negative ? '-' : ''}${text}`;
}

// "CNY 12.3 m", for cards and axes.
export function compactMoney(amount, currency) {
  return `${currency} ${compact(major(amount, currency))}`;
}

export function compact(n) {
  const abs = Math.abs(n);
  if (abs >= 1e12) return (n / 1e12).toFixed(abs >= 1e13 ? 0 : 1) + ' tn';
  if (abs >= 1e9) return (n / 1e9).toFixed(abs >= 1e10 ? 0 : 1) + ' bn';
  if (abs >= 1e6) return (n / 1e6).toFixed(abs >= 1e7 ? 0 : 1) + ' m';
  if (abs >= 1e4) return (n / 1e3).toFixed(0) + ' k';
  return n.toLocaleString('en-US', {maximumFractionDigits: 2});
}

export function count(n) {
  return (n ?? 0).toLocaleString('en-US');
}

// "2016-01-01 09:00 UTC" from RFC 3339.
export function when(ts) {
  if (!ts) return '—';
  return ts.replace('T', ' ').replace(/(:\d\d)(\.\d+)?Z$/, '$1 UTC').replace(/:00 UTC$/, ' UTC');
}

export function day(ts) {
  return ts ? ts.slice(0, 10) : '—';
}

export function shortHex(hex, n = 8) {
  return hex ? hex.slice(0, n) : '';
}

// Runs fn at most once per `ms`, with the latest arguments, trailing.
export function throttle(fn, ms) {
  let timer = null;
  let last = 0;
  let args = null;
  return (...a) => {
    args = a;
    if (timer) return;
    const wait = Math.max(0, last + ms - Date.now());
    timer = setTimeout(() => {
      timer = null;
      last = Date.now();
      fn(...args);
    }, wait);
  };
}

export function debounce(fn, ms) {
  let timer = null;
  return (...a) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...a), ms);
  };
}
