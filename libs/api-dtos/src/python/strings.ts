// Python's len() counts code points, not UTF-16 units as .length does. Cinder's length limits are
// Python's, so a name of 255 emoji must pass here as it passes there.

export function pyLen(text: string): number {
  let count = 0;
  for (const _char of text) count += 1;
  return count;
}
