/** The scheme of the Authorization header: `Bearer <token>` (the gateways) or `Key <token>` (fal). */
export type AuthScheme = "bearer" | "key";

/** One row of the provider table (generated from specs/providers.yaml). */
export interface ProviderPreset {
  /** The queue's base URL, e.g. `https://queue.fal.run`. */
  readonly baseUrl: string;
  readonly auth: AuthScheme;
  /** The environment variable the token is read from, e.g. `FAL_KEY`. */
  readonly tokenEnv: string;
}
