/**
 * What `genconf` takes from the environment: the variables lib/settings.ts declares as read by
 * genconf, read once into a frozen value that is passed down; nothing else in genconf reads the
 * environment.
 *
 * @module
 */
import { type Environment, readSettings, type SettingsOf } from "../lib/settings.ts";

/** The inclusive port range `${random_port}` is drawn from. */
export interface PortRange {
  readonly min: number;
  readonly max: number;
}

/**
 * genconf's environment, typed: one property per variable (unset and empty ones are `undefined`
 * or their default), the two port variables joined into `portRange`.
 */
export type GenconfSettings =
  & Omit<SettingsOf<"genconf">, "randPortMin" | "randPortMax">
  & { readonly portRange: PortRange };

/**
 * Reads genconf's variables from `env` (a snapshot such as `Deno.env.toObject()`). A relative
 * `TARS_PATH` is taken from `cwd`. Bad values throw a RangeError or SyntaxError naming the variable.
 */
export function readGenconfSettings(
  env: Environment,
  options: { cwd: string },
): GenconfSettings {
  const { randPortMin: min, randPortMax: max, ...settings } = readSettings(env, "genconf", options);
  if (min > max) {
    throw new RangeError(
      `TARS_RAND_PORT_MIN (${min}) is above TARS_RAND_PORT_MAX (${max}); swap them`,
    );
  }
  return Object.freeze({ ...settings, portRange: Object.freeze({ min, max }) });
}
