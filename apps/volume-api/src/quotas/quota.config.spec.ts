import { ConfigError } from '@volume/platform';
import { loadApiConfig } from '../config';
import { quotaDefaultsOf } from './quota.config';

describe('quota configuration', () => {
  it("when nothing is set, then Cinder's defaults: 10 volumes, 1000 GiB, no per-volume limit", () => {
    expect(quotaDefaultsOf(loadApiConfig({}))).toMatchObject({ volumes: 10, gigabytes: 1000, per_volume_gigabytes: -1 });
  });

  it('when set, then those limits are the defaults every project gets; -1 is unlimited', () => {
    const config = loadApiConfig({ QUOTA_VOLUMES: '-1', QUOTA_GIGABYTES: '50', QUOTA_PER_VOLUME_GIGABYTES: '5' });
    expect(quotaDefaultsOf(config)).toMatchObject({ volumes: -1, gigabytes: 50, per_volume_gigabytes: 5 });
  });

  it('when a limit is below -1 or not an integer, then the API refuses to start, naming it', () => {
    expect(() => loadApiConfig({ QUOTA_VOLUMES: '-2', QUOTA_GIGABYTES: 'lots' })).toThrow(ConfigError);
    expect(() => loadApiConfig({ QUOTA_VOLUMES: '-2', QUOTA_GIGABYTES: 'lots' })).toThrow(
      /QUOTA_VOLUMES=-2 must be >= -1[\s\S]*QUOTA_GIGABYTES="lots" is not an integer/,
    );
  });
});
