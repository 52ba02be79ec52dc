import { CINDER_POLICY_DEFAULTS, RuleDefault } from './cinder-policy-defaults';
import { COMPUTE_POLICY_DEFAULTS } from './compute-policy-defaults';

/**
 * Every rule of the deployment: volume-api's (Cinder's names) and the local compute host's
 * (Nova's names). Both apps know all of them, so one POLICY_FILE serves both and `policy` prints
 * the whole of it; each app asks only its own.
 */
export const POLICY_DEFAULTS: readonly RuleDefault[] = [...CINDER_POLICY_DEFAULTS, ...COMPUTE_POLICY_DEFAULTS];
