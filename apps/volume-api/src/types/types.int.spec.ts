import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { CodedError, ErrorCode } from '@volume/contracts';
import { createDataSource, VolumeEntity } from '@volume/persistence';
import { createTestDatabase, TestDatabase } from '@volume/testing';
import { Caller } from '@volume/auth';
import { extraSpecsOf } from './extra-specs';
import { DEFAULT_VOLUME_TYPE, VolumeTypesService } from './volume-types.service';

// The volume types service against a freshly migrated PostgreSQL database: the queries and the
// constraints are what these tests are about.

const admin: Caller = { userId: 'admin', projectId: 'p-admin', roles: ['admin'], isAdmin: true, isService: false };
const member: Caller = { userId: 'u1', projectId: 'p1', roles: ['member'], isAdmin: false, isService: false };

let db: TestDatabase;
let ds: DataSource;
let types: VolumeTypesService;

beforeAll(async () => {
  db = await createTestDatabase('volume_types');
  ds = await createDataSource({ url: db.url, poolSize: 2 }).initialize();
  types = new VolumeTypesService(ds);
});

afterAll(async () => {
  await ds?.destroy();
  await db?.drop();
});

async function refusal(action: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await action;
  } catch (err) {
    expect(err).toBeInstanceOf(CodedError);
    return { code: (err as CodedError).code, message: (err as CodedError).message };
  }
  throw new Error('expected a refusal');
}

async function insertVolume(typeId: string, host: string | null, size: number): Promise<string> {
  const id = randomUUID();
  await ds.getRepository(VolumeEntity).insert({
    id,
    projectId: 'p1',
    userId: 'u1',
    size,
    status: 'available',
    availabilityZone: 'nova',
    volumeTypeId: typeId,
    host,
    createdAt: new Date(),
  });
  return id;
}

function typeInput(name: string, extraSpecs: Record<string, string | null> = {}, isPublic = true) {
  return { name, description: null, isPublic, extraSpecs };
}

describe('volume types', () => {
  it('when no type is named, then resolve gives the default type', async () => {
    for (const none of [null, undefined, '']) {
      expect((await types.resolve(none, member)).name).toBe(DEFAULT_VOLUME_TYPE);
    }
    expect((await types.getDefault()).name).toBe(DEFAULT_VOLUME_TYPE);
  });

  it('when a type is created with extra specs, then it resolves by name and by id with its specs', async () => {
    const created = await types.create({ ...typeInput('gold', { volume_backend_name: 'file', empty: null }), description: 'fast' });
    expect(created).toMatchObject({ name: 'gold', description: 'fast', isPublic: true });
    const byName = await types.resolve('gold', member);
    const byId = await types.resolve(created.id, member);
    expect(byId.id).toBe(created.id);
    expect(byName.id).toBe(created.id);
    // A null spec value is kept as an empty string: the column cannot hold null.
    expect(extraSpecsOf(byId)).toEqual({ volume_backend_name: 'file', empty: '' });
  });

  it('when the name is taken, then creating conflicts with Cinder text', async () => {
    await types.create(typeInput('silver'));
    expect(await refusal(types.create(typeInput('silver')))).toEqual({
      code: ErrorCode.Conflict,
      message: 'Volume Type silver already exists.',
    });
  });

  it('when nothing has the name or id, then resolve answers with the matching Cinder message', async () => {
    const unknownId = randomUUID();
    expect(await refusal(types.resolve('nope', member))).toEqual({
      code: ErrorCode.NotFound,
      message: 'Volume type with name nope could not be found.',
    });
    expect((await refusal(types.resolve(unknownId, member))).message).toBe(`Volume type ${unknownId} could not be found.`);
  });

  it('when a type is named like a UUID, then resolve finds it by name', async () => {
    const uuidName = randomUUID();
    const created = await types.create(typeInput(uuidName));
    expect((await types.resolve(uuidName, member)).id).toBe(created.id);
  });

  it('when a type is private, then members cannot resolve, see or list it, and admins can', async () => {
    const hidden = await types.create(typeInput('hidden', {}, false));
    expect(await refusal(types.resolve('hidden', member))).toEqual({
      code: ErrorCode.NotFound,
      message: 'Volume type with name hidden could not be found.',
    });
    expect((await refusal(types.resolve(hidden.id, member))).message).toBe(`Volume type ${hidden.id} could not be found.`);
    expect((await refusal(types.get(member, hidden.id))).message).toBe(`Volume type ${hidden.id} could not be found.`);
    expect((await types.resolve('hidden', admin)).id).toBe(hidden.id);

    const memberNames = (await types.list(member, null)).map((t) => t.name);
    expect(memberNames).not.toContain('hidden');
    expect(memberNames).toContain(DEFAULT_VOLUME_TYPE);
    expect((await types.list(admin, null)).map((t) => t.name)).toContain('hidden');
    expect((await types.list(admin, false)).map((t) => t.name)).toEqual(['hidden']);
    expect((await types.list(admin, true)).map((t) => t.name)).not.toContain('hidden');
  });

  it('when listed, then the newest type comes first', async () => {
    const names = (await types.list(admin, true)).map((t) => t.name);
    expect(names[names.length - 1]).toBe(DEFAULT_VOLUME_TYPE);
    expect(names.indexOf('silver')).toBeLessThan(names.indexOf('gold'));
  });

  it('when the id is not a UUID, then it is not found without asking PostgreSQL to cast it', async () => {
    expect(await refusal(types.get(admin, 'not-a-uuid'))).toEqual({
      code: ErrorCode.NotFound,
      message: 'Volume type not-a-uuid could not be found.',
    });
  });

  it('when extra specs are merged, then given keys are set or overwritten and the others kept', async () => {
    const bronze = await types.create(typeInput('bronze', { a: '1', b: '2' }));
    await types.mergeExtraSpecs(admin, bronze.id, { b: '20', c: '3' });
    expect(extraSpecsOf(await types.get(admin, bronze.id))).toEqual({ a: '1', b: '20', c: '3' });

    await types.updateExtraSpec(admin, bronze.id, 'a', { a: '10' });
    expect(extraSpecsOf(await types.get(admin, bronze.id))).toMatchObject({ a: '10' });
    expect((await refusal(types.updateExtraSpec(admin, bronze.id, 'a', { b: '1' }))).message).toBe('Request body and URI mismatch');

    await types.deleteExtraSpec(await types.get(admin, bronze.id), 'c');
    expect(extraSpecsOf(await types.get(admin, bronze.id))).toEqual({ a: '10', b: '20' });
    expect(await refusal(types.deleteExtraSpec(await types.get(admin, bronze.id), 'c'))).toEqual({
      code: ErrorCode.NotFound,
      message: `Volume Type ${bronze.id} has no extra specs with key c.`,
    });
  });

  it('when the type to get specs of does not exist, then merging is not found', async () => {
    expect((await refusal(types.mergeExtraSpecs(admin, randomUUID(), { a: '1' }))).code).toBe(ErrorCode.NotFound);
  });

  it('when the type is the default one, then it cannot be deleted', async () => {
    const def = await types.getDefault();
    expect(await refusal(types.delete(admin, def.id))).toEqual({
      code: ErrorCode.BadRequest,
      message: `The volume type ${def.id} is a default volume type and cannot be deleted.`,
    });
  });

  it('when a volume has the type, then it can be neither deleted nor have its specs changed, until the volume is gone', async () => {
    const used = await types.create(typeInput('used', { k: 'v' }));
    const volumeId = await insertVolume(used.id, null, 1);

    expect(await refusal(types.delete(admin, used.id))).toEqual({
      code: ErrorCode.BadRequest,
      message: 'Target volume type is still in use.',
    });
    const inUse = { code: ErrorCode.BadRequest, message: 'Volume Type is currently in use.' };
    expect(await refusal(types.mergeExtraSpecs(admin, used.id, { k: 'w' }))).toEqual(inUse);
    expect(await refusal(types.updateExtraSpec(admin, used.id, 'k', { k: 'w' }))).toEqual(inUse);
    expect(await refusal(types.deleteExtraSpec(used, 'k'))).toEqual(inUse);

    await ds.getRepository(VolumeEntity).delete({ id: volumeId });
    await types.delete(admin, used.id);
    expect((await refusal(types.get(admin, used.id))).code).toBe(ErrorCode.NotFound);
  });

  it('when the type to delete does not exist, then it is not found', async () => {
    expect((await refusal(types.delete(admin, randomUUID()))).code).toBe(ErrorCode.NotFound);
  });
});
