import { ApiVersion } from './api-version';
import * as mv from './microversions';

describe('microversion constants', () => {
  // Raising the maximum is a one-constant change, so these specs hold for 3.71 and for later values.
  it('when the server range is read, then it starts at 3.0 and reaches at least upstream Cinder\'s 3.71', () => {
    expect(mv.MIN_API_VERSION).toBe('3.0');
    expect(ApiVersion.parse(mv.MAX_API_VERSION).gte('3.71')).toBe(true);
  });

  it('when the maximum\'s updated stamp is read, then it has Cinder\'s midnight-UTC form (2023-08-31T00:00:00Z for 3.71)', () => {
    expect(mv.MAX_API_VERSION_UPDATED).toMatch(/^\d{4}-\d{2}-\d{2}T00:00:00Z$/);
  });

  it.each([
    ['BASE_VERSION', '3.0'],
    ['VOLUME_LIST_BOOTABLE', '3.2'],
    ['VOLUME_SUMMARY', '3.12'],
    ['GROUP_VOLUME', '3.13'],
    ['VOLUME_MIGRATE_CLUSTER', '3.16'],
    ['VOLUME_DETAIL_PROVIDER_ID', '3.21'],
    ['NEW_ATTACH', '3.27'],
    ['RESOURCE_FILTER', '3.31'],
    ['LIKE_FILTER', '3.34'],
    ['VOLUME_SUMMARY_METADATA', '3.36'],
    ['NEW_ATTACH_COMPLETION', '3.44'],
    ['SUPPORT_COUNT_INFO', '3.45'],
    ['VOLUME_CREATE_FROM_BACKUP', '3.47'],
    ['VOLUME_SHARED_TARGETS_AND_SERVICE_FIELDS', '3.48'],
    ['SUPPORT_VOLUME_SCHEMA_CHANGES', '3.53'],
    ['VOLUME_TIME_COMPARISON_FILTER', '3.60'],
    ['VOLUME_CLUSTER_NAME', '3.61'],
    ['VOLUME_TYPE_ID_IN_VOLUME_DETAIL', '3.63'],
    ['ENCRYPTION_KEY_ID_IN_DETAILS', '3.64'],
    ['USE_QUOTA', '3.65'],
    ['PROJECT_ID_OPTIONAL_IN_URL', '3.67'],
    ['SHARED_TARGETS_TRISTATE', '3.69'],
    ['EXTEND_VOLUME_COMPLETION', '3.71'],
    ['MIGRATION_PROGRESS', '3.72'],
    ['VOLUME_MIGRATIONS', '3.73'],
  ])('when code asks for the %s feature, then it gets Cinder\'s version %s', (name, version) => {
    expect((mv as Record<string, unknown>)[name]).toBe(version);
  });

  const features = Object.entries(mv as Record<string, unknown>).filter(
    (entry): entry is [string, string] =>
      typeof entry[1] === 'string' && !['MIN_API_VERSION', 'MAX_API_VERSION', 'MAX_API_VERSION_UPDATED'].includes(entry[0]),
  );

  it('when features are listed, then no two constants name the same version (one constant per feature)', () => {
    const versions = features.map(([, version]) => version);
    expect(new Set(versions).size).toBe(versions.length);
  });

  it('when any feature constant is checked, then it lies within the server range', () => {
    for (const [, version] of features) {
      expect(ApiVersion.parse(version).matches(mv.MIN_API_VERSION, mv.MAX_API_VERSION)).toBe(true);
    }
  });
});

describe('getPriorVersion', () => {
  it.each([
    ['3.16', '3.15'],
    ['3.10', '3.9'],
    ['3.1', '3.0'],
    ['3.0', '3.0'],
  ])('when asked for the version before %s, then it is %s', (version, prior) => {
    expect(mv.getPriorVersion(version)).toBe(prior);
  });

  it('when given an ApiVersion, then it answers the same as for its text', () => {
    expect(mv.getPriorVersion(ApiVersion.parse(mv.VOLUME_MIGRATE_CLUSTER))).toBe('3.15');
  });

  it.each(['2.5', '4.0', '3', '3.1.2', '3.x', ''])('when given %j, then it refuses it as Cinder does', (version) => {
    expect(() => mv.getPriorVersion(version)).toThrow(`Invalid input received: Version ${version} is not a valid microversion format.`);
  });
});
