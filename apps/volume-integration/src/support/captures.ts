import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Request/response pairs recorded from a real Cinder 21.3.1 (max 3.70), kept in the repo as golden fixtures. */
export const CAPTURES_DIR = join(__dirname, '../fixtures/cinder-captures');

export interface Capture {
  file: string;
  method: string;
  path: string;
  requestHeaders: Record<string, string>;
  requestBody?: string;
  status: number;
  responseHeaders: Record<string, string>;
  responseBody: string;
}

function unquote(shell: string): string {
  return shell.replace(/'\\''/g, "'");
}

export function loadCapture(prefix: string): Capture {
  const file = readdirSync(CAPTURES_DIR).find((f) => f.startsWith(`${prefix}-`));
  if (!file) throw new Error(`no capture ${prefix}`);
  const lines = readFileSync(join(CAPTURES_DIR, file), 'utf8').split('\n');
  const curl = lines.find((l) => l.startsWith('$ curl')) ?? '';
  const data = /-d '((?:[^']|'\\'')*)'/.exec(curl);
  const requestLine = lines.find((l) => /^> (GET|POST|PUT|DELETE) /.test(l)) ?? '';
  const [, method, path] = /^> (\S+) (\S+)/.exec(requestLine) ?? [];
  const requestHeaders: Record<string, string> = {};
  for (const l of lines.filter((x) => x.startsWith('> ') && x.includes(': '))) {
    const [k, ...v] = l.slice(2).split(': ');
    requestHeaders[k.toLowerCase()] = v.join(': ');
  }
  const statusIdx = lines.findIndex((l) => l.startsWith('HTTP/1.1 '));
  const status = Number(lines[statusIdx].split(' ')[1]);
  const responseHeaders: Record<string, string> = {};
  let i = statusIdx + 1;
  for (; i < lines.length && lines[i].trim() !== ''; i++) {
    const [k, ...v] = lines[i].split(': ');
    responseHeaders[k.toLowerCase()] = v.join(': ');
  }
  const rest = lines.slice(i + 1);
  const end = rest.findIndex((l) => l.startsWith('```'));
  const responseBody = rest.slice(0, end < 0 ? rest.length : end).join('\n').trim();
  return {
    file,
    method,
    path,
    requestHeaders,
    requestBody: data ? unquote(data[1]) : undefined,
    status,
    responseHeaders,
    responseBody,
  };
}

/** Free-form maps whose keys are data, not schema. */
const OPAQUE = new Set(['metadata']);

/** Keys of a JSON object in order, recursively for nested objects (values ignored). */
export function keyShape(value: unknown): unknown {
  if (Array.isArray(value)) return value.length ? [keyShape(value[0])] : [];
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, OPAQUE.has(k) ? 'map' : keyShape(v)]));
  }
  return typeof value;
}
