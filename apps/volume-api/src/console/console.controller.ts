import { Body, Controller, Get, HttpCode, Inject, OnModuleDestroy, Post } from '@nestjs/common';
import { CodedError, ErrorCode } from '@volume/contracts';
import { KeystoneClient, keystoneBaseUrl, KeystoneUnavailable } from '@volume/auth';
import { API_CONFIG } from '../api-config.token';
import type { ApiConfig } from '../config';
import { parseConsoleTokenRequest } from './console-token.request';

/** Keystone's answer to a wrong password, which the console shows as it is. */
const KEYSTONE_REFUSED = 'The request you have made requires authentication.';

/**
 * What the web console (apps/console, its files served by console-files.ts) asks before it has a
 * token: how to sign in, and, with Keystone, a token. The token is issued here, server-side,
 * because Keystone's CORS (off by default) would refuse the browser; the password goes on to
 * Keystone only and is never logged. No auth on these routes: they are how a caller gets it.
 */
@Controller('console')
export class ConsoleController implements OnModuleDestroy {
  private readonly stop = new AbortController();
  private readonly keystone: KeystoneClient | null;

  constructor(@Inject(API_CONFIG) private readonly config: ApiConfig) {
    this.keystone =
      config.AUTH_STRATEGY === 'keystone' ? new KeystoneClient(keystoneBaseUrl(config.KEYSTONE_AUTH_URL), config.KEYSTONE_TIMEOUT_S * 1000, fetch, this.stop.signal) : null;
  }

  @Get('config.json')
  settings() {
    const keystone = this.config.AUTH_STRATEGY === 'keystone';
    return {
      auth_strategy: this.config.AUTH_STRATEGY,
      keystone_url: keystone ? this.config.KEYSTONE_WWW_AUTHENTICATE_URI || this.config.KEYSTONE_AUTH_URL : null,
      token_path: '/console/api/token',
    };
  }

  @Post('api/token')
  @HttpCode(201)
  async token(@Body() body: unknown) {
    if (!this.keystone) throw new CodedError(ErrorCode.NotFound, 'The resource could not be found.');
    const credentials = parseConsoleTokenRequest(body);
    try {
      const issued = await this.keystone.issue(credentials);
      return { token: issued.token, project_id: issued.projectId, user: credentials.username, expires_at: new Date(issued.expiresAt).toISOString() };
    } catch (err) {
      if (err instanceof KeystoneUnavailable && (err.status === 401 || err.status === 404)) throw new CodedError(ErrorCode.Unauthorized, KEYSTONE_REFUSED);
      throw err;
    }
  }

  onModuleDestroy(): void {
    this.stop.abort();
  }
}
