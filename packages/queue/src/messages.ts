/** Phrases the error messages share. */
import type { InputIssue } from "@fluxkit/protocol";

/** What to do after a submit whose outcome is unknown; appended to such errors' messages. */
export function jobMayExistHint(requestId: string | undefined): string {
  return requestId === undefined
    ? " A job may have been created, but its request id is unknown: check the provider's request log before submitting again."
    : ` A job may have been created as request ${requestId}: look it up with status({ endpoint, requestId: "${requestId}" }), or cancel it, before submitting again.`;
}

/** `path: message; …`, as error messages list issues. */
export function formatIssues(issues: readonly InputIssue[]): string {
  return issues.map((i) => `${i.path === "" ? "(root)" : i.path}: ${i.message}`).join("; ");
}
