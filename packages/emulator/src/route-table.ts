/** The queue routes of the served endpoints, from their spec operations, and which one a request is for. */
import type { RouteName } from "./faults.js";
import type { EndpointSpec, OperationId } from "./spec-catalog.js";

export type FollowUpOperationId = Exclude<OperationId, "submit">;

/** A route on a job: status, status stream, result or cancel. */
export interface FollowUpRoute {
  readonly operationId: FollowUpOperationId;
  readonly route: RouteName;
  readonly method: string;
  readonly pattern: RegExp;
  readonly app: string;
  readonly endpoint: EndpointSpec;
}

export type RouteMatch =
  | { readonly kind: "submit"; readonly endpoint: EndpointSpec }
  | { readonly kind: "follow-up"; readonly route: FollowUpRoute; readonly requestId: string }
  /** The path is a queue route, not for this method. */
  | { readonly kind: "wrong-method" }
  | { readonly kind: "unknown" };

const ROUTE_OF: Readonly<Record<FollowUpOperationId, RouteName>> = {
  getStatus: "status",
  streamStatus: "stream",
  getResult: "result",
  cancel: "cancel",
};

export class RouteTable {
  readonly #submits: ReadonlyMap<string, EndpointSpec>;
  readonly #followUps: readonly FollowUpRoute[];

  constructor(served: readonly EndpointSpec[]) {
    this.#submits = new Map(served.map((e) => [e.submit.path, e] as const));
    this.#followUps = served.flatMap((endpoint) =>
      endpoint.operations.flatMap((op): FollowUpRoute[] => {
        if (op.operationId === "submit") return [];
        const source = op.path.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace("{request_id}", "([^/]+)");
        return [
          { operationId: op.operationId, route: ROUTE_OF[op.operationId], method: op.method, pattern: new RegExp(`^${source}$`), app: endpoint.app, endpoint },
        ];
      }),
    );
  }

  match(method: string, path: string): RouteMatch {
    const submit = this.#submits.get(path);
    if (submit !== undefined && method === "POST") return { kind: "submit", endpoint: submit };
    for (const route of this.#followUps) {
      if (route.method !== method) continue;
      const match = route.pattern.exec(path);
      if (match?.[1] !== undefined) return { kind: "follow-up", route, requestId: decodeURIComponent(match[1]) };
    }
    const known = submit !== undefined || this.#followUps.some((r) => r.pattern.test(path));
    return { kind: known ? "wrong-method" : "unknown" };
  }
}
