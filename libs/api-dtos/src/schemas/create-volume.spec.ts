import { ErrorCode } from '@volume/domain';
import { refusal } from '@volume/domain/testing';
import { GENERIC_BAD_REQUEST_MESSAGE, MULTIATTACH_REMOVED_MESSAGE, parseCreateVolume } from './create-volume';

const badRequest = (message: string): ReturnType<typeof refusal> => refusal(ErrorCode.BadRequest, message);
const SNAPSHOT = '6b8c7b50-3d2e-4d6a-9d1f-2f7a1b2c3d4e';

describe('parseCreateVolume refuses what real Cinder refused in the golden captures', () => {
  it('size 0 at 3.70 (capture 24) and at 3.0 (capture 32)', () => {
    const message = 'Invalid input for field/attribute size. Value: 0. 0 is less than the minimum of 1';
    expect(() => parseCreateVolume({ volume: { size: 0 } }, '3.70')).toThrow(badRequest(message));
    expect(() => parseCreateVolume({ volume: { size: 0 } }, '3.0')).toThrow(badRequest(message));
  });

  it("size 'abc' (capture 25)", () => {
    expect(() => parseCreateVolume({ volume: { size: 'abc' } }, '3.70')).toThrow(
      badRequest("Invalid input for field/attribute size. Value: abc. 'abc' does not match '^[0-9]+$'"),
    );
  });

  it('size -1 (capture 26)', () => {
    expect(() => parseCreateVolume({ volume: { size: -1 } }, '3.70')).toThrow(
      badRequest('Invalid input for field/attribute size. Value: -1. -1 is less than the minimum of 1'),
    );
  });

  it('a body without volume (capture 27) and an empty body (capture 28)', () => {
    expect(() => parseCreateVolume({ size: 1 }, '3.70')).toThrow(badRequest("'volume' is a required property"));
    expect(() => parseCreateVolume({}, '3.70')).toThrow(badRequest("'volume' is a required property"));
  });

  it('a volume with neither size nor a source to take it from gets the generic text (capture 29)', () => {
    expect(() => parseCreateVolume({ volume: { name: 'x' } }, '3.70')).toThrow(badRequest(GENERIC_BAD_REQUEST_MESSAGE));
    expect(() => parseCreateVolume({ volume: {} }, '3.70')).toThrow(badRequest(GENERIC_BAD_REQUEST_MESSAGE));
    expect(() => parseCreateVolume({ volume: { size: null } }, '3.70')).toThrow(badRequest(GENERIC_BAD_REQUEST_MESSAGE));
  });

  it('a name of 256 characters (capture 30)', () => {
    expect(() => parseCreateVolume({ volume: { size: 1, name: 'n'.repeat(256) } }, '3.70')).toThrow(
      badRequest('Invalid input received: name has 256 characters, more than 255.'),
    );
  });
});

describe('parseCreateVolume applies the schema of the microversion', () => {
  it('accepts unknown volume keys before 3.53 and refuses them from 3.53', () => {
    expect(() => parseCreateVolume({ volume: { size: 1, bogus: 1 } }, '3.52')).not.toThrow();
    expect(() => parseCreateVolume({ volume: { size: 1, bogus: 1 } }, '3.53')).toThrow(
      badRequest(
        "Invalid input for field/attribute volume. Value: {'size': 1, 'bogus': 1}. Additional properties are not allowed ('bogus' was unexpected)",
      ),
    );
  });

  it('refuses unknown top-level keys at every version', () => {
    expect(() => parseCreateVolume({ volume: { size: 1 }, extra: 1 }, '3.0')).toThrow(
      badRequest("Additional properties are not allowed ('extra' was unexpected)"),
    );
  });

  it('validates metadata keys and values', () => {
    expect(() => parseCreateVolume({ volume: { size: 1, metadata: { k: 1 } } }, '3.70')).toThrow(
      badRequest("Invalid input for field/attribute k. Value: 1. 1 is not of type 'string'"),
    );
  });

  it('validates ids as optional uuids', () => {
    expect(() => parseCreateVolume({ volume: { size: 1, snapshot_id: 'abc' } }, '3.70')).toThrow(
      badRequest("Invalid input for field/attribute snapshot_id. Value: abc. 'abc' is not valid under any of the given schemas"),
    );
  });

  it('reports a bad name before a bad size, in schema order', () => {
    expect(() => parseCreateVolume({ volume: { size: 'x', name: 5 } }, '3.70')).toThrow(
      badRequest("Invalid input for field/attribute name. Value: 5. 5 is not of type 'string', 'null'"),
    );
  });
});

describe('parseCreateVolume refuses multiattach like Cinder, by Python truthiness', () => {
  it.each([true, 'True', 'false', '0'])('multiattach %j is refused', (multiattach) => {
    expect(() => parseCreateVolume({ volume: { size: 1, multiattach } }, '3.70')).toThrow(
      badRequest(MULTIATTACH_REMOVED_MESSAGE),
    );
  });

  it.each([false, null])('multiattach %j is accepted', (multiattach) => {
    expect(parseCreateVolume({ volume: { size: 1, multiattach } }, '3.70').size).toBe(1);
  });

  it('refuses multiattach before complaining about a missing size', () => {
    expect(() => parseCreateVolume({ volume: { multiattach: true } }, '3.70')).toThrow(
      badRequest(MULTIATTACH_REMOVED_MESSAGE),
    );
  });
});

describe('parseCreateVolume normalises the request', () => {
  it('returns defaults for a minimal volume (capture 33)', () => {
    expect(parseCreateVolume({ volume: { size: 1, name: 'peer-vol-capture' } }, '3.70')).toEqual({
      name: 'peer-vol-capture',
      description: null,
      size: 1,
      volumeType: null,
      metadata: {},
      availabilityZone: null,
      snapshotId: null,
      sourceVolid: null,
      consistencygroupId: null,
      groupId: null,
      backupId: null,
      imageRef: null,
      schedulerHints: null,
    });
  });

  it('strips name and description and prefers them over the display_ forms', () => {
    const request = parseCreateVolume(
      { volume: { size: 1, name: '  a  ', display_name: 'b', display_description: ' legacy ' } },
      '3.70',
    );
    expect(request.name).toBe('a');
    expect(request.description).toBe('legacy');
  });

  it('lets an explicit null name win over display_name, as Cinder pops name into display_name', () => {
    expect(parseCreateVolume({ volume: { size: 1, name: null, display_name: 'b' } }, '3.70').name).toBeNull();
  });

  it('reads a numeric string size as an integer', () => {
    expect(parseCreateVolume({ volume: { size: '10' } }, '3.70').size).toBe(10);
  });

  it('leaves size null when a snapshot, source volume, backup or image can supply it', () => {
    expect(parseCreateVolume({ volume: { snapshot_id: SNAPSHOT } }, '3.70').size).toBeNull();
    expect(parseCreateVolume({ volume: { source_volid: SNAPSHOT } }, '3.70').sourceVolid).toBe(SNAPSHOT);
    expect(parseCreateVolume({ volume: { backup_id: SNAPSHOT } }, '3.47').backupId).toBe(SNAPSHOT);
    expect(parseCreateVolume({ volume: { imageRef: 'cirros' } }, '3.70').imageRef).toBe('cirros');
  });

  it('takes image_id over imageRef', () => {
    expect(parseCreateVolume({ volume: { size: 1, image_id: 'a', imageRef: 'b' } }, '3.70').imageRef).toBe('a');
  });

  it('treats an empty volume_type and an empty backup_id as absent', () => {
    const request = parseCreateVolume({ volume: { size: 1, volume_type: '', backup_id: null } }, '3.70');
    expect(request.volumeType).toBeNull();
    expect(request.backupId).toBeNull();
  });

  it('reads group_id and backup_id even at versions whose schema does not know them', () => {
    const request = parseCreateVolume({ volume: { size: 1, group_id: 'g1', backup_id: 'b1' } }, '3.0');
    expect(request.groupId).toBe('g1');
    expect(request.backupId).toBe('b1');
  });

  it('takes scheduler hints from the top level, or before 3.53 from inside the volume', () => {
    expect(
      parseCreateVolume({ volume: { size: 1 }, 'OS-SCH-HNT:scheduler_hints': { same_host: SNAPSHOT } }, '3.70')
        .schedulerHints,
    ).toEqual({ same_host: SNAPSHOT });
    expect(parseCreateVolume({ volume: { size: 1, scheduler_hints: { a: 1 } } }, '3.52').schedulerHints).toEqual({ a: 1 });
  });

  it('copies metadata', () => {
    expect(parseCreateVolume({ volume: { size: 1, metadata: { k: 'v' } } }, '3.70').metadata).toEqual({ k: 'v' });
  });
});
