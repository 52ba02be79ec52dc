import { ErrorCode } from '@volume/domain';
import { refusal } from '@volume/domain/testing';
import { parseUpdateVolume } from './update-volume';

const badRequest = (message: string): ReturnType<typeof refusal> => refusal(ErrorCode.BadRequest, message);

describe('parseUpdateVolume', () => {
  it('refuses an empty update from 3.53 with the anyOf message', () => {
    expect(() => parseUpdateVolume({ volume: {} }, '3.53')).toThrow(
      badRequest('Invalid input for field/attribute volume. Value: {}. {} is not valid under any of the given schemas'),
    );
  });

  it('accepts an empty update before 3.53', () => {
    expect(parseUpdateVolume({ volume: {} }, '3.52')).toEqual({});
  });

  it('refuses unknown keys at every version, before the anyOf rule', () => {
    expect(() => parseUpdateVolume({ volume: { foo: 1 } }, '3.53')).toThrow(
      badRequest(
        "Invalid input for field/attribute volume. Value: {'foo': 1}. Additional properties are not allowed ('foo' was unexpected)",
      ),
    );
  });

  it('returns only the keys sent, stripped, with name over display_name', () => {
    expect(parseUpdateVolume({ volume: { display_name: ' n ', name: ' m ' } }, '3.70')).toEqual({ name: 'm' });
    expect(parseUpdateVolume({ volume: { display_description: null, metadata: { a: 'b' } } }, '3.70')).toEqual({
      description: null,
      metadata: { a: 'b' },
    });
  });
});
