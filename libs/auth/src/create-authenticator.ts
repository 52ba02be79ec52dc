import { Logger } from 'pino';
import { Authenticator, noauthAuthenticator } from './authenticator';
import { KeystoneAuthenticator, KeystoneDeps } from './keystone/keystone.authenticator';
import { AuthConfig } from './keystone/keystone.config';

/**
 * The authenticator AUTH_STRATEGY names. Keystone's takes its settings as checked by
 * `checkKeystoneConfig` at start; `deps` replace the network and the clock in tests.
 */
export function createAuthenticator(config: AuthConfig, log: Logger, deps: KeystoneDeps = {}): Authenticator {
  if (config.AUTH_STRATEGY === 'noauth') return noauthAuthenticator();
  return new KeystoneAuthenticator(config, log.child({ component: 'keystone-auth' }), deps);
}
