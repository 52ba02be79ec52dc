import { defineCall } from './rpc';

export interface ScheduleCreateRequest {
  volumeId: string;
}
/** The scheduler answers as soon as it owns the request; placement and creation go on after. */
export interface ScheduleCreateReply {
  accepted: true;
}

export const SchedulerSubjects = {
  createVolume: defineCall<ScheduleCreateRequest, ScheduleCreateReply>('scheduler.create_volume.v1', 5_000, 'volume-scheduler'),
} as const;
