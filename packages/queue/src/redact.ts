/**
 * Keeping the token out of everything this package shows. Every string taken from a response
 * (message text, `detail`, request id, error type, stream data, echoed headers) passes through
 * one redactor *before* it is cut to length, and every cut drops a partial token at its edge,
 * so a server that echoes the token at the cut point leaks none of it.
 *
 * Walks are iterative: a deeply nested body cannot overflow the stack.
 */

/** What a secret is replaced with. */
export const REDACTED = "[redacted]";
const MARK = REDACTED;
// Shorter strings would shred ordinary words; real tokens are long.
const MIN_SECRET_LENGTH = 4;
// A run of this many characters of a secret, anywhere, is redacted too (a server may have cut
// the token itself, or shown its tail).
const MIN_FRAGMENT_LENGTH = 6;

/** Replaces every secret (and every run of 6+ of its characters) in a string. */
export interface Redactor {
  (text: string): string;
  /** Length of the longest secret variant: how far a cut must look past its edge. */
  readonly longest: number;
  /** Removes a trailing start of a secret left by cutting a string at `text.length`. */
  dropPartialAtEnd(text: string): string;
  /** Whole secrets only: cheap enough for large results, which are the caller's own data. */
  exact(text: string): string;
}

export function createRedactor(secrets: readonly (string | undefined)[]): Redactor {
  const variants = new Set<string>();
  for (const secret of secrets) {
    if (typeof secret !== "string" || secret.length < MIN_SECRET_LENGTH) continue;
    variants.add(secret);
    // A server may echo it URL-encoded (query strings, redirect targets).
    variants.add(encodeURIComponent(secret));
  }
  const list = [...variants];
  // Each secret's runs to look for, cut once here rather than on every call.
  const searches = list.map((secret) => ({ secret, needles: needlesOf(secret) }));
  const redact = ((text: string) => {
    let out = text;
    for (const { secret, needles } of searches) out = redactOne(out, secret, needles);
    return out;
  }) as Redactor;
  Object.defineProperty(redact, "longest", { value: Math.max(0, ...list.map((s) => s.length)) });
  Object.defineProperty(redact, "exact", {
    value: (text: string) => list.reduce((acc, secret) => (acc.includes(secret) ? acc.split(secret).join(MARK) : acc), text),
  });
  Object.defineProperty(redact, "dropPartialAtEnd", {
    value: (text: string) => {
      let out = text;
      for (const secret of list) {
        for (let k = Math.min(secret.length - 1, out.length); k > 0; k--) {
          if (out.endsWith(secret.slice(0, k))) {
            out = out.slice(0, out.length - k);
            break;
          }
        }
      }
      return out;
    },
  });
  return redact;
}

/** Every run of MIN_FRAGMENT_LENGTH characters of the secret (the whole secret if shorter), by start index. */
function needlesOf(secret: string): string[] {
  const n = Math.min(MIN_FRAGMENT_LENGTH, secret.length);
  const needles: string[] = [];
  for (let i = 0; i + n <= secret.length; i++) needles.push(secret.slice(i, i + n));
  return needles;
}

function redactOne(text: string, secret: string, needles: readonly string[]): string {
  const n = Math.min(MIN_FRAGMENT_LENGTH, secret.length);
  if (text.length < n) return text;
  // Ranges [start, end) of the text that are runs of the secret's characters, in secret order.
  const ranges: [number, number][] = [];
  for (let i = 0; i < needles.length; i++) {
    const needle = needles[i] as string;
    for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + 1)) {
      let start = at;
      let end = at + n;
      for (let j = i - 1; start > 0 && j >= 0 && text[start - 1] === secret[j]; j--) start--;
      for (let j = i + n; end < text.length && j < secret.length && text[end] === secret[j]; j++) end++;
      ranges.push([start, end]);
    }
  }
  if (ranges.length === 0) return text;
  ranges.sort((a, b) => a[0] - b[0]);
  let out = "";
  let cursor = 0;
  for (const [start, end] of ranges) {
    if (end <= cursor) continue;
    // Overlapping runs share one mark.
    if (start >= cursor) out += `${text.slice(cursor, start)}${MARK}`;
    cursor = end;
  }
  return out + text.slice(cursor);
}

/**
 * Redacts, then cuts to `max` characters (with "…"). Only a window a token's length past `max`
 * is redacted, so a huge body costs nothing more, and a token straddling the window's edge or
 * the cut is dropped, not half-shown.
 */
export function redactAndClip(text: string, max: number, redact: Redactor): string {
  const windowEnd = max + redact.longest + 1;
  const cutWindow = text.length > windowEnd;
  let out = redact(cutWindow ? text.slice(0, windowEnd) : text);
  if (cutWindow) out = redact.dropPartialAtEnd(out);
  if (out.length > max) return `${redact.dropPartialAtEnd(out.slice(0, max))}…`;
  return cutWindow ? `${out}…` : out;
}

const TOO_DEEP = "[nested too deeply]";

/**
 * A copy of a parsed JSON value with every string (keys included) redacted. Iterative; nodes
 * below `maxDepth` become a marker string (an error's `detail` is meant to be logged, and a
 * logger's own recursive JSON.stringify would overflow on a hostile depth).
 */
export function redactValue(value: unknown, redact: (text: string) => string, maxDepth = Number.POSITIVE_INFINITY): unknown {
  const root: { value?: unknown } = {};
  const stack: { source: unknown; target: Record<string, unknown> | unknown[]; key: string | number; depth: number }[] = [
    { source: value, target: root as Record<string, unknown>, key: "value", depth: 0 },
  ];
  const put = (target: Record<string, unknown> | unknown[], key: string | number, v: unknown) => {
    // defineProperty: a "__proto__" key from JSON must stay a plain own property.
    Object.defineProperty(target, key, { value: v, writable: true, enumerable: true, configurable: true });
  };
  for (let frame = stack.pop(); frame !== undefined; frame = stack.pop()) {
    const { source, target, key, depth } = frame;
    if (typeof source === "string") put(target, key, redact(source));
    else if (source === null || typeof source !== "object") put(target, key, source);
    else if (depth >= maxDepth) put(target, key, TOO_DEEP);
    else if (Array.isArray(source)) {
      const copy: unknown[] = new Array(source.length);
      put(target, key, copy);
      for (let i = source.length - 1; i >= 0; i--) stack.push({ source: source[i], target: copy, key: i, depth: depth + 1 });
    } else {
      const copy: Record<string, unknown> = {};
      put(target, key, copy);
      const entries = Object.entries(source);
      // Keys first, in order; values are filled in as the stack unwinds.
      for (const [k] of entries) put(copy, redact(k), undefined);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [k, v] = entries[i] as [string, unknown];
        stack.push({ source: v, target: copy, key: redact(k), depth: depth + 1 });
      }
    }
  }
  return root.value;
}

/** Marks text already written, as opposed to a value still to serialize. */
class Literal {
  constructor(readonly text: string) {}
}

/**
 * JSON text of a value, stopping once it passes `max` characters. Iterative (no RangeError on
 * deep values), never throws (cycles, BigInt and functions print as markers).
 */
export function previewJson(value: unknown, max: number): string {
  let out = "";
  const onPath = new Set<object>();
  const stack: unknown[] = [value];
  while (stack.length > 0 && out.length <= max) {
    const item = stack.pop();
    if (item instanceof Literal) {
      out += item.text;
      continue;
    }
    if (item instanceof Leave) {
      onPath.delete(item.node);
      continue;
    }
    if (typeof item === "string") out += JSON.stringify(item.length > max ? item.slice(0, max + 1) : item);
    else if (typeof item === "number" || typeof item === "boolean") out += JSON.stringify(item);
    else if (item === null || item === undefined) out += "null";
    else if (typeof item === "bigint") out += item.toString();
    else if (typeof item !== "object") out += `"[${typeof item}]"`;
    else if (onPath.has(item)) out += '"[cycle]"';
    else {
      onPath.add(item);
      stack.push(new Leave(item));
      const isArray = Array.isArray(item);
      const entries: [string, unknown][] = isArray ? (item as unknown[]).map((v, i) => [String(i), v]) : Object.entries(item);
      stack.push(new Literal(isArray ? "]" : "}"));
      for (let i = entries.length - 1; i >= 0; i--) {
        const [k, v] = entries[i] as [string, unknown];
        stack.push(v);
        if (!isArray) stack.push(new Literal(`${JSON.stringify(k)}:`));
        if (i > 0) stack.push(new Literal(","));
      }
      out += isArray ? "[" : "{";
    }
  }
  return out;
}

class Leave {
  constructor(readonly node: object) {}
}

/** A short, redacted text for any value taken from a response. */
export function describeValue(value: unknown, max: number, redact: Redactor): string {
  const text = typeof value === "string" ? value : previewJson(value, max + redact.longest + 1);
  return redactAndClip(text, max, redact);
}

/**
 * A stand-in for a transport error's cause chain with every message redacted (an injected fetch
 * or a proxy may quote the Authorization header). Keeps `name` and `code` for callers that
 * branch on them.
 */
export function sanitizeCause(cause: unknown, redact: Redactor, depth = 0): unknown {
  if (cause === undefined || cause === null) return cause;
  if (depth > 5) return undefined;
  if (typeof cause !== "object") return redactAndClip(String(cause), 500, redact);
  const source = cause as { name?: unknown; message?: unknown; code?: unknown; cause?: unknown; errors?: unknown };
  const copy = new Error(redactAndClip(typeof source.message === "string" ? source.message : previewJson(cause, 200), 500, redact));
  if (typeof source.name === "string") copy.name = redactAndClip(source.name, 100, redact);
  if (typeof source.code === "string") Object.assign(copy, { code: redactAndClip(source.code, 100, redact) });
  if (Array.isArray(source.errors)) {
    Object.assign(copy, { errors: source.errors.slice(0, 10).map((e: unknown) => sanitizeCause(e, redact, depth + 1)) });
  }
  const inner = sanitizeCause(source.cause, redact, depth + 1);
  if (inner !== undefined) Object.assign(copy, { cause: inner });
  return copy;
}
