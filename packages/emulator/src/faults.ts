/**
 * Fault injection: what can go wrong between a client and fal, on demand. Faults come from rules
 * (per run: option `faults` or `--fault`, or added at runtime) and from the request header
 * `x-fluxkit-fault: <name>[=<param>][, ...]`, which affects only that request (or, for job
 * faults, the job it submits).
 */
import { ConfigError } from "./config.js";
import type { Random } from "./random.js";

export const FAULT_NAMES = [
  "429",
  "500",
  "502",
  "503",
  "504",
  "504-user",
  "drop",
  "lost-response",
  "slow",
  "malformed-json",
  "job-error-422",
  "job-error-500",
  "result-422",
  "broken-stream",
] as const;
export type FaultName = (typeof FAULT_NAMES)[number];

export const ROUTES = ["submit", "status", "stream", "result", "cancel"] as const;
export type RouteName = (typeof ROUTES)[number];

export interface FaultRule {
  readonly fault: FaultName;
  /** Only requests to this route; any route the fault applies to when absent. */
  readonly route?: RouteName;
  /** How many matching requests get the fault; unlimited when absent. */
  readonly times?: number;
  /** Probability per matching request (0..1, seeded); 1 when absent. */
  readonly rate?: number;
  /** Only requests for this job (follow-ups) — submits have no id yet. */
  readonly requestId?: string;
  /** Only this endpoint id, e.g. `fal-ai/flux-lora`. */
  readonly endpoint?: string;
  /** `slow`: delay in ms (default 1000). */
  readonly delayMs?: number;
  /** `429`/`503`: the Retry-After value in seconds (default 1). */
  readonly retryAfterSeconds?: number;
}

/** A fault chosen for one request. */
export interface Fault {
  readonly name: FaultName;
  readonly delayMs?: number;
  readonly retryAfterSeconds?: number;
}

/** Faults that alter the job rather than the HTTP exchange: only meaningful on submit. */
export const JOB_FAULTS: ReadonlySet<FaultName> = new Set(["job-error-422", "job-error-500", "result-422"]);

export function appliesTo(name: FaultName, route: RouteName): boolean {
  if (JOB_FAULTS.has(name)) return route === "submit";
  if (name === "broken-stream") return route === "stream";
  return true;
}

export function parseFaultName(value: string, option: string): FaultName {
  if ((FAULT_NAMES as readonly string[]).includes(value)) return value as FaultName;
  throw new ConfigError(option, `Unknown fault "${value}" in ${option}: expected one of ${FAULT_NAMES.join(", ")}.`);
}

/** `name[=param]`: param is the delay in ms for `slow`, Retry-After seconds for 429/503. */
export function parseFault(text: string, option = "x-fluxkit-fault"): Fault {
  const [rawName = "", param] = text.trim().split("=", 2);
  const name = parseFaultName(rawName.trim(), option);
  if (param === undefined) return { name };
  const n = Number(param);
  if (!Number.isFinite(n) || n < 0) throw new ConfigError(option, `Invalid parameter "${param}" for fault ${name} in ${option}: expected a number >= 0.`);
  if (name === "slow") return { name, delayMs: n };
  if (name === "429" || name === "503") return { name, retryAfterSeconds: n };
  throw new ConfigError(option, `Fault ${name} takes no parameter (in ${option}).`);
}

/** CLI form: `[route:]name[=param][*times][@rate]`, e.g. `status:503*2`, `429=0@0.1`. */
export function parseFaultRule(text: string, option = "--fault"): FaultRule {
  const match = /^(?:([a-z]+):)?([^*@]+?)(?:\*(\d+))?(?:@([\d.]+))?$/.exec(text.trim());
  if (match === null) throw new ConfigError(option, `Invalid ${option} "${text}": expected [route:]name[=param][*times][@rate].`);
  const [, route, body = "", times, rate] = match;
  if (route !== undefined && !(ROUTES as readonly string[]).includes(route)) {
    throw new ConfigError(option, `Invalid route "${route}" in ${option} "${text}": expected one of ${ROUTES.join(", ")}.`);
  }
  const fault = parseFault(body, option);
  const rateValue = rate === undefined ? undefined : Number(rate);
  if (rateValue !== undefined && !(rateValue >= 0 && rateValue <= 1)) {
    throw new ConfigError(option, `Invalid rate "${rate ?? ""}" in ${option} "${text}": expected a number from 0 to 1.`);
  }
  return {
    fault: fault.name,
    ...(route === undefined ? {} : { route: route as RouteName }),
    ...(times === undefined ? {} : { times: Number(times) }),
    ...(rateValue === undefined ? {} : { rate: rateValue }),
    ...(fault.delayMs === undefined ? {} : { delayMs: fault.delayMs }),
    ...(fault.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: fault.retryAfterSeconds }),
  };
}

export function validateRule(rule: FaultRule, option = "faults"): FaultRule {
  parseFaultName(rule.fault, option);
  if (rule.route !== undefined && !(ROUTES as readonly string[]).includes(rule.route)) {
    throw new ConfigError(option, `Invalid route "${rule.route}" in ${option}: expected one of ${ROUTES.join(", ")}.`);
  }
  if (rule.route !== undefined && !appliesTo(rule.fault, rule.route)) {
    throw new ConfigError(option, `Fault ${rule.fault} cannot apply to route ${rule.route}.`);
  }
  return rule;
}

interface ActiveRule {
  readonly rule: FaultRule;
  remaining: number;
}

export interface FaultContext {
  readonly route: RouteName;
  readonly endpoint: string | undefined;
  readonly requestId: string | undefined;
  readonly header: string | undefined;
}

export class FaultInjector {
  readonly #rules: ActiveRule[] = [];
  readonly #random: Random;
  readonly #allowHeader: boolean;

  constructor(rules: readonly FaultRule[], random: Random, allowHeader: boolean) {
    this.#random = random;
    this.#allowHeader = allowHeader;
    for (const rule of rules) this.add(rule);
  }

  add(rule: FaultRule): void {
    validateRule(rule);
    this.#rules.push({ rule, remaining: rule.times ?? Number.POSITIVE_INFINITY });
  }

  clear(): void {
    this.#rules.length = 0;
  }

  /** The faults for one request; throws ConfigError for a malformed header (answered with 400). */
  pick(context: FaultContext): Fault[] {
    const faults: Fault[] = [];
    if (this.#allowHeader && context.header !== undefined && context.header.trim() !== "") {
      for (const part of context.header.split(",")) {
        const fault = parseFault(part);
        if (appliesTo(fault.name, context.route)) faults.push(fault);
      }
    }
    for (const active of this.#rules) {
      const { rule } = active;
      if (active.remaining <= 0) continue;
      if (!appliesTo(rule.fault, context.route)) continue;
      if (rule.route !== undefined && rule.route !== context.route) continue;
      if (rule.endpoint !== undefined && rule.endpoint !== context.endpoint) continue;
      if (rule.requestId !== undefined && rule.requestId !== context.requestId) continue;
      if (rule.rate !== undefined && this.#random() >= rule.rate) continue;
      active.remaining -= 1;
      faults.push({
        name: rule.fault,
        ...(rule.delayMs === undefined ? {} : { delayMs: rule.delayMs }),
        ...(rule.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: rule.retryAfterSeconds }),
      });
    }
    return faults;
  }
}

export interface InfrastructureError {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: { detail: string; error_type: string };
}

/** The answer fal's edge gives for an infrastructure fault, with the headers it sends. */
export function infrastructureError(fault: Fault): InfrastructureError | undefined {
  const retryAfter = String(fault.retryAfterSeconds ?? 1);
  const make = (status: number, type: string, detail: string, headers: Record<string, string> = {}): InfrastructureError => ({
    status,
    headers: { "x-fal-error-type": type, ...headers },
    body: { detail, error_type: type },
  });
  switch (fault.name) {
    case "429":
      return make(429, "rate_limited", "Too many requests: slow down and retry later.", { "retry-after": retryAfter, "x-fal-retryable": "true" });
    case "500":
      return make(500, "internal_server_error", "Internal server error.", { "x-fal-retryable": "false" });
    case "502":
      return make(502, "bad_gateway", "Bad gateway.");
    case "503":
      return make(503, "service_unavailable", "Service temporarily unavailable.", { "retry-after": retryAfter, "x-fal-retryable": "true" });
    case "504":
      return make(504, "gateway_timeout", "Gateway timeout.");
    case "504-user":
      return make(504, "request_timeout", "The request timed out (X-Fal-Request-Timeout).", {
        "x-fal-request-timeout-type": "user",
        "x-fal-retryable": "false",
      });
    default:
      return undefined;
  }
}
