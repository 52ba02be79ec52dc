import { ArgumentsHost, Catch, ExceptionFilter, HttpException } from '@nestjs/common';
import { FastifyReply, FastifyRequest } from 'fastify';
import { faultBody } from '@volume/contracts';
import { GENERIC_400, toFault } from './fault';

const NOT_FOUND_TEXT = '404 Not Found\n\nThe resource could not be found.\n\n   ';

/** Every error a controller throws leaves as Cinder's fault body; unexpected ones are logged, never shown. */
@Catch()
export class CinderFaultFilter implements ExceptionFilter {
  catch(err: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const req = http.getRequest<FastifyRequest>();
    let status: number;
    let message: string;
    if (req.is404) {
      // Cinder's router answers unknown paths before any controller, in plain text.
      reply.code(404).type('text/plain; charset=UTF-8').send(NOT_FOUND_TEXT);
      return;
    }
    if (err instanceof HttpException && err.getStatus() < 500) {
      status = err.getStatus() === 404 ? 404 : 400;
      message = status === 404 ? 'The resource could not be found.' : GENERIC_400;
    } else {
      ({ status, message } = toFault(err));
    }
    if (status >= 500) req.log.error({ err }, 'request failed');
    reply.code(status).type('application/json').send(faultBody(status, message));
  }
}
