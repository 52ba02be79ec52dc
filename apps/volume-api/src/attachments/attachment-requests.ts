import { CodedError, ErrorCode } from '@volume/contracts';
import { parseCreateAttachment } from '@volume/domain';
import { ApiVersion } from '@volume/microversion';
import { CreateAttachmentInput } from './attachments.service';

function object(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

export function parseAttachmentCreate(body: unknown, version: ApiVersion): CreateAttachmentInput {
  const req = parseCreateAttachment(body, version.toString());
  return { volumeId: req.volumeUuid, instanceUuid: req.instanceUuid, connector: req.connector, mode: req.mode };
}

/** `PUT /attachments/{id}`: Cinder's attachment update schema requires a connector object. */
export function parseAttachmentUpdate(body: unknown): Record<string, unknown> {
  const attachment = object(object(body)?.attachment);
  if (!attachment) throw new CodedError(ErrorCode.BadRequest, "'attachment' is a required property");
  const connector = object(attachment.connector);
  if (!connector) {
    throw new CodedError(
      ErrorCode.BadRequest,
      attachment.connector === undefined
        ? "Invalid input for field/attribute attachment. Value: {}. 'connector' is a required property"
        : "Invalid input for field/attribute connector. 'connector' is not of type 'object'",
    );
  }
  return connector;
}

/** `POST /attachments/{id}/action`: the one action is os-complete. */
export function parseAttachmentAction(body: unknown): void {
  const b = object(body);
  const keys = b ? Object.keys(b) : [];
  if (keys.length !== 1) throw new CodedError(ErrorCode.BadRequest, 'Malformed request body');
  if (keys[0] !== 'os-complete') {
    throw new CodedError(
      ErrorCode.BadRequest,
      `There is no such action: ${keys[0]}. Verify the request body and Content-Type header and try again.`,
    );
  }
}
