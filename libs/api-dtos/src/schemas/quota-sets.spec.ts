import { ErrorCode } from '@volume/domain';
import { checkQuotaSetTarget, parseQuotaSetUpdate } from './quota-sets';

function refused(message: string) {
  return expect.objectContaining({ code: ErrorCode.BadRequest, message });
}

describe('PUT os-quota-sets body', () => {
  it('when limits are integers or numeric strings, then each is parsed and kept as spelled; tenant_id and id are ignored', () => {
    expect(parseQuotaSetUpdate({ quota_set: { tenant_id: 'p', volumes: 5, gigabytes: ' 20 ', per_volume_gigabytes: -1, backups: '1_0' } })).toEqual([
      { resource: 'volumes', limit: 5, requested: 5 },
      { resource: 'gigabytes', limit: 20, requested: ' 20 ' },
      { resource: 'per_volume_gigabytes', limit: -1, requested: -1 },
      { resource: 'backups', limit: 10, requested: '1_0' },
    ]);
  });

  it.each([
    [undefined, "None is not of type 'object'"],
    [[], "[] is not of type 'object'"],
    [{}, "'quota_set' is a required property"],
    [{ volumes: 1 }, "'quota_set' is a required property"],
    [{ quota_set: 5 }, "Invalid input for field/attribute quota_set. Value: 5. 5 is not of type 'object'"],
    [{ quota_set: {} }, 'Invalid input for field/attribute quota_set. Value: {}. {} does not have enough properties'],
    [{ quota_set: { volumes: 1 }, extra: 1 }, "Additional properties are not allowed ('extra' was unexpected)"],
  ])('when the body is %j, then the schema refuses it as Cinder: %s', (body, message) => {
    expect(() => parseQuotaSetUpdate(body)).toThrow(refused(message));
  });

  it.each([
    [{ volumes: -2 }, 'volumes must be >= -1'],
    [{ gigabytes: 2 ** 31 }, 'gigabytes must be <= 2147483647'],
    [{ volumes: 1.5 }, 'volumes must be an integer'],
    [{ volumes: 'ten' }, 'volumes must be an integer'],
    [{ volumes: true }, 'volumes must be an integer'],
    [{ volumes: null }, 'volumes must be an integer'],
    [{ volumes: [] }, 'volumes must be an integer'],
  ])('when a limit is %j, then oslo\'s validate_integer text', (quotaSet, message) => {
    expect(() => parseQuotaSetUpdate({ quota_set: quotaSet })).toThrow(refused(message));
  });

  it('when keys are unknown, then all of them are named together, after the known values were checked', () => {
    expect(() => parseQuotaSetUpdate({ quota_set: { foo: 1, volumes: 1, volumes___DEFAULT__: 2 } })).toThrow(
      refused('Invalid input received: Bad key(s) in quota set: foo, volumes___DEFAULT__'),
    );
    expect(() => parseQuotaSetUpdate({ quota_set: { foo: 1, volumes: -5 } })).toThrow(refused('volumes must be >= -1'));
  });

  it('when quota_set has a bad key and the body an extra one, then the format checker speaks first, as jsonschema walks it', () => {
    expect(() => parseQuotaSetUpdate({ quota_set: { foo: 1 }, extra: 1 })).toThrow(refused('Invalid input received: Bad key(s) in quota set: foo'));
  });
});

describe('the target project of an update', () => {
  it('when its id is longer than 255 characters, then Cinder\'s string length text; 255 passes', () => {
    expect(() => checkQuotaSetTarget('p'.repeat(256))).toThrow(refused('Invalid input received: quota_set_name has 256 characters, more than 255.'));
    expect(() => checkQuotaSetTarget('p'.repeat(255))).not.toThrow();
  });
});
