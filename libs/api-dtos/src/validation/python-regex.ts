// Schema patterns are Python regular expressions run with re.search(). The patterns Cinder uses
// mean the same in JavaScript except '$', which in Python also matches before a final newline.

const cache = new Map<string, RegExp>();

export function pythonRegex(pattern: string): RegExp {
  let compiled = cache.get(pattern);
  if (compiled === undefined) {
    const source = /(^|[^\\])\$$/.test(pattern) ? `${pattern.slice(0, -1)}(?=\\n?$)` : pattern;
    compiled = new RegExp(source);
    cache.set(pattern, compiled);
  }
  return compiled;
}
