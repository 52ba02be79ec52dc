import { CodedError, ErrorCode } from '@volume/contracts';
import { MAX_JSON_DEPTH, parseJsonBody } from './json-body';

function refusal(text: string): { code: string; message: string } | undefined {
  try {
    parseJsonBody(text);
    return undefined;
  } catch (err) {
    return { code: (err as CodedError).code, message: (err as CodedError).message };
  }
}

const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

describe('parseJsonBody', () => {
  it('when the body is empty or blank, then there is no body', () => {
    expect(parseJsonBody('')).toBeUndefined();
    expect(parseJsonBody(' \n\t')).toBeUndefined();
  });

  it('when the body is JSON, then it is the parsed document', () => {
    expect(parseJsonBody('{"volume": {"size": 1, "name": "😀 ok"}}')).toEqual({ volume: { size: 1, name: '😀 ok' } });
  });

  it("when the body is not JSON, then 400 with Cinder's 'Malformed request body'", () => {
    expect(refusal('{"volume": ')).toEqual({ code: ErrorCode.BadRequest, message: 'Malformed request body' });
  });

  it.each([
    ['a value', '{"volume": {"name": "a\\u0000b"}}'],
    ['a key', '{"volume": {"metadata": {"k\\u0000": "v"}}}'],
    ['a value deep in an array', '{"a": [[["\\u0000"]]]}'],
    ['an unpaired surrogate', '{"attachment": {"connector": {"host": "\\ud800"}}}'],
    ['an unpaired low surrogate in a key', '{"\\udc00": 1}'],
  ])('when %s holds what PostgreSQL cannot store, then 400 naming it', (_where, text) => {
    expect(refusal(text)).toEqual({
      code: ErrorCode.BadRequest,
      message: 'Invalid input received: text may hold neither null characters (U+0000) nor unpaired surrogates.',
    });
  });

  it('when a string only spells \\u0000 (an escaped backslash), or holds a surrogate pair, then it is accepted', () => {
    expect(parseJsonBody('{"name": "\\\\u0000 \\ud83d\\ude00"}')).toEqual({ name: '\\u0000 😀' });
  });

  it(`when the body is nested ${MAX_JSON_DEPTH} levels deep, then it is accepted; one more, and it is refused`, () => {
    expect(refusal(nested(MAX_JSON_DEPTH))).toBeUndefined();
    expect(refusal(nested(MAX_JSON_DEPTH + 1))?.message).toBe(
      `Invalid input received: the request body is nested deeper than ${MAX_JSON_DEPTH} levels.`,
    );
  });

  it('when the body is nested 100,000 levels deep, then it is refused without exhausting the stack', () => {
    expect(refusal(nested(100_000))?.code).toBe(ErrorCode.BadRequest);
  });
});
