import { ErrorCode } from '@volume/domain';
import { refusal } from '@volume/domain/testing';
import { checkMetadataProperties } from './metadata';

const badRequest = (message: string): ReturnType<typeof refusal> => refusal(ErrorCode.BadRequest, message);

describe('checkMetadataProperties is Cinder utils.check_metadata_properties', () => {
  it('accepts no metadata and ordinary metadata', () => {
    expect(() => checkMetadataProperties(null)).not.toThrow();
    expect(() => checkMetadataProperties({})).not.toThrow();
    expect(() => checkMetadataProperties({ k: 'v'.repeat(255) })).not.toThrow();
  });

  it('refuses a non-dict', () => {
    expect(() => checkMetadataProperties(['k'])).toThrow(badRequest('Metadata should be a dict.'));
  });

  it('refuses an empty key and a non-string value as invalid metadata', () => {
    expect(() => checkMetadataProperties({ '': 'v' })).toThrow(
      badRequest('Invalid metadata: Invalid input received: Metadata key:  has 0 characters, less than 1.'),
    );
    expect(() => checkMetadataProperties({ k: 1 })).toThrow(
      badRequest('Invalid metadata: Invalid input received: Value for metadata key: k is not a string or unicode'),
    );
  });

  it('refuses keys and values over 255 characters as an invalid size', () => {
    const key = 'k'.repeat(256);
    expect(() => checkMetadataProperties({ [key]: 'v' })).toThrow(
      badRequest(`Invalid metadata size: Metadata property key ${key} greater than 255 characters.`),
    );
    expect(() => checkMetadataProperties({ k: 'v'.repeat(256) })).toThrow(
      badRequest('Invalid metadata size: Metadata property key k value greater than 255 characters.'),
    );
  });
});
