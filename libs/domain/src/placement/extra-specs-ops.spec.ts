import { matchExtraSpec } from './extra-specs-ops';

describe('matchExtraSpec is Cinder extra_specs_ops.match', () => {
  it('compares a plain requirement literally, so a boolean capability never equals "True"', () => {
    expect(matchExtraSpec('lvm', 'lvm')).toBe(true);
    expect(matchExtraSpec('lvm', 'ceph')).toBe(false);
    expect(matchExtraSpec('my backend', 'my backend')).toBe(true);
    expect(matchExtraSpec(true, 'True')).toBe(false);
  });

  it('<is> compares booleans leniently', () => {
    expect(matchExtraSpec(true, '<is> True')).toBe(true);
    expect(matchExtraSpec('true', '<is> yes')).toBe(true);
    expect(matchExtraSpec(false, '<is> True')).toBe(false);
    expect(matchExtraSpec('maybe', '<is> False')).toBe(true);
  });

  it('numeric operators compare floats, and = means at least', () => {
    expect(matchExtraSpec(100, '>= 50')).toBe(true);
    expect(matchExtraSpec('10', '= 10.0')).toBe(true);
    expect(matchExtraSpec(9, '= 10')).toBe(false);
    expect(matchExtraSpec(10, '<= 5')).toBe(false);
    expect(matchExtraSpec(5, '== 5')).toBe(true);
    expect(matchExtraSpec(5, '!= 5')).toBe(false);
    expect(matchExtraSpec('abc', '>= 1')).toBe(false);
  });

  it('string operators compare strings', () => {
    expect(matchExtraSpec('2.1', 's>= 2.0')).toBe(true);
    expect(matchExtraSpec('abc', 's== abc')).toBe(true);
    expect(matchExtraSpec('abc', 's!= abc')).toBe(false);
    expect(matchExtraSpec('a', 's< b')).toBe(true);
    expect(matchExtraSpec(1, 's< b')).toBe(false);
  });

  it('<in> looks for a substring or a list member', () => {
    expect(matchExtraSpec('iSCSI FC', '<in> FC')).toBe(true);
    expect(matchExtraSpec(['iSCSI', 'FC'], '<in> FC')).toBe(true);
    expect(matchExtraSpec('NFS', '<in> FC')).toBe(false);
    expect(matchExtraSpec(5, '<in> 5')).toBe(false);
  });

  it('<or> accepts any of the alternatives', () => {
    expect(matchExtraSpec('b', '<or> a <or> b')).toBe(true);
    expect(matchExtraSpec('c', '<or> a <or> b')).toBe(false);
    expect(matchExtraSpec('a', '<or>')).toBe(false);
  });

  it('an operator without operand or a missing capability never matches', () => {
    expect(matchExtraSpec(true, '<is>')).toBe(false);
    expect(matchExtraSpec(null, '<is> True')).toBe(false);
    expect(matchExtraSpec(null, 'x')).toBe(false);
  });
});
