import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { OwnNatsServer, startNatsServer } from '@volume/testing';
import { NatsService } from './nats.service';

const log = pino({ level: 'silent' });

/** A CA and a server certificate for 127.0.0.1 signed by it (openssl), in `dir`. */
function makeCertificates(dir: string, name: string): { ca: string; cert: string; key: string } {
  const f = (x: string) => join(dir, `${name}-${x}`);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', `/CN=${name} test CA`, '-keyout', f('ca.key'), '-out', f('ca.pem'));
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', f('server.key'), '-out', f('server.csr'));
  writeFileSync(f('ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  ssl('x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '1', '-extfile', f('ext.cnf'), '-out', f('server.pem'));
  return { ca: f('ca.pem'), cert: f('server.pem'), key: f('server.key') };
}

async function refusal(p: Promise<NatsService>): Promise<string> {
  try {
    const svc = await p;
    await svc.connection.close();
    return 'connected';
  } catch (err) {
    return (err as Error).message;
  }
}

describe('NATS credentials and TLS (NATS_USER/NATS_PASSWORD, NATS_TLS_CA) against a real nats-server', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nats-auth-'));
  const servers: OwnNatsServer[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  describe('a server that requires a user and password', () => {
    let server: OwnNatsServer;
    beforeAll(async () => {
      server = await startNatsServer(['--user', 'volume', '--pass', 'correct horse']);
      servers.push(server);
    });

    it('when the app sends NATS_USER and NATS_PASSWORD, then it connects and can publish', async () => {
      const svc = await NatsService.connect(server.url, 't', log, '', { NATS_USER: 'volume', NATS_PASSWORD: 'correct horse' });
      await svc.connection.flush();
      expect(svc.isConnected).toBe(true);
      await svc.connection.close();
    });

    it.each([
      ['no credentials', {}],
      ['a wrong password', { NATS_USER: 'volume', NATS_PASSWORD: 'wrong' }],
    ])('when the app sends %s, then the server refuses it', async (_what, auth) => {
      expect(await refusal(NatsService.connect(server.url, 't', log, '', auth))).toMatch(/AUTHORIZATION_VIOLATION|Authorization/i);
    });
  });

  describe('a server with a TLS certificate', () => {
    let server: OwnNatsServer;
    let certs: ReturnType<typeof makeCertificates>;
    let otherCa: string;
    beforeAll(async () => {
      certs = makeCertificates(dir, 'good');
      otherCa = makeCertificates(dir, 'other').ca;
      server = await startNatsServer(['--tls', '--tlscert', certs.cert, '--tlskey', certs.key]);
      servers.push(server);
    });

    it('when NATS_TLS_CA names the CA that signed it, then the app connects over TLS', async () => {
      const svc = await NatsService.connect(server.url, 't', log, '', { NATS_TLS_CA: certs.ca });
      await svc.connection.flush();
      expect(svc.isConnected).toBe(true);
      await svc.connection.close();
    });

    it('when NATS_TLS_CA names another CA, then the app refuses the server (no clear-text fallback)', async () => {
      expect(await refusal(NatsService.connect(server.url, 't', log, '', { NATS_TLS_CA: otherCa }))).not.toBe('connected');
    });
  });
});
