import { Caller } from '@volume/auth';
import { LoadedVolumeType } from './extra-specs';
import { volumeTypeView } from './volume-type.view-builder';

const admin: Caller = { userId: 'admin', projectId: 'p1', roles: ['admin'], isAdmin: true, isService: false };
const member: Caller = { userId: 'u1', projectId: 'p1', roles: ['member', 'reader'], isAdmin: false, isService: false };
const service: Caller = { userId: 'nova', projectId: 'p-service', roles: ['service'], isAdmin: false, isService: true };

function gold(): LoadedVolumeType {
  return {
    id: '4f5c6a1e-0d5b-4a43-9d43-6f0c8b1a2e11',
    name: 'gold',
    description: 'fast',
    isPublic: true,
    createdAt: new Date('2026-11-25T00:00:00Z'),
    updatedAt: null,
    extraSpecs: [
      { id: 1, volumeTypeId: '4f5c6a1e-0d5b-4a43-9d43-6f0c8b1a2e11', key: 'volume_backend_name', value: 'file' },
      { id: 2, volumeTypeId: '4f5c6a1e-0d5b-4a43-9d43-6f0c8b1a2e11', key: 'multiattach', value: '<is> True' },
    ],
  };
}

describe('volume type view', () => {
  it('when the caller is an admin, then every extra spec, qos_specs_id and the access flag are shown', () => {
    expect(volumeTypeView(admin, gold(), { withAccessFlag: true })).toEqual({
      id: '4f5c6a1e-0d5b-4a43-9d43-6f0c8b1a2e11',
      name: 'gold',
      is_public: true,
      description: 'fast',
      extra_specs: { volume_backend_name: 'file', multiattach: '<is> True' },
      qos_specs_id: null,
      'os-volume-type-access:is_public': true,
    });
  });

  it('when the caller is a member, then only user-visible extra specs are shown and no qos_specs_id', () => {
    expect(volumeTypeView(member, gold(), { withAccessFlag: true })).toEqual({
      id: '4f5c6a1e-0d5b-4a43-9d43-6f0c8b1a2e11',
      name: 'gold',
      is_public: true,
      description: 'fast',
      extra_specs: { multiattach: '<is> True' },
      'os-volume-type-access:is_public': true,
    });
  });

  it('when the caller holds no reader role (the service user), then access_types_extra_specs hides the extra specs', () => {
    const view = volumeTypeView(service, gold(), { withAccessFlag: true });
    expect(view).not.toHaveProperty('extra_specs');
    expect(view).not.toHaveProperty('qos_specs_id');
    expect(view).toMatchObject({ name: 'gold', is_public: true });
  });

  it('when shown for GET /types/default, then the access flag is absent', () => {
    expect(volumeTypeView(admin, gold(), { withAccessFlag: false })).not.toHaveProperty(['os-volume-type-access:is_public']);
  });
});
