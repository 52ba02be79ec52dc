import { type QuotaLimits, quotaDefaults, UNLIMITED } from '@volume/domain';
import { type ConfigOf, env } from '@volume/platform';

/** The default limits of a project no admin set limits for (Cinder's [DEFAULT] quota options); -1 = unlimited. */
export const quotaConfigSchema = {
  QUOTA_VOLUMES: env.int('Volumes a project may have by default (Cinder quota_volumes); -1 = unlimited', 10, UNLIMITED),
  QUOTA_GIGABYTES: env.int('GiB of volumes a project may have by default (Cinder quota_gigabytes); -1 = unlimited', 1000, UNLIMITED),
  QUOTA_PER_VOLUME_GIGABYTES: env.int('Largest volume in GiB by default (Cinder per_volume_size_limit); -1 = unlimited', UNLIMITED, UNLIMITED),
};

export type QuotaConfig = ConfigOf<typeof quotaConfigSchema>;

/** Every resource's default limit: the configured ones, and Cinder's own for the others. */
export function quotaDefaultsOf(config: QuotaConfig): QuotaLimits {
  return quotaDefaults({
    volumes: config.QUOTA_VOLUMES,
    gigabytes: config.QUOTA_GIGABYTES,
    perVolumeGigabytes: config.QUOTA_PER_VOLUME_GIGABYTES,
  });
}
