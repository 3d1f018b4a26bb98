/** Test helpers: emulators closed after each test, and a tiny fetch client that plays by the provider's rules. */
import { afterEach } from "vitest";
import { createEmulator, type Emulator, type EmulatorOptions } from "../src/index.js";

const open = new Set<Emulator>();

afterEach(async () => {
  await Promise.all([...open].map((e) => e.close()));
  open.clear();
});

export async function start(options: EmulatorOptions = {}): Promise<Emulator> {
  const emulator = await createEmulator(options);
  open.add(emulator);
  return emulator;
}

export interface Reply {
  readonly status: number;
  readonly headers: Headers;
  // Tests inspect arbitrary JSON; narrowing happens in the assertions.
  // biome-ignore lint/suspicious/noExplicitAny: parsed JSON of any shape, asserted field by field
  readonly body: any;
}

export interface Client {
  submit(path: string, input: unknown, init?: { headers?: Record<string, string>; query?: string }): Promise<Reply>;
  get(urlOrPath: string, headers?: Record<string, string>): Promise<Reply>;
  put(urlOrPath: string, headers?: Record<string, string>): Promise<Reply>;
  /** Follows a URL from a queue answer on the emulator, as clients rebase gateway URLs. */
  local(url: string): string;
  authHeader: Record<string, string>;
}

export function client(emulator: Emulator, token = "test-token"): Client {
  const authHeader = { authorization: `${emulator.auth === "bearer" ? "Bearer" : "Key"} ${token}` };
  const local = (url: string): string => {
    if (url.startsWith("/")) return `${emulator.url}${url}`;
    const u = new URL(url);
    return `${emulator.url}${u.pathname}${u.search}`;
  };
  const send = async (url: string, init: RequestInit): Promise<Reply> => {
    const response = await fetch(url, init);
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, headers: response.headers, body };
  };
  return {
    authHeader,
    local,
    submit: (path, input, init = {}) =>
      send(`${emulator.url}${path}${init.query === undefined ? "" : `?${init.query}`}`, {
        method: "POST",
        headers: { ...authHeader, "content-type": "application/json", ...init.headers },
        body: typeof input === "string" ? input : JSON.stringify(input),
      }),
    get: (url, headers = {}) => send(local(url), { headers: { ...authHeader, ...headers } }),
    put: (url, headers = {}) => send(local(url), { method: "PUT", headers: { ...authHeader, ...headers } }),
  };
}

/** Polls until `check` returns a value; bounded by attempts, not time assertions. */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, attempts = 500): Promise<T> {
  for (let i = 0; i < attempts; i++) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error("condition not reached");
}

export const LORA = "/fal-ai/flux-lora";
export const LORA_I2I = "/fal-ai/flux-lora/image-to-image";
export const DEV_I2I = "/fal-ai/flux-1/dev/image-to-image";
/** Small sizes keep image encoding cheap in tests. */
export const SMALL = { width: 64, height: 48 };
