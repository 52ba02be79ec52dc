import { CodedError, ErrorCode } from './errors';

// Cinder's per-project quotas (cinder/quota.py, cinder/quota_utils.py, cinder/api/contrib/quotas.py):
// which resources os-quota-sets lists, the limits that apply, and the refusals with Cinder's texts.

/**
 * The resources os-quota-sets lists, in Cinder's order (its QUOTAS engine, then GROUP_QUOTAS).
 * This service counts volumes and gigabytes and checks per_volume_gigabytes; it makes no snapshots,
 * backups or groups, so their limits are kept and shown but nothing ever uses them. Cinder's
 * per-volume-type resources (`volumes_<type>` ...) are not offered.
 */
export const QUOTA_RESOURCES = ['volumes', 'per_volume_gigabytes', 'snapshots', 'gigabytes', 'backups', 'backup_gigabytes', 'groups'] as const;
export type QuotaResource = (typeof QUOTA_RESOURCES)[number];
export type QuotaLimits = Readonly<Record<QuotaResource, number>>;

/** Body keys os-quota-sets update accepts and ignores (Cinder's NON_QUOTA_KEYS; cinderclient sends tenant_id). */
export const NON_QUOTA_KEYS: readonly string[] = ['tenant_id', 'id'];

/** A limit of -1 is no limit. */
export const UNLIMITED = -1;

export function isQuotaResource(key: string): key is QuotaResource {
  return (QUOTA_RESOURCES as readonly string[]).includes(key);
}

/** What the operator configures, as Cinder's quota_volumes, quota_gigabytes and per_volume_size_limit. */
export interface ConfiguredQuotaDefaults {
  volumes: number;
  gigabytes: number;
  perVolumeGigabytes: number;
}

/** Cinder's default limits (quota_snapshots, quota_backups, ...) of the resources this service never makes. */
const UNUSED_RESOURCE_DEFAULTS = { snapshots: 10, backups: 10, backup_gigabytes: 1000, groups: 10 } as const;

/** Every resource's default limit (Cinder's get_defaults). */
export function quotaDefaults(configured: ConfiguredQuotaDefaults): QuotaLimits {
  return {
    volumes: configured.volumes,
    per_volume_gigabytes: configured.perVolumeGigabytes,
    gigabytes: configured.gigabytes,
    ...UNUSED_RESOURCE_DEFAULTS,
  };
}

/** The limits that bind a project: its own where an admin set one, the default elsewhere. */
export function effectiveQuotaLimits(defaults: QuotaLimits, own: Readonly<Partial<Record<string, number>>>): QuotaLimits {
  const limits = { ...defaults };
  for (const resource of QUOTA_RESOURCES) {
    const set = own[resource];
    if (set !== undefined) limits[resource] = set;
  }
  return limits;
}

/** The resources whose use is counted, in the order their usage rows are locked (Cinder sorts them too). */
export const COUNTED_RESOURCES = ['gigabytes', 'volumes'] as const;
export type CountedResource = (typeof COUNTED_RESOURCES)[number];
export type QuotaUsage = Readonly<Record<CountedResource, number>>;

export const NO_USAGE: QuotaUsage = { gigabytes: 0, volumes: 0 };

/** What one volume of `size` GiB adds to its project's usage, and gives back when it goes. */
export function volumeQuotaDelta(size: number): QuotaUsage {
  return { gigabytes: size, volumes: 1 };
}

function binds(limit: number): boolean {
  return limit >= 0;
}

/**
 * Cinder's QuotaReserveTask for a new volume of `size` GiB, in its order: the size against
 * per_volume_gigabytes first, then the usage plus the volume against each counted limit (gigabytes
 * before volumes, as Cinder's sorted `overs`). Texts are what Cinder's fault wrapper answers: the
 * exception's class name, then its message.
 * @throws CodedError(OverLimit) "VolumeSizeExceedsLimit: ...", "VolumeSizeExceedsAvailableQuota: ..."
 *   or "VolumeLimitExceeded: ...".
 */
export function checkVolumeQuota(limits: QuotaLimits, usage: QuotaUsage, size: number): void {
  const perVolume = limits.per_volume_gigabytes;
  if (binds(perVolume) && size > perVolume) {
    throw overLimit('VolumeSizeExceedsLimit', `Requested volume size ${size}G is larger than maximum allowed limit ${perVolume}G.`);
  }
  const delta = volumeQuotaDelta(size);
  if (binds(limits.gigabytes) && limits.gigabytes < usage.gigabytes + delta.gigabytes) {
    throw overLimit(
      'VolumeSizeExceedsAvailableQuota',
      `Requested volume or snapshot exceeds allowed gigabytes quota. Requested ${size}G, quota is ${limits.gigabytes}G and ${usage.gigabytes}G has been consumed.`,
    );
  }
  if (binds(limits.volumes) && limits.volumes < usage.volumes + delta.volumes) {
    throw overLimit('VolumeLimitExceeded', `Maximum number of volumes allowed (${limits.volumes}) exceeded for quota 'volumes'.`);
  }
}

function overLimit(exception: string, message: string): CodedError {
  return new CodedError(ErrorCode.OverLimit, `${exception}: ${message}`);
}

/** Cinder's text for a request it cannot read (webob's HTTPBadRequest without an explanation). */
const MALFORMED = 'The server could not comply with the request since it is either malformed or otherwise incorrect.';

/**
 * Cinder's _validate_existing_resource for one key of an update, with its quirks kept: the
 * comparison runs on the value as the body spelled it, so a numeric string (which the schema lets
 * through) fails Python's `str < int` with the generic 400; and the usage it compares with is read
 * with `defaults=False`, so it is zero unless the project already has a limit of its own for that
 * resource. per_volume_gigabytes and -1 are never compared.
 * @param own the project's own limit and its use of the resource, when the project has such a limit.
 * @throws CodedError(BadRequest) "Quota <key> limit must be equal or greater than existing resources. ..."
 */
export function checkQuotaLimitCoversUsage(resource: QuotaResource, requested: unknown, own: { inUse: number } | undefined): void {
  if (resource === 'per_volume_gigabytes' || requested === UNLIMITED) return;
  if (typeof requested !== 'number') throw new CodedError(ErrorCode.BadRequest, MALFORMED);
  const used = own?.inUse ?? 0;
  if (requested < used) {
    throw new CodedError(
      ErrorCode.BadRequest,
      `Quota ${resource} limit must be equal or greater than existing resources. Current usage is ${used} and the requested limit is ${requested}.`,
    );
  }
}
