import { CodedError, ErrorCode } from '@volume/contracts';

/**
 * Far deeper than any Cinder body (a connector is three levels), and shallow enough that no
 * recursive walk of the body (schema validation, the Python repr in messages) can exhaust the stack.
 */
export const MAX_JSON_DEPTH = 32;

const MALFORMED_BODY = 'Malformed request body';
export const UNSTORABLE_TEXT = 'Invalid input received: text may hold neither null characters (U+0000) nor unpaired surrogates.';
const TOO_DEEP = `Invalid input received: the request body is nested deeper than ${MAX_JSON_DEPTH} levels.`;

/** What PostgreSQL refuses in text and jsonb: NUL, and (in jsonb) a surrogate escape without its pair. */
const UNSTORABLE = /\0|\p{Surrogate}/u;

/**
 * Cinder's JSON body: an empty body is "no body"; anything else must be JSON whose text PostgreSQL
 * can store, nested no deeper than MAX_JSON_DEPTH.
 */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') return undefined;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new CodedError(ErrorCode.BadRequest, MALFORMED_BODY);
  }
  checkStorable(body);
  return body;
}

/** Walks the document without recursion, so that the depth check itself cannot overflow. */
function checkStorable(root: unknown): void {
  const pending: { value: unknown; depth: number }[] = [{ value: root, depth: 0 }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const { value, depth } = next;
    if (typeof value === 'string') {
      if (UNSTORABLE.test(value)) throw new CodedError(ErrorCode.BadRequest, UNSTORABLE_TEXT);
    } else if (value !== null && typeof value === 'object') {
      if (depth >= MAX_JSON_DEPTH) throw new CodedError(ErrorCode.BadRequest, TOO_DEEP);
      for (const [key, child] of Object.entries(value)) {
        if (UNSTORABLE.test(key)) throw new CodedError(ErrorCode.BadRequest, UNSTORABLE_TEXT);
        pending.push({ value: child, depth: depth + 1 });
      }
    }
  }
}
