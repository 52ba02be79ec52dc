/** Why a fetch got no answer, in a word where Node gives one (ECONNREFUSED, ENOTFOUND, TimeoutError). */
export function networkReason(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError') return 'no answer in time';
  return e.cause?.code ?? e.cause?.message ?? e.message;
}
