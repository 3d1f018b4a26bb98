/**
 * Server URLs: fix scheme typos (`https:/host`, `https//host`, `https:///host`) and refuse
 * anything that is still not an absolute http(s) URL with a host.
 */
import { isObject, type JsonObject } from "../../json.js";
import { RuleError, type Rule } from "./types.js";

const SCHEME_TYPO = /^(https?)(?::\/{1}(?!\/)|\/\/|:\/{3,})(?=[^/])/i;

export function fixServerUrl(url: string): string {
  const trimmed = url.trim();
  const fixed = trimmed.replace(SCHEME_TYPO, (_, scheme: string) => `${scheme.toLowerCase()}://`);
  return fixed.replace(/\/+$/, "");
}

export function assertServerUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`"${url}" is not an absolute URL`);
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") throw new Error(`"${url}" is not http(s)`);
  if (!parsed.hostname || parsed.hostname.includes("..")) throw new Error(`"${url}" has no valid host`);
  if (parsed.protocol === "http:" && !["localhost", "127.0.0.1", "[::1]"].includes(parsed.hostname)) {
    throw new Error(`"${url}" uses plain http for a non-local host`);
  }
  return parsed;
}

export const serverUrls: Rule = {
  name: "server-urls",
  apply(doc, ctx) {
    const servers = doc.servers;
    if (servers === undefined) return;
    if (!Array.isArray(servers)) throw new RuleError(this.name, ctx.file, "`servers` is not a list");
    for (const [i, server] of servers.entries()) {
      if (!isObject(server) || typeof server.url !== "string") {
        throw new RuleError(this.name, ctx.file, `servers[${i}] has no url`);
      }
      const fixed = fixServerUrl(server.url);
      try {
        assertServerUrl(fixed);
      } catch (error) {
        throw new RuleError(this.name, ctx.file, `servers[${i}].url: ${(error as Error).message}`);
      }
      if (fixed !== server.url) {
        ctx.report(`servers[${i}].url: ${server.url} → ${fixed}`);
        (server as JsonObject).url = fixed;
      }
    }
  },
};
