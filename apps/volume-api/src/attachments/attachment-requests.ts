import { CodedError, ErrorCode } from '@volume/contracts';
import { parseCreateAttachment } from '@volume/api-dtos';
import { ApiVersion } from '@volume/microversion';
import { CreateAttachmentInput } from './attachments.service';

function object(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** The connector's fields that the attachment keeps in columns (attached_host, mountpoint), with their width. */
const CONNECTOR_COLUMNS = { host: 255, mountpoint: 255 } as const;

/** Checked before the worker is asked to connect anything: afterwards the row could not be written. */
function checkConnector(connector: Record<string, unknown>): Record<string, unknown> {
  for (const [field, width] of Object.entries(CONNECTOR_COLUMNS)) {
    const value = connector[field];
    if (typeof value === 'string' && value.length > width) {
      throw new CodedError(ErrorCode.BadRequest, `Invalid input received: connector ${field} is longer than ${width} characters.`);
    }
  }
  return connector;
}

export function parseAttachmentCreate(body: unknown, version: ApiVersion): CreateAttachmentInput {
  const req = parseCreateAttachment(body, version.toString());
  const connector = req.connector && checkConnector(req.connector);
  return { volumeId: req.volumeUuid, instanceUuid: req.instanceUuid, connector, mode: req.mode };
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
  return checkConnector(connector);
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
