import { CodedError, ErrorCode } from '@volume/domain';
import { validate } from '../validation/validator';
import { type Body, member, stringOrNull } from './body';
import { schemaFor } from './schema-for';

export interface CreateAttachmentRequest {
  volumeUuid: string;
  instanceUuid: string | null;
  connector: Record<string, unknown> | null;
  /** Only from 3.54; null leaves the choice to the volume. */
  mode: 'rw' | 'ro' | null;
}

/**
 * POST /attachments.
 * @throws CodedError(NotFound) below 3.27, where the API does not exist;
 *   CodedError(BadRequest) with Cinder's schema error text.
 */
export function parseCreateAttachment(body: unknown, version: string): CreateAttachmentRequest {
  const schema = schemaFor('attachment.create', version);
  if (schema === undefined) throw new CodedError(ErrorCode.NotFound, 'The resource could not be found.');
  validate(schema, body);
  const attachment = member(body as Body, 'attachment');
  const connector = attachment.connector;
  return {
    volumeUuid: attachment.volume_uuid as string,
    instanceUuid: stringOrNull(attachment, 'instance_uuid'),
    connector: connector === undefined || connector === null ? null : { ...(connector as Body) },
    mode: (attachment.mode as 'rw' | 'ro' | undefined) ?? null,
  };
}
