import { VolumeAttachmentEntity, VolumeEntity } from '@volume/persistence';
import {
  ENCRYPTION_KEY_ID_IN_DETAILS,
  GROUP_VOLUME,
  MIGRATION_PROGRESS,
  SHARED_TARGETS_TRISTATE,
  USE_QUOTA,
  VOLUME_CLUSTER_NAME,
  VOLUME_DETAIL_PROVIDER_ID,
  VOLUME_MIGRATIONS,
  VOLUME_SHARED_TARGETS_AND_SERVICE_FIELDS,
  VOLUME_TYPE_ID_IN_VOLUME_DETAIL,
} from '@volume/microversion';
import { formatTimestamp, resourceLinks } from '../http/links';
import { allows, isContextAdmin, seesMigrationStatus, VolumePolicy, volumeTarget } from '../http/policy';
import { RequestContext } from '../http/request-context';

/** Cinder's FIXED_KEY_ID: a placeholder key id that is never shown. */
const FIXED_KEY_ID = '00000000-0000-0000-0000-000000000000';

export interface VolumeViewOptions {
  /**
   * Show and detail lists add the `os-vol-*` extension keys; create and update responses do not
   * (Cinder's extension controllers only extend show and detail).
   */
  withExtensions: boolean;
  /**
   * What the progress source answered; only `show` asks it (see showsMigrationProgress). Left out
   * by the detail list, which from 3.73 shows the persisted value instead (never a call per row).
   */
  migrationProgress?: string | null;
}

/**
 * The 3.72 rule in one place: at 3.72 or later, while the volume migrates, for whom the policy
 * `volume_extension:volume_migration_progress` (admins by default) lets see it on this volume. Only
 * then is the progress source asked, and the field appears only if it answered a non-empty value.
 */
export function showsMigrationProgress(ctx: RequestContext, v: Pick<VolumeEntity, 'migrationStatus' | 'projectId' | 'userId'>): boolean {
  return ctx.version.gte(MIGRATION_PROGRESS) && v.migrationStatus === 'migrating' && allows(ctx.caller, VolumePolicy.migrationProgress, volumeTarget(v));
}

/**
 * The `volume` object of Cinder's v3 detail view, key for key, per microversion and policy
 * (§2.2-2.3). The extension keys follow their rules (Cinder checks them against the caller's own
 * project); `provider_id`, `cluster_name` and attachment hosts follow `context.is_admin`, as in
 * Cinder's view. By default the service user (Nova) sees the migration states, as Nova reads them
 * to tell a Cinder migration from a plain swap; where the data lives and the progress stay the admin's.
 */
export function volumeDetail(ctx: RequestContext, v: VolumeEntity, opts: VolumeViewOptions): Record<string, unknown> {
  const isAdmin = isContextAdmin(ctx.caller);
  const seesMigration = seesMigrationStatus(ctx.caller);
  const at = (mv: string) => ctx.version.gte(mv);
  const view: Record<string, unknown> = {
    id: v.id,
    status: displayStatus(v.status),
    size: v.size,
    availability_zone: v.availabilityZone,
    created_at: formatTimestamp(v.createdAt),
    updated_at: formatTimestamp(v.updatedAt),
    name: v.displayName,
    description: v.displayDescription,
    volume_type: v.volumeType?.name ?? v.volumeTypeId,
    snapshot_id: v.snapshotId,
    source_volid: v.sourceVolid,
    metadata: metadataOf(v),
    links: resourceLinks(ctx, 'volumes', v.id),
    user_id: v.userId,
    bootable: v.bootable ? 'true' : 'false',
    encrypted: v.encryptionKeyId !== null,
    replication_status: v.replicationStatus,
    consistencygroup_id: v.consistencygroupId,
    multiattach: v.multiattach,
    attachments: (v.attachments ?? []).filter((a) => a.attachStatus === 'attached').map((a) => attachmentSummary(a, isAdmin)),
  };
  if (seesMigration) view.migration_status = v.migrationStatus;
  if (at(GROUP_VOLUME)) view.group_id = v.groupId;
  if (at(VOLUME_DETAIL_PROVIDER_ID) && isAdmin) view.provider_id = v.providerId;
  if (at(VOLUME_SHARED_TARGETS_AND_SERVICE_FIELDS)) {
    view.shared_targets = v.sharedTargets === null && !at(SHARED_TARGETS_TRISTATE) ? true : v.sharedTargets;
    view.service_uuid = v.serviceUuid;
  }
  if (at(VOLUME_CLUSTER_NAME) && isAdmin) view.cluster_name = v.clusterName;
  if (at(VOLUME_TYPE_ID_IN_VOLUME_DETAIL)) view.volume_type_id = v.volumeTypeId;
  if (at(ENCRYPTION_KEY_ID_IN_DETAILS) && v.encryptionKeyId && v.encryptionKeyId !== FIXED_KEY_ID) view.encryption_key_id = v.encryptionKeyId;
  if (at(USE_QUOTA)) view.consumes_quota = v.useQuota;
  if (opts.withExtensions) {
    if (allows(ctx.caller, VolumePolicy.tenantAttribute)) view['os-vol-tenant-attr:tenant_id'] = v.projectId;
    if (seesMigration) {
      view['os-vol-mig-status-attr:migstat'] = v.migrationStatus;
      view['os-vol-mig-status-attr:name_id'] = v.nameId;
    }
    if (allows(ctx.caller, VolumePolicy.hostAttribute)) view['os-vol-host-attr:host'] = v.host;
  }
  const progress = opts.migrationProgress !== undefined ? opts.migrationProgress : listedProgress(ctx, v, opts);
  if (progress && showsMigrationProgress(ctx, v)) view.migration_progress = progress;
  return view;
}

/** From 3.73 the detail list shows the percent last persisted (3.72's rule otherwise: admin, migrating). */
function listedProgress(ctx: RequestContext, v: VolumeEntity, opts: VolumeViewOptions): string | null {
  return opts.withExtensions && ctx.version.gte(VOLUME_MIGRATIONS) ? v.migrationProgress : null;
}

/** The summary view of `GET /volumes`. */
export function volumeSummary(ctx: RequestContext, v: VolumeEntity): Record<string, unknown> {
  return { id: v.id, name: v.displayName, links: resourceLinks(ctx, 'volumes', v.id) };
}

function displayStatus(status: string): string {
  // Cinder hides its manage-flow states behind the ones users know.
  switch (status) {
    case 'managing':
      return 'creating';
    case 'error_managing':
      return 'error';
    case 'error_managing_deleting':
      return 'deleting';
    default:
      return status;
  }
}

function metadataOf(v: VolumeEntity): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of [...(v.metadata ?? [])].sort((a, b) => a.key.localeCompare(b.key))) out[m.key] = m.value;
  return out;
}

function attachmentSummary(a: VolumeAttachmentEntity, isAdmin: boolean): Record<string, unknown> {
  return {
    id: a.volumeId,
    attachment_id: a.id,
    volume_id: a.volumeId,
    server_id: a.instanceUuid,
    host_name: isAdmin ? a.attachedHost : null,
    device: a.mountpoint,
    attached_at: formatTimestamp(a.attachTime),
  };
}
