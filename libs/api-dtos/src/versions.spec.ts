import { compareVersions, isAtLeast } from './versions';

describe('compareVersions compares microversions numerically', () => {
  it('puts 3.9 below 3.10, which a string comparison would not', () => {
    expect(compareVersions('3.9', '3.10')).toBeLessThan(0);
    expect(isAtLeast('3.10', '3.9')).toBe(true);
  });

  it('orders by major version first', () => {
    expect(compareVersions('4.0', '3.71')).toBeGreaterThan(0);
    expect(compareVersions('3.16', '3.16')).toBe(0);
  });

  it('refuses anything but MAJOR.MINOR', () => {
    expect(() => compareVersions('3', '3.0')).toThrow("API Version String 3 is of invalid format");
  });
});
