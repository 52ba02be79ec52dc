import { CodedError } from '@volume/contracts';
import { assertNotCacheableAndMultiattach, visibleExtraSpecs } from './extra-specs';

const IS_TRUE = '<is> True';

describe('cacheable and multiattach extra specs', () => {
  it('when multiattach is added to a cacheable type, then it is refused', () => {
    expect(() => assertNotCacheableAndMultiattach({ cacheable: IS_TRUE }, { multiattach: IS_TRUE })).toThrow(
      'cacheable cannot be set with multiattach.',
    );
  });

  it('when cacheable is added to a multiattach type, then it is refused', () => {
    expect(() => assertNotCacheableAndMultiattach({ multiattach: IS_TRUE }, { cacheable: IS_TRUE })).toThrow(CodedError);
  });

  it('when both are added at once, then it is refused', () => {
    expect(() => assertNotCacheableAndMultiattach({}, { cacheable: IS_TRUE, multiattach: IS_TRUE })).toThrow(CodedError);
  });

  it('when both are already on the type and neither is being set, then other specs may be added', () => {
    expect(() => assertNotCacheableAndMultiattach({ cacheable: IS_TRUE, multiattach: IS_TRUE }, { foo: 'bar' })).not.toThrow();
  });

  it('when multiattach is added to a type that is not cacheable, then it is accepted', () => {
    expect(() => assertNotCacheableAndMultiattach({ cacheable: '<is> False' }, { multiattach: IS_TRUE })).not.toThrow();
  });
});

describe('extra specs a caller may read', () => {
  const specs = { 'RESKEY:availability_zones': 'az1', replication_enabled: '<is> False', volume_backend_name: 'file' };

  it('when the caller is an admin, then all of them', () => {
    expect(visibleExtraSpecs({ userId: 'a', projectId: 'p', roles: ['admin'], isAdmin: true, isService: false }, specs)).toEqual(specs);
  });

  it('when the caller is a member, then only the user-visible ones', () => {
    expect(visibleExtraSpecs({ userId: 'u', projectId: 'p', roles: [], isAdmin: false, isService: false }, specs)).toEqual({
      'RESKEY:availability_zones': 'az1',
      replication_enabled: '<is> False',
    });
  });
});
