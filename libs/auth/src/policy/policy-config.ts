import { ConfigError, env } from '@volume/platform';
import { loadPolicy, PolicyEnforcer } from './policy-enforcer';
import { PolicyFileError } from './policy-file';

/** The variable that names the policy file; an app spreads this into its config schema. */
export const policyConfigSchema = {
  POLICY_FILE: env.string(
    "Cinder policy.yaml whose rules override the defaults (oslo.policy's language; `npm run policy` prints the result); empty = the defaults",
    '',
  ),
};

/**
 * The policy an app's configuration names. A file that cannot be used is bad configuration: the
 * app stops at start with a message naming the file and the line.
 * @throws ConfigError
 */
export function policyFromConfig(app: string, config: { POLICY_FILE: string }): PolicyEnforcer {
  try {
    return loadPolicy(config.POLICY_FILE || undefined);
  } catch (err) {
    if (err instanceof PolicyFileError) throw new ConfigError(app, [`POLICY_FILE: ${err.message}`]);
    throw err;
  }
}
