import type { JsonSchema } from '../validation/json-schema';
import { uuid, uuidAllowNull } from './parameter-types';

// Cinder's cinder/api/schemas/attachments.py create schemas (the attachments API exists from 3.27).

const attachmentProperties: Readonly<Record<string, JsonSchema>> = {
  instance_uuid: uuidAllowNull,
  connector: { type: ['object', 'null'] },
  volume_uuid: uuid,
};

function createAttachment(properties: Readonly<Record<string, JsonSchema>>): JsonSchema {
  return {
    type: 'object',
    properties: {
      attachment: { type: 'object', properties, required: ['volume_uuid'], additionalProperties: false },
    },
    required: ['attachment'],
    additionalProperties: false,
  };
}

/** 3.27 - 3.53 */
export const createAttachmentSchema = createAttachment(attachmentProperties);
/** 3.54+: + mode */
export const createAttachmentV354Schema = createAttachment({
  ...attachmentProperties,
  mode: { type: 'string', enum: ['rw', 'ro'] },
});
