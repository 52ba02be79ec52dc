import { ErrorCode } from '@volume/domain';
import { refusal } from '@volume/domain/testing';
import { parseCreateAttachment } from './create-attachment';

const VOLUME = '6b8c7b50-3d2e-4d6a-9d1f-2f7a1b2c3d4e';
const SERVER = '0f5c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b';
const badRequest = (message: string): ReturnType<typeof refusal> => refusal(ErrorCode.BadRequest, message);

describe('parseCreateAttachment', () => {
  it('is not found below 3.27, where the attachments API does not exist', () => {
    expect(() => parseCreateAttachment({ attachment: { volume_uuid: VOLUME } }, '3.26')).toThrow(
      refusal(ErrorCode.NotFound, 'The resource could not be found.'),
    );
  });

  it('demands a volume uuid', () => {
    expect(() => parseCreateAttachment({ attachment: {} }, '3.54')).toThrow(
      badRequest("Invalid input for field/attribute attachment. Value: {}. 'volume_uuid' is a required property"),
    );
    expect(() => parseCreateAttachment({ attachment: { volume_uuid: 'x' } }, '3.27')).toThrow(
      badRequest("Invalid input for field/attribute volume_uuid. Value: x. 'x' is not a 'uuid'"),
    );
  });

  it('accepts a null instance but not a malformed one', () => {
    expect(parseCreateAttachment({ attachment: { volume_uuid: VOLUME, instance_uuid: null } }, '3.27').instanceUuid).toBeNull();
    expect(() => parseCreateAttachment({ attachment: { volume_uuid: VOLUME, instance_uuid: 'abc' } }, '3.27')).toThrow(
      badRequest("Invalid input for field/attribute instance_uuid. Value: abc. 'abc' is not valid under any of the given schemas"),
    );
  });

  it('takes a mode only from 3.54', () => {
    expect(() => parseCreateAttachment({ attachment: { volume_uuid: VOLUME, mode: 'rw' } }, '3.53')).toThrow(
      badRequest(
        `Invalid input for field/attribute attachment. Value: {'volume_uuid': '${VOLUME}', 'mode': 'rw'}. Additional properties are not allowed ('mode' was unexpected)`,
      ),
    );
    expect(() => parseCreateAttachment({ attachment: { volume_uuid: VOLUME, mode: 'rx' } }, '3.54')).toThrow(
      badRequest("Invalid input for field/attribute mode. Value: rx. 'rx' is not one of ['rw', 'ro']"),
    );
  });

  it('returns the normalised request', () => {
    const connector = { host: 'compute-1', initiator: 'iqn.1994-05.com.redhat:1' };
    expect(
      parseCreateAttachment({ attachment: { volume_uuid: VOLUME, instance_uuid: SERVER, connector, mode: 'ro' } }, '3.54'),
    ).toEqual({ volumeUuid: VOLUME, instanceUuid: SERVER, connector, mode: 'ro' });
    expect(parseCreateAttachment({ attachment: { volume_uuid: VOLUME } }, '3.27')).toEqual({
      volumeUuid: VOLUME,
      instanceUuid: null,
      connector: null,
      mode: null,
    });
  });
});
