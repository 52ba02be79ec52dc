/**
 * While a host-assisted migration copies, its destination is a volume row of its own with the
 * source's name and `migration_status` `target:<source id>` (Cinder's convention). It is the
 * migration's, not a volume an operator means by that name.
 */
export function isMigrationDestination(volume: { migration_status?: string | null }): boolean {
  return volume.migration_status?.startsWith('target:') ?? false;
}
