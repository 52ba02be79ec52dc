import { CodedError, ErrorCode } from '@volume/contracts';
import {
  parseCreateExtraSpecsRequest,
  parseCreateVolumeTypeRequest,
  parseIsPublicFilter,
  parseUpdateExtraSpecRequest,
} from './volume-type.request';

function refusal(parse: () => unknown): string {
  try {
    parse();
  } catch (err) {
    expect(err).toBeInstanceOf(CodedError);
    expect((err as CodedError).code).toBe(ErrorCode.BadRequest);
    return (err as CodedError).message;
  }
  throw new Error('expected a 400');
}

describe('POST /types body', () => {
  it('when only a name is given, then the type is public, without description or extra specs', () => {
    expect(parseCreateVolumeTypeRequest({ volume_type: { name: 'gold' } })).toEqual({
      name: 'gold',
      description: null,
      isPublic: true,
      extraSpecs: {},
    });
  });

  it('when is_public is one of the oslo boolean spellings, then it is read as that boolean', () => {
    const input = parseCreateVolumeTypeRequest({
      volume_type: { name: 'gold', description: 'fast', 'os-volume-type-access:is_public': 'False', extra_specs: { a: '1', b: null } },
    });
    expect(input).toEqual({ name: 'gold', description: 'fast', isPublic: false, extraSpecs: { a: '1', b: null } });
  });

  it('when the body is empty, then it is refused as None', () => {
    expect(refusal(() => parseCreateVolumeTypeRequest(undefined))).toBe("None is not of type 'object'");
  });

  it('when volume_type is missing, then the required property is named', () => {
    expect(refusal(() => parseCreateVolumeTypeRequest({}))).toBe("'volume_type' is a required property");
  });

  it('when the name is missing, then the required property is named under volume_type', () => {
    expect(refusal(() => parseCreateVolumeTypeRequest({ volume_type: { description: 'x' } }))).toBe(
      "Invalid input for field/attribute volume_type. Value: {'description': 'x'}. 'name' is a required property",
    );
  });

  it('when the name is empty, then jsonschema says it is too short', () => {
    expect(refusal(() => parseCreateVolumeTypeRequest({ volume_type: { name: '' } }))).toBe(
      "Invalid input for field/attribute name. Value: . '' is too short",
    );
  });

  it('when the name is 256 characters, then it is too long', () => {
    const name = 'n'.repeat(256);
    expect(refusal(() => parseCreateVolumeTypeRequest({ volume_type: { name } }))).toBe(
      `Invalid input for field/attribute name. Value: ${name}. '${name}' is too long`,
    );
  });

  it('when the name is only whitespace, then the name checker refuses it before any later field', () => {
    expect(refusal(() => parseCreateVolumeTypeRequest({ volume_type: { name: ' \t', description: 5 } }))).toBe(
      "An invalid 'name' value was provided. The 'name' can not be empty.",
    );
  });

  it('when the description holds a control character, then it does not match the printable pattern, quoted as Python quotes it', () => {
    const message = refusal(() => parseCreateVolumeTypeRequest({ volume_type: { name: 'gold', description: 'a\u0001b' } }));
    // The pattern opens with the escaped range ' '..'~' and continues from U+00A0 (repr doubles backslashes).
    const opening = "Invalid input for field/attribute description. Value: a\u0001b. 'a\\x01b' does not match '^[\\\\ -\\\\~\\xa0-";
    expect(message.slice(0, opening.length)).toBe(opening);
    expect(message.endsWith("]*$'")).toBe(true);
  });

  it('when the description ends with one newline, then it passes as it does with Python regular expressions', () => {
    expect(parseCreateVolumeTypeRequest({ volume_type: { name: 'gold', description: 'fast\n' } }).description).toBe('fast\n');
  });

  it('when an extra spec key has a character outside the pattern, then the pattern is quoted', () => {
    expect(refusal(() => parseCreateVolumeTypeRequest({ volume_type: { name: 'gold', extra_specs: { 'a!': 'x' } } }))).toBe(
      "Invalid input for field/attribute extra_specs. Value: {'a!': 'x'}. 'a!' does not match any of the regexes: '^[a-zA-Z0-9-_:. /]{1,255}$'",
    );
  });

  it('when an extra spec value is a number, then the value is refused under its key', () => {
    expect(refusal(() => parseCreateVolumeTypeRequest({ volume_type: { name: 'gold', extra_specs: { k: 1 } } }))).toBe(
      "Invalid input for field/attribute k. Value: 1. 1 is not of type 'string', 'null'",
    );
  });

  it('when is_public is not a boolean spelling, then the allowed values are listed', () => {
    expect(
      refusal(() => parseCreateVolumeTypeRequest({ volume_type: { name: 'gold', 'os-volume-type-access:is_public': 'maybe' } })),
    ).toBe(
      "Invalid input for field/attribute os-volume-type-access:is_public. Value: maybe. 'maybe' is not one of " +
        "[True, 'True', 'TRUE', 'true', '1', 'ON', 'On', 'on', 'YES', 'Yes', 'yes', 'y', 't', " +
        "False, 'False', 'FALSE', 'false', '0', 'OFF', 'Off', 'off', 'NO', 'No', 'no', 'n', 'f']",
    );
  });

  it('when volume_type has an unknown key, then it is an additional property', () => {
    expect(refusal(() => parseCreateVolumeTypeRequest({ volume_type: { name: 'gold', foo: 1 } }))).toBe(
      "Invalid input for field/attribute volume_type. Value: {'name': 'gold', 'foo': 1}. Additional properties are not allowed ('foo' was unexpected)",
    );
  });
});

describe('POST /types/{id}/extra_specs body', () => {
  it('when specs are given, then they are returned as sent, null values included', () => {
    expect(parseCreateExtraSpecsRequest({ extra_specs: { volume_backend_name: 'file', x: null } })).toEqual({
      volume_backend_name: 'file',
      x: null,
    });
  });

  it('when extra_specs is missing, then the required property is named', () => {
    expect(refusal(() => parseCreateExtraSpecsRequest({}))).toBe("'extra_specs' is a required property");
  });

  it('when a key has a space, then it is refused (unlike at type creation)', () => {
    expect(refusal(() => parseCreateExtraSpecsRequest({ extra_specs: { 'a b': 'x' } }))).toBe(
      "Invalid input for field/attribute extra_specs. Value: {'a b': 'x'}. 'a b' does not match any of the regexes: '^[a-zA-Z0-9-_:.]{1,255}$'",
    );
  });
});

describe('PUT /types/{id}/extra_specs/{key} body', () => {
  it('when the body has one spec, then it is returned', () => {
    expect(parseUpdateExtraSpecRequest({ multiattach: '<is> True' })).toEqual({ multiattach: '<is> True' });
  });

  it('when the body is empty, then it does not have enough properties', () => {
    expect(refusal(() => parseUpdateExtraSpecRequest({}))).toBe('{} does not have enough properties');
  });

  it('when the body has two specs, then it has too many properties', () => {
    expect(refusal(() => parseUpdateExtraSpecRequest({ a: '1', b: '2' }))).toBe("{'a': '1', 'b': '2'} has too many properties");
  });

  it('when a value is too long, then the schema refuses it before counting properties', () => {
    const value = 'v'.repeat(256);
    expect(refusal(() => parseUpdateExtraSpecRequest({ a: value, b: '2' }))).toBe(
      `Invalid input for field/attribute a. Value: ${value}. '${value}' is too long`,
    );
  });
});

describe('is_public filter of GET /types', () => {
  it('when absent, then only public types are listed', () => {
    expect(parseIsPublicFilter(undefined)).toBe(true);
  });

  it('when "None" in any case, then public and private types are listed', () => {
    expect(parseIsPublicFilter('None')).toBeNull();
    expect(parseIsPublicFilter('none')).toBeNull();
  });

  it('when a boolean spelling, then that visibility is listed', () => {
    expect(parseIsPublicFilter('false')).toBe(false);
    expect(parseIsPublicFilter('YES')).toBe(true);
  });

  it('when anything else, then it is refused naming the value', () => {
    expect(refusal(() => parseIsPublicFilter('maybe'))).toBe('Invalid is_public filter [maybe]');
  });
});
