/**
 * The Redis password comes from the environment only (never the command line, never logs).
 *
 * @module
 */

/** Variables read for the password, in order. */
export const PASSWORD_ENVS = ["FRAMEPIPE_REDIS_PASSWORD", "REDIS_PASSWORD"] as const;

/** A password and the variable it came from. */
export interface ResolvedPassword {
  /** The password. */
  password: string;
  /** Which variable held it. */
  from: (typeof PASSWORD_ENVS)[number];
}

/**
 * The password from `$FRAMEPIPE_REDIS_PASSWORD`, else `$REDIS_PASSWORD`, reading only the
 * variables the process may read (checked with `Deno.permissions.querySync` first, so runs
 * without a password need no `--allow-env`).
 *
 * @returns The password, or undefined.
 */
export function resolveRedisPassword(): ResolvedPassword | undefined {
  for (const name of PASSWORD_ENVS) {
    let state: Deno.PermissionState = "denied";
    try {
      state = Deno.permissions.querySync({ name: "env", variable: name }).state;
    } catch {
      // no permissions API: treat as not granted
    }
    if (state !== "granted") continue;
    const v = Deno.env.get(name);
    if (v) return { password: v, from: name };
  }
  return undefined;
}
