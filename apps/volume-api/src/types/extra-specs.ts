import { CodedError, ErrorCode } from '@volume/contracts';
import { VolumeTypeEntity, VolumeTypeExtraSpecEntity } from '@volume/persistence';
import { Caller } from '@volume/auth';
import { allows, TypePolicy } from '../http/policy';

/** A volume type with its extra specs loaded, as every types endpoint and volume creation need it. */
export type LoadedVolumeType = VolumeTypeEntity & { extraSpecs: VolumeTypeExtraSpecEntity[] };

/** Extra specs as a request carries them: Cinder's schemas allow null values. */
export type ExtraSpecsInput = Record<string, string | null>;

/**
 * The only keys members may read (Cinder's USER_VISIBLE_EXTRA_SPECS); the rest may reveal the
 * deployment and need volume_extension:types_extra_specs:read_sensitive (admins by default).
 */
export const USER_VISIBLE_EXTRA_SPECS = ['RESKEY:availability_zones', 'multiattach', 'replication_enabled'] as const;

export function extraSpecsOf(type: LoadedVolumeType): Record<string, string> {
  return Object.fromEntries(type.extraSpecs.map((s) => [s.key, s.value]));
}

export function visibleExtraSpecs(caller: Caller, specs: Record<string, string>): Record<string, string> {
  if (allows(caller, TypePolicy.readSensitive)) return specs;
  const visible: Record<string, string> = {};
  for (const key of USER_VISIBLE_EXTRA_SPECS) {
    if (Object.hasOwn(specs, key)) visible[key] = specs[key];
  }
  return visible;
}

const IS_TRUE = '<is> True';

/**
 * A cached volume cannot be attached to several hosts: Cinder refuses extra specs that would make
 * a type both `cacheable` and `multiattach`, counting what the type has and what is being added.
 * @throws CodedError(BadRequest) "cacheable cannot be set with multiattach."
 */
export function assertNotCacheableAndMultiattach(current: Record<string, string>, incoming: ExtraSpecsInput): void {
  const conflict =
    (incoming.multiattach === IS_TRUE && current.cacheable === IS_TRUE) ||
    (incoming.cacheable === IS_TRUE && current.multiattach === IS_TRUE) ||
    (incoming.cacheable === IS_TRUE && incoming.multiattach === IS_TRUE);
  if (conflict) throw new CodedError(ErrorCode.BadRequest, 'cacheable cannot be set with multiattach.');
}
