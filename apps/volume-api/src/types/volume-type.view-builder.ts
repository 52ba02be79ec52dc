import { Caller } from '@volume/auth';
import { allows, TypePolicy } from '../http/policy';
import { extraSpecsOf, LoadedVolumeType, visibleExtraSpecs } from './extra-specs';

export interface VolumeTypeViewOptions {
  /**
   * Cinder's type-access extension adds `os-volume-type-access:is_public` to list, show and create
   * answers by looking the type up by the id in the URL, which `GET /types/default` does not carry.
   */
  withAccessFlag: boolean;
}

/**
 * One volume type as Cinder's v3 types view shows it: the extra specs (access_types_extra_specs,
 * readers by default) that read_sensitive lets the caller read, and the QoS association
 * (access_types_qos_specs_id, admins by default; always none: QoS specs are not supported).
 */
export function volumeTypeView(caller: Caller, type: LoadedVolumeType, opts: VolumeTypeViewOptions): Record<string, unknown> {
  const view: Record<string, unknown> = {
    id: type.id,
    name: type.name,
    is_public: type.isPublic,
    description: type.description,
  };
  if (allows(caller, TypePolicy.extraSpecs)) view.extra_specs = visibleExtraSpecs(caller, extraSpecsOf(type));
  if (allows(caller, TypePolicy.qosSpecsId)) view.qos_specs_id = null;
  if (opts.withAccessFlag) view['os-volume-type-access:is_public'] = type.isPublic;
  return view;
}
