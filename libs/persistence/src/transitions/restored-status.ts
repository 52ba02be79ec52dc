/**
 * SQL for the status a volume gets back when its migration ends: a volume the migration locked
 * (`maintenance`) returns to the status it had before; any other status stays. Internal to the
 * transitions: the barrel does not export it.
 */
export const RESTORE_LOCKED_STATUS_SQL = `CASE WHEN status = 'maintenance' THEN COALESCE(previous_status, 'available') ELSE status END`;
