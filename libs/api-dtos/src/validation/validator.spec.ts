import { ErrorCode } from '@volume/domain';
import { refusal } from '@volume/domain/testing';
import type { JsonSchema } from './json-schema';
import { isValid, validate } from './validator';

const badRequest = (message: string): ReturnType<typeof refusal> => refusal(ErrorCode.BadRequest, message);

const size: JsonSchema = { type: ['integer', 'string', 'null'], pattern: '^[0-9]+$', minimum: 1, maximum: 2147483647 };
const withSize: JsonSchema = {
  type: 'object',
  properties: { volume: { type: 'object', properties: { size } } },
  required: ['volume'],
  additionalProperties: false,
};

describe('validate reports the first failure as Cinder words it', () => {
  it('prefixes a nested failure with the field name and the str() of the failing value', () => {
    expect(() => validate(withSize, { volume: { size: 0 } })).toThrow(
      badRequest('Invalid input for field/attribute size. Value: 0. 0 is less than the minimum of 1'),
    );
  });

  it('prints a failing string value bare after "Value:" and quoted in the message', () => {
    expect(() => validate(withSize, { volume: { size: 'abc' } })).toThrow(
      badRequest("Invalid input for field/attribute size. Value: abc. 'abc' does not match '^[0-9]+$'"),
    );
  });

  it('gives just the message when the failure is at the root', () => {
    expect(() => validate(withSize, {})).toThrow(badRequest("'volume' is a required property"));
    expect(() => validate(withSize, null)).toThrow(badRequest("None is not of type 'object'"));
  });

  it('names the object that lacks a required property', () => {
    const schema: JsonSchema = {
      type: 'object',
      properties: { 'os-migrate_volume': { type: 'object', required: ['host'] } },
    };
    expect(() => validate(schema, { 'os-migrate_volume': {} })).toThrow(
      badRequest("Invalid input for field/attribute os-migrate_volume. Value: {}. 'host' is a required property"),
    );
  });

  it('passes a valid body', () => {
    expect(() => validate(withSize, { volume: { size: '10' } })).not.toThrow();
    expect(isValid(withSize, { volume: { size: null } })).toBe(true);
  });

  it('checks keywords in schema key order, so properties fail before required and additionalProperties', () => {
    expect(() => validate(withSize, { volume: { size: -1 }, extra: 1 })).toThrow(
      badRequest('Invalid input for field/attribute size. Value: -1. -1 is less than the minimum of 1'),
    );
    expect(() => validate(withSize, { extra: 1 })).toThrow(badRequest("'volume' is a required property"));
  });
});

describe('type', () => {
  it('lists every allowed type', () => {
    expect(() => validate(size, 1.5)).toThrow(badRequest("1.5 is not of type 'integer', 'string', 'null'"));
  });

  it('does not count booleans as integers', () => {
    expect(() => validate(size, true)).toThrow(badRequest("True is not of type 'integer', 'string', 'null'"));
  });
});

describe('minimum and maximum also judge numeric strings, as Cinder\'s validator does', () => {
  it('compares the integer a string spells', () => {
    expect(() => validate(size, '0')).toThrow(badRequest('0 is less than the minimum of 1'));
    expect(() => validate(size, '2147483648')).toThrow(badRequest('2147483648 is greater than the maximum of 2147483647'));
  });

  it('falls back to float() and prints the float', () => {
    expect(() => validate({ minimum: 5 }, '1e3')).not.toThrow();
    expect(() => validate({ maximum: 5 }, '1e3')).toThrow(badRequest('1000.0 is greater than the maximum of 5'));
  });

  it('ignores values that are no number at all', () => {
    expect(() => validate({ minimum: 1 }, 'abc')).not.toThrow();
    expect(() => validate({ minimum: 1 }, null)).not.toThrow();
  });
});

describe('strings', () => {
  it('counts length in code points', () => {
    expect(() => validate({ maxLength: 1 }, '\u{1F600}')).not.toThrow();
    expect(() => validate({ maxLength: 1 }, 'ab')).toThrow(badRequest("'ab' is too long"));
    expect(() => validate({ minLength: 1 }, '')).toThrow(badRequest("'' is too short"));
  });

  it('lets a pattern ending in $ match before a final newline, as Python re does', () => {
    expect(() => validate({ pattern: '^[0-9]+$' }, '5\n')).not.toThrow();
    expect(() => validate({ pattern: '^[0-9]+$' }, '5\n\n')).toThrow(badRequest("'5\\n\\n' does not match '^[0-9]+$'"));
  });
});

describe('objects', () => {
  const closed: JsonSchema = { type: 'object', properties: { size: {} }, additionalProperties: false };

  it('lists unexpected properties sorted', () => {
    expect(() => validate(closed, { size: 1, bogus: 1, abc: { x: [1, null, true] } })).toThrow(
      badRequest("Additional properties are not allowed ('abc', 'bogus' were unexpected)"),
    );
  });

  const metadata: JsonSchema = {
    type: ['object', 'null'],
    patternProperties: { '^[a-zA-Z0-9-_:. /]{1,255}$': { type: 'string', maxLength: 255 } },
    additionalProperties: false,
  };

  it('validates values of keys matching a pattern, naming the key', () => {
    expect(() => validate({ properties: { metadata } }, { metadata: { k: 1 } })).toThrow(
      badRequest("Invalid input for field/attribute k. Value: 1. 1 is not of type 'string'"),
    );
  });

  it('refuses keys matching no pattern with jsonschema\'s regex message', () => {
    expect(() => validate({ properties: { metadata } }, { metadata: { 'bad!': 'v' } })).toThrow(
      badRequest(
        "Invalid input for field/attribute metadata. Value: {'bad!': 'v'}. 'bad!' does not match any of the regexes: '^[a-zA-Z0-9-_:. /]{1,255}$'",
      ),
    );
  });
});

describe('enum, anyOf and oneOf', () => {
  it('prints the enum as a Python list, keeping True distinct from 1', () => {
    expect(() => validate({ enum: [true, 'True'] }, 1)).toThrow(badRequest("1 is not one of [True, 'True']"));
    expect(() => validate({ enum: [true, 'True'] }, true)).not.toThrow();
  });

  it('anyOf fails when no branch holds', () => {
    const schema: JsonSchema = { anyOf: [{ required: ['name'] }, { required: ['metadata'] }] };
    expect(() => validate(schema, {})).toThrow(badRequest('{} is not valid under any of the given schemas'));
    expect(() => validate(schema, { metadata: {} })).not.toThrow();
  });

  it('oneOf fails when no branch holds', () => {
    const schema: JsonSchema = { oneOf: [{ type: 'null' }, { type: 'string', format: 'uuid' }] };
    expect(() => validate(schema, 'abc')).toThrow(badRequest("'abc' is not valid under any of the given schemas"));
  });

  it('oneOf also fails when several branches hold, listing them', () => {
    const schema: JsonSchema = { oneOf: [{ type: 'string' }, { minLength: 1 }] };
    expect(() => validate(schema, 'a')).toThrow(
      badRequest("'a' is valid under each of {'minLength': 1}, {'type': 'string'}"),
    );
  });
});

describe('format', () => {
  it('reports a failed check with jsonschema\'s "is not a" message', () => {
    expect(() => validate({ type: 'string', format: 'uuid' }, 'x')).toThrow(badRequest("'x' is not a 'uuid'"));
  });

  it('lets unknown formats pass, as Cinder does', () => {
    expect(() => validate({ format: 'no-such-format' }, 'x')).not.toThrow();
  });
});
