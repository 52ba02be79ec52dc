import { DataSource } from 'typeorm';
import { CodedError, ErrorCode } from '@volume/contracts';
import { ApiVersion } from '@volume/microversion';
import { createDataSource } from '@volume/persistence';
import { createTestDatabase, TestDatabase } from '@volume/testing';
import { Caller } from '@volume/auth';
import { AuthedContext } from '../http/request-context';
import { VolumeTypesService } from '../types/volume-types.service';
import { parseCreateRequest } from './volume-requests';

// A create request names its volume type as the caller sees types: against a freshly migrated
// PostgreSQL database, with the real types service.

const admin: Caller = { userId: 'admin', projectId: 'p-admin', roles: ['admin'], isAdmin: true, isService: false };
const member: Caller = { userId: 'u1', projectId: 'p1', roles: ['member'], isAdmin: false, isService: false };

let db: TestDatabase;
let ds: DataSource;
let types: VolumeTypesService;
let privateTypeId: string;

beforeAll(async () => {
  db = await createTestDatabase('volume_requests');
  ds = await createDataSource({ url: db.url, poolSize: 2 }).initialize();
  types = new VolumeTypesService(ds);
  privateTypeId = (await types.create({ name: 'reserved', description: null, isPublic: false, extraSpecs: {} })).id;
  await types.create({ name: 'open', description: null, isPublic: true, extraSpecs: {} });
});

afterAll(async () => {
  await ds?.destroy();
  await db?.drop();
});

function ctxOf(caller: Caller): AuthedContext {
  return { requestId: 'req-test', version: ApiVersion.parse('3.0'), caller, baseUrl: 'http://127.0.0.1:8776' };
}

function create(caller: Caller, volumeType: string) {
  return parseCreateRequest({ volume: { size: 1, volume_type: volumeType } }, ctxOf(caller), types);
}

async function refusal(action: Promise<unknown>): Promise<{ code: string; message: string }> {
  const err = await action.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CodedError);
  return { code: (err as CodedError).code, message: (err as CodedError).message };
}

describe('parseCreateRequest: the volume type', () => {
  it('when a member names a private type by id, then 404 "Volume type <id> could not be found."', async () => {
    expect(await refusal(create(member, privateTypeId))).toEqual({
      code: ErrorCode.NotFound,
      message: `Volume type ${privateTypeId} could not be found.`,
    });
  });

  it('when a member names a private type by name, then 404 "Volume type with name <name> could not be found."', async () => {
    expect(await refusal(create(member, 'reserved'))).toEqual({
      code: ErrorCode.NotFound,
      message: 'Volume type with name reserved could not be found.',
    });
  });

  it('when an admin names the private type, or a member a public one, then the request carries that type', async () => {
    expect((await create(admin, privateTypeId)).volumeType.id).toBe(privateTypeId);
    expect((await create(admin, 'reserved')).volumeType.id).toBe(privateTypeId);
    expect((await create(member, 'open')).volumeType.name).toBe('open');
  });

  it('when 20 creates name the same type at once, then one lookup answers them all; a type made after a lookup was answered is found by the next create', async () => {
    // The type's read (private: what reaches the database), counted.
    const resolve = jest.spyOn(types as unknown as { read: (r: unknown) => Promise<unknown> }, 'read');
    try {
      const burst = await Promise.all(Array.from({ length: 20 }, () => create(member, 'open')));
      expect({ names: [...new Set(burst.map((b) => b.volumeType.name))], lookups: resolve.mock.calls.length }).toEqual({ names: ['open'], lookups: 1 });
      expect(await refusal(create(member, 'late'))).toMatchObject({ code: ErrorCode.NotFound });
      await types.create({ name: 'late', description: null, isPublic: true, extraSpecs: {} });
      expect((await create(member, 'late')).volumeType.name).toBe('late');
    } finally {
      resolve.mockRestore();
    }
  });
});
