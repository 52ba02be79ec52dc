// Cinder's APIVersionRequest pattern: no leading zeros, so "3.07" and "03.7" are refused.
const VERSION_PATTERN = /^([1-9]\d*)\.([1-9]\d*|0)$/;

/** A version given either parsed or as its "X.Y" text; text is parsed (and may throw) before use. */
export type VersionLike = ApiVersion | string;

/** Cinder's `InvalidAPIVersionString`; its message is the 400 fault text clients see. */
export class InvalidApiVersionStringError extends Error {
  constructor(readonly text: string) {
    super(`API Version String ${text} is of invalid format. Must be of format MajorNum.MinorNum.`);
    this.name = 'InvalidApiVersionStringError';
  }
}

/**
 * Orders canonical digit strings (no leading zeros) by value. Python ints are unbounded, so
 * "3.99999999999999999999" must compare and print exactly, which a JS number cannot promise.
 */
function compareDigits(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

export class ApiVersion {
  /** Numeric parts for convenience; exact only up to Number.MAX_SAFE_INTEGER (ordering and text are always exact). */
  readonly major: number;
  readonly minor: number;

  private constructor(
    private readonly majorDigits: string,
    private readonly minorDigits: string,
  ) {
    this.major = Number(majorDigits);
    this.minor = Number(minorDigits);
  }

  /** @throws InvalidApiVersionStringError when `text` is not "MajorNum.MinorNum". */
  static parse(text: string): ApiVersion {
    const match = VERSION_PATTERN.exec(text);
    if (!match) throw new InvalidApiVersionStringError(text);
    return new ApiVersion(match[1], match[2]);
  }

  static from(version: VersionLike): ApiVersion {
    return typeof version === 'string' ? ApiVersion.parse(version) : version;
  }

  /** Negative, zero or positive as this version is lower than, equal to or higher than `other`. */
  compare(other: VersionLike): number {
    const that = ApiVersion.from(other);
    return compareDigits(this.majorDigits, that.majorDigits) || compareDigits(this.minorDigits, that.minorDigits);
  }

  gte(other: VersionLike): boolean {
    return this.compare(other) >= 0;
  }

  lt(other: VersionLike): boolean {
    return this.compare(other) < 0;
  }

  /**
   * Inclusive range check with Cinder's `APIVersionRequest.matches` semantics: a missing bound
   * (undefined or null) is no limit. Text bounds are parsed first, so an empty string throws.
   */
  matches(min?: VersionLike | null, max?: VersionLike | null): boolean {
    const lower = min === undefined || min === null ? undefined : ApiVersion.from(min);
    const upper = max === undefined || max === null ? undefined : ApiVersion.from(max);
    return (lower === undefined || this.gte(lower)) && (upper === undefined || this.compare(upper) <= 0);
  }

  /** "X.Y", as Cinder's `get_string()`; this is what response headers and 406 messages echo. */
  toString(): string {
    return `${this.majorDigits}.${this.minorDigits}`;
  }
}
