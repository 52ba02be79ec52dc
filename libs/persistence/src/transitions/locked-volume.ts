import { EntityManager } from 'typeorm';
import { CodedError, ErrorCode } from '@volume/domain';
import { VolumeEntity } from '../entities/volume.entity';

/**
 * The volume's row, locked until the caller's transaction ends: a domain rule then judges the row as
 * it is, and a racing request waits and is judged on what this one wrote (as Cinder's conditional
 * updates decide between racing requests). Internal to the transitions: the barrel does not export it.
 * @throws CodedError(NotFound) with Cinder's text when the volume is gone.
 */
export async function lockVolume(em: EntityManager, volumeId: string): Promise<VolumeEntity> {
  const volume = await em.getRepository(VolumeEntity).findOne({ where: { id: volumeId }, lock: { mode: 'pessimistic_write' } });
  if (!volume) throw new CodedError(ErrorCode.NotFound, `Volume ${volumeId} could not be found.`);
  return volume;
}
