import { ArgumentsHost, Catch, ExceptionFilter, HttpException } from '@nestjs/common';
import { FastifyReply, FastifyRequest } from 'fastify';
import { QueryFailedError } from 'typeorm';
import { Fault, ROUTER_NOT_FOUND_TEXT, sendFault, toFault, transportFault } from './fault';
import { requestIdHeaders } from './request-id';

/** Every error a controller throws leaves as Cinder's fault body; unexpected ones are logged, never shown. */
@Catch()
export class CinderFaultFilter implements ExceptionFilter {
  catch(err: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const req = http.getRequest<FastifyRequest>();
    // Some refusals reach the filter without passing the request hooks (a bad URL with an unknown method).
    reply.headers(requestIdHeaders(req.id));
    if (req.is404) {
      // Cinder's router answers unknown paths before any controller, in plain text.
      reply.code(404).type('text/plain; charset=UTF-8').send(ROUTER_NOT_FOUND_TEXT);
      return;
    }
    // Nest wraps Fastify's refusals (a body over the limit, bad framing) in an HttpException of their status.
    const fault: Fault = err instanceof HttpException && err.getStatus() < 500 ? transportFault(err.getStatus()) : toFault(err);
    const { status } = fault;
    if (status >= 500) req.log.error({ err }, 'request failed');
    // A value the database refused is the client's error, and a check the API should have made.
    else if (err instanceof QueryFailedError) req.log.warn({ err }, 'request input refused by the database');
    sendFault(reply, fault);
  }
}
