import { VolumeAttachmentEntity } from '@volume/persistence';

/** Cinder's attachment views: summary for lists, detail (with connection_info) for one attachment. */
export function attachmentSummary(a: VolumeAttachmentEntity): Record<string, unknown> {
  return { id: a.id, status: a.attachStatus, instance: a.instanceUuid, volume_id: a.volumeId };
}

export function attachmentDetail(a: VolumeAttachmentEntity): Record<string, unknown> {
  return {
    ...attachmentSummary(a),
    // Cinder serialises these with normalize_time(); an absent time is ''.
    attached_at: a.attachTime ? a.attachTime.toISOString().replace('Z', '') : '',
    detached_at: a.detachTime ? a.detachTime.toISOString().replace('Z', '') : '',
    attach_mode: a.attachMode,
    connection_info: a.connectionInfo,
  };
}
