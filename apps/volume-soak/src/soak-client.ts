import { DrillReply, DrillStack, MEMBER } from '@volume/testing-stack';
import { Callee, StepFailed } from './tally';

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface ApiCall {
  headers: Record<string, string>;
  body?: unknown;
  version?: string;
  /** The statuses that mean the step did what it asked; any other is a StepFailed. */
  expect: number[];
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Logs one line with the time of day, so that the soak's output reads beside the apps' logs. */
export function note(line: string): void {
  console.log(`${new Date().toISOString().slice(11, 23)} soak: ${line}`);
}

/** Polls the database this often: each poll is a connection of its own (it fails fast while PostgreSQL is down). */
const POLL_MS = 500;
/**
 * How long a call may take, as a client's patience: past volume-api's own bound on a call it makes
 * (10 s to a worker, the scheduler or nova-bridge, then 503), so that its answer is what is judged.
 */
const API_TIMEOUT_MS = 30_000;
const COMPUTE_TIMEOUT_MS = 30_000;

function networkMessage(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  return e.cause?.code ?? e.cause?.message ?? e.name ?? String(err);
}

/**
 * The soak's calls, as a client makes them: to volume-api (Cinder) and to nova-bridge's local
 * compute host (Nova), each step failing with what went wrong (a status, no answer) so that the
 * tally can tell a refusal the contract allows from a fault of the service.
 */
export class SoakClient {
  constructor(readonly stack: DrillStack) {}

  async api(step: string, method: Method, path: string, call: ApiCall): Promise<DrillReply> {
    let reply: DrillReply;
    try {
      reply = await this.stack.request(method, path, { headers: call.headers, body: call.body, version: call.version, timeoutMs: API_TIMEOUT_MS });
    } catch (err) {
      throw new StepFailed({ kind: 'network', step, callee: 'volume-api', message: networkMessage(err) });
    }
    if (!call.expect.includes(reply.status)) throw new StepFailed({ kind: 'http', step, status: reply.status, text: reply.text });
    return reply;
  }

  /** A call to the local compute host as the owner of the soak's volumes and servers. */
  async compute(step: string, method: Method, path: string, body: unknown, expect: number[]): Promise<unknown> {
    let res: Response;
    let text: string;
    try {
      res = await fetch(`${this.stack.computeUrl}${path}`, {
        method,
        headers: { ...MEMBER, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(COMPUTE_TIMEOUT_MS),
      });
      text = await res.text();
    } catch (err) {
      throw new StepFailed({ kind: 'network', step, callee: 'nova-bridge' satisfies Callee, message: networkMessage(err) });
    }
    if (!expect.includes(res.status)) throw new StepFailed({ kind: 'http', step, status: res.status, text });
    return text ? JSON.parse(text) : undefined;
  }

  sql<T = Record<string, any>>(query: string, params: unknown[] = []): Promise<T[]> { // eslint-disable-line @typescript-eslint/no-explicit-any
    return this.stack.sql<T>(query, params);
  }

  /**
   * Polls `check` (which reads the database, down at times) until it returns a value; after
   * `timeoutMs`, a StepFailed naming what never came, and the last error if the reads failed.
   */
  async until<T>(step: string, what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    for (;;) {
      try {
        const value = await check();
        if (value !== undefined) return value;
        last = '';
      } catch (err) {
        if (err instanceof StepFailed) throw err;
        last = ` (last read failed: ${(err as Error).message})`;
      }
      if (Date.now() > deadline) throw new StepFailed({ kind: 'outcome', step, message: `${what} did not happen within ${timeoutMs / 1000} s${last}` });
      await sleep(POLL_MS);
    }
  }
}
