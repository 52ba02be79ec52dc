import { ErrorCode } from './errors';
import { checkQuotaLimitCoversUsage, checkVolumeQuota, effectiveQuotaLimits, QUOTA_RESOURCES, quotaDefaults } from './quota';

const DEFAULTS = quotaDefaults({ volumes: 10, gigabytes: 1000, perVolumeGigabytes: -1 });

function overLimit(message: string) {
  return expect.objectContaining({ code: ErrorCode.OverLimit, message });
}

describe('quota defaults and limits', () => {
  it('when nothing is set, then the configured defaults and Cinder\'s own defaults apply, in Cinder\'s order', () => {
    expect(DEFAULTS).toEqual({ volumes: 10, per_volume_gigabytes: -1, snapshots: 10, gigabytes: 1000, backups: 10, backup_gigabytes: 1000, groups: 10 });
    expect(Object.keys(DEFAULTS).sort()).toEqual([...QUOTA_RESOURCES].sort());
  });

  it('when a project has limits of its own, then they replace the defaults one by one; unknown rows are ignored', () => {
    expect(effectiveQuotaLimits(DEFAULTS, { volumes: 3, per_volume_gigabytes: 5, volumes_lvm: 1 })).toEqual({
      ...DEFAULTS,
      volumes: 3,
      per_volume_gigabytes: 5,
    });
  });
});

describe('creating a volume against the quota', () => {
  const limits = { ...DEFAULTS, volumes: 2, gigabytes: 10, per_volume_gigabytes: 4 };

  it('when the volume fits every limit, then it passes (a limit may be reached exactly)', () => {
    expect(() => checkVolumeQuota(limits, { volumes: 1, gigabytes: 6 }, 4)).not.toThrow();
  });

  it('when the size is over per_volume_gigabytes, then VolumeSizeExceedsLimit, before any other limit', () => {
    expect(() => checkVolumeQuota(limits, { volumes: 2, gigabytes: 10 }, 5)).toThrow(
      overLimit('VolumeSizeExceedsLimit: Requested volume size 5G is larger than maximum allowed limit 4G.'),
    );
  });

  it('when the gigabytes would pass the quota, then VolumeSizeExceedsAvailableQuota, even if volumes are out too', () => {
    expect(() => checkVolumeQuota(limits, { volumes: 2, gigabytes: 7 }, 4)).toThrow(
      overLimit(
        'VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed gigabytes quota. Requested 4G, quota is 10G and 7G has been consumed.',
      ),
    );
  });

  it('when the volume count would pass the quota, then VolumeLimitExceeded', () => {
    expect(() => checkVolumeQuota(limits, { volumes: 2, gigabytes: 0 }, 1)).toThrow(
      overLimit("VolumeLimitExceeded: Maximum number of volumes allowed (2) exceeded for quota 'volumes'."),
    );
  });

  it('when a limit is -1, then it never binds; a limit of 0 refuses everything', () => {
    const unlimited = { ...DEFAULTS, volumes: -1, gigabytes: -1, per_volume_gigabytes: -1 };
    expect(() => checkVolumeQuota(unlimited, { volumes: 1e6, gigabytes: 1e9 }, 2 ** 31 - 1)).not.toThrow();
    expect(() => checkVolumeQuota({ ...DEFAULTS, volumes: 0 }, { volumes: 0, gigabytes: 0 }, 1)).toThrow(
      overLimit("VolumeLimitExceeded: Maximum number of volumes allowed (0) exceeded for quota 'volumes'."),
    );
  });
});

describe('an update lowering a limit below what is in use', () => {
  it('when the project has its own limit and asks for less than it uses, then Cinder\'s 400', () => {
    expect(() => checkQuotaLimitCoversUsage('volumes', 2, { inUse: 3 })).toThrow(
      expect.objectContaining({
        code: ErrorCode.BadRequest,
        message: 'Quota volumes limit must be equal or greater than existing resources. Current usage is 3 and the requested limit is 2.',
      }),
    );
    expect(() => checkQuotaLimitCoversUsage('volumes', 3, { inUse: 3 })).not.toThrow();
  });

  it('when the project has no limit of its own yet, then Cinder compares with zero use and lets it through', () => {
    expect(() => checkQuotaLimitCoversUsage('gigabytes', 0, undefined)).not.toThrow();
  });

  it('when the limit is -1 or the key is per_volume_gigabytes, then nothing is compared', () => {
    expect(() => checkQuotaLimitCoversUsage('volumes', -1, { inUse: 5 })).not.toThrow();
    expect(() => checkQuotaLimitCoversUsage('per_volume_gigabytes', '1', { inUse: 5 })).not.toThrow();
  });

  it('when the value is a numeric string, then Python\'s str < int fails: the generic 400', () => {
    expect(() => checkQuotaLimitCoversUsage('volumes', '5', undefined)).toThrow(
      expect.objectContaining({
        code: ErrorCode.BadRequest,
        message: 'The server could not comply with the request since it is either malformed or otherwise incorrect.',
      }),
    );
  });
});
