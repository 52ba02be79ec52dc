import { ApiVersion, InvalidApiVersionStringError } from './api-version';

describe('ApiVersion', () => {
  describe('parse', () => {
    it.each([
      ['3.0', 3, 0],
      ['3.16', 3, 16],
      ['10.10', 10, 10],
    ])('when the text is %s, then it parses to major %i and minor %i and prints back unchanged', (text, major, minor) => {
      const version = ApiVersion.parse(text);
      expect(version.major).toBe(major);
      expect(version.minor).toBe(minor);
      expect(version.toString()).toBe(text);
    });

    it.each(['3.07', '03.7', '0.1', 'foo', 'latest', '3', '3.', '.3', '3.0.1', ' 3.0', '3.0 ', '', '-3.0', '3.-1', '3,0'])(
      'when the text is %j, then it throws Cinder\'s "is of invalid format" message',
      (text) => {
        const parse = () => ApiVersion.parse(text);
        expect(parse).toThrow(InvalidApiVersionStringError);
        expect(parse).toThrow(`API Version String ${text} is of invalid format. Must be of format MajorNum.MinorNum.`);
      },
    );

    it('when the text is 3.07, then the message is exactly the one Cinder returns', () => {
      expect(() => ApiVersion.parse('3.07')).toThrow(
        new Error('API Version String 3.07 is of invalid format. Must be of format MajorNum.MinorNum.'),
      );
    });

    it('when the minor is beyond a safe JS integer, then it still prints exactly as given', () => {
      expect(ApiVersion.parse('3.99999999999999999999').toString()).toBe('3.99999999999999999999');
    });
  });

  describe('from', () => {
    it('when given an ApiVersion, then it returns that same instance', () => {
      const version = ApiVersion.parse('3.16');
      expect(ApiVersion.from(version)).toBe(version);
    });

    it('when given text, then it parses it', () => {
      expect(ApiVersion.from('3.16').toString()).toBe('3.16');
    });
  });

  describe('compare', () => {
    it('when minors have different digit counts, then they order numerically (3.9 < 3.10)', () => {
      expect(ApiVersion.parse('3.9').compare('3.10')).toBeLessThan(0);
      expect(ApiVersion.parse('3.10').compare('3.9')).toBeGreaterThan(0);
    });

    it('when majors differ, then the major decides (4.0 > 3.99)', () => {
      expect(ApiVersion.parse('4.0').compare('3.99')).toBeGreaterThan(0);
      expect(ApiVersion.parse('3.99').compare(ApiVersion.parse('4.0'))).toBeLessThan(0);
    });

    it('when both are the same version, then compare is 0 whether given as text or parsed', () => {
      expect(ApiVersion.parse('3.16').compare('3.16')).toBe(0);
      expect(ApiVersion.parse('3.16').compare(ApiVersion.parse('3.16'))).toBe(0);
    });

    it('when versions exceed safe JS integers, then they still order exactly', () => {
      expect(ApiVersion.parse('3.99999999999999999999').compare('3.99999999999999999998')).toBeGreaterThan(0);
      expect(ApiVersion.parse('3.99999999999999999999').compare('3.99999999999999999999')).toBe(0);
    });

    it('when the other version is invalid text, then it throws the format error', () => {
      expect(() => ApiVersion.parse('3.0').compare('3.x')).toThrow(InvalidApiVersionStringError);
    });
  });

  describe('gte and lt', () => {
    it('when the request is 3.16 and the feature is 3.16, then gte is true and lt is false', () => {
      expect(ApiVersion.parse('3.16').gte('3.16')).toBe(true);
      expect(ApiVersion.parse('3.16').lt('3.16')).toBe(false);
    });

    it('when the request is 3.15 and the feature is 3.16, then gte is false and lt is true', () => {
      expect(ApiVersion.parse('3.15').gte('3.16')).toBe(false);
      expect(ApiVersion.parse('3.15').lt(ApiVersion.parse('3.16'))).toBe(true);
    });
  });

  describe('matches (inclusive, like APIVersionRequest.matches)', () => {
    const v = ApiVersion.parse('3.16');

    it('when the version equals either bound, then it matches', () => {
      expect(v.matches('3.16', '3.20')).toBe(true);
      expect(v.matches('3.0', '3.16')).toBe(true);
      expect(v.matches('3.16', '3.16')).toBe(true);
    });

    it('when the version is outside the range, then it does not match', () => {
      expect(v.matches('3.17', '3.20')).toBe(false);
      expect(v.matches('3.0', '3.15')).toBe(false);
    });

    it('when only a minimum is given, then there is no upper limit', () => {
      expect(v.matches('3.16')).toBe(true);
      expect(v.matches('3.16', null)).toBe(true);
      expect(v.matches('3.17')).toBe(false);
    });

    it('when only a maximum is given, then there is no lower limit', () => {
      expect(v.matches(undefined, '3.16')).toBe(true);
      expect(v.matches(null, '3.15')).toBe(false);
    });

    it('when no bound is given, then everything matches', () => {
      expect(v.matches()).toBe(true);
      expect(v.matches(null, null)).toBe(true);
    });

    it('when bounds are ApiVersion instances, then they are used as is', () => {
      expect(v.matches(ApiVersion.parse('3.0'), ApiVersion.parse('3.71'))).toBe(true);
    });

    it('when a bound is invalid text (even empty), then it throws rather than meaning "no limit"', () => {
      expect(() => v.matches('')).toThrow(InvalidApiVersionStringError);
      expect(() => v.matches('3.0', 'x')).toThrow(InvalidApiVersionStringError);
    });
  });
});
