import { Injectable } from '@nestjs/common';
import { CodedError, ErrorCode } from '@volume/contracts';
import { AuthedContext } from '../http/request-context';

export interface ActionResult {
  status: number;
  body?: unknown;
}

type ActionHandler = (ctx: AuthedContext, volumeId: string, args: unknown) => Promise<ActionResult>;

/**
 * `POST /volumes/{id}/action`: the body's single key names the action, as Cinder's action
 * dispatcher reads it. Actions register here as the features that own them land.
 */
@Injectable()
export class VolumeActionsService {
  private readonly handlers = new Map<string, ActionHandler>();

  register(name: string, handler: ActionHandler): void {
    this.handlers.set(name, handler);
  }

  async dispatch(ctx: AuthedContext, volumeId: string, body: unknown): Promise<ActionResult> {
    if (body === null || typeof body !== 'object' || Array.isArray(body) || Object.keys(body).length !== 1) {
      throw new CodedError(ErrorCode.BadRequest, 'Malformed request body');
    }
    const [name, args] = Object.entries(body)[0];
    const handler = this.handlers.get(name);
    if (!handler) {
      throw new CodedError(
        ErrorCode.BadRequest,
        `There is no such action: ${name}. Verify the request body and Content-Type header and try again.`,
      );
    }
    return handler(ctx, volumeId, args);
  }
}
