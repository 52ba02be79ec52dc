import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, QueryFailedError } from 'typeorm';
import { CodedError, ErrorCode } from '@volume/contracts';
import { isUuidLike } from '@volume/api-dtos';
import { Batcher, VolumeEntity, VolumeTypeEntity, VolumeTypeExtraSpecEntity } from '@volume/persistence';
import { Caller } from '@volume/auth';
import { isContextAdmin } from '../http/policy';
import { assertNotCacheableAndMultiattach, extraSpecsOf, ExtraSpecsInput, LoadedVolumeType } from './extra-specs';
import { CreateVolumeTypeInput } from './volume-type.request';

/** Cinder's default_volume_type: the type the initial migration creates and untyped volumes get. */
export const DEFAULT_VOLUME_TYPE = '__DEFAULT__';

const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function typeNotFound(id: string): CodedError {
  return new CodedError(ErrorCode.NotFound, `Volume type ${id} could not be found.`);
}

function typeNotFoundByName(name: string): CodedError {
  return new CodedError(ErrorCode.NotFound, `Volume type with name ${name} could not be found.`);
}

function pgError(err: unknown): string | undefined {
  return err instanceof QueryFailedError ? (err.driverError as { code?: string }).code : undefined;
}

const UNIQUE_VIOLATION = '23505';
const FOREIGN_KEY_VIOLATION = '23503';

/**
 * Who may see and use a type: admins (`context.is_admin`) every type, everyone else the public ones,
 * as Cinder's type queries for a non-admin context filter on `is_public` (we keep no per-project
 * access lists). `list` says the same in SQL.
 */
function visibleTo(caller: Caller, type: LoadedVolumeType): boolean {
  return type.isPublic || isContextAdmin(caller);
}

/** Volume types and their extra specs, with Cinder's lookups, visibility and refusals. */
/** A type asked for by id or by name. */
interface TypeRead {
  by: 'id' | 'name';
  value: string;
}

@Injectable()
export class VolumeTypesService {
  /**
   * Reads of a type, shared by the identical ones that arrive while one is under way (a burst of
   * 200 creates naming one type had made 200 identical queries, a fifth of the API's CPU for a
   * create): each waits for the next read, sent after it arrived, so never an answer older than its
   * request. Whether the caller may see the type is judged per caller, after.
   */
  private readonly reads = new Batcher<TypeRead, LoadedVolumeType | null>((batch) => {
    const shared = new Map<string, Promise<LoadedVolumeType | null>>();
    return Promise.all(
      batch.map((r) => {
        const key = `${r.by}:${r.value}`;
        let read = shared.get(key);
        if (!read) shared.set(key, (read = this.read(r)));
        return read;
      }),
    );
  });

  constructor(private readonly ds: DataSource) {}

  /**
   * `GET /types`, newest first. Members only ever see public types; admins choose with
   * `isPublic` (null lists private and public ones).
   */
  list(caller: Caller, isPublic: boolean | null): Promise<LoadedVolumeType[]> {
    const qb = this.query().orderBy('t.createdAt', 'DESC').addOrderBy('t.id', 'DESC').addOrderBy('s.id', 'ASC');
    const wanted = isContextAdmin(caller) ? isPublic : true;
    if (wanted !== null) qb.where('t.isPublic = :wanted', { wanted });
    return qb.getMany() as Promise<LoadedVolumeType[]>;
  }

  /**
   * One type by id. A private type is "not found" to members, as Cinder's queries for non-admins
   * return only public types.
   * @throws CodedError(NotFound) "Volume type <id> could not be found."
   */
  async get(caller: Caller, id: string): Promise<LoadedVolumeType> {
    const type = await this.byId(id);
    if (!type || !visibleTo(caller, type)) throw typeNotFound(id);
    return type;
  }

  /** @throws CodedError(NotFound) "Default volume type can not be found." */
  async getDefault(): Promise<LoadedVolumeType> {
    const type = await this.byName(DEFAULT_VOLUME_TYPE);
    if (!type) throw new CodedError(ErrorCode.NotFound, 'Default volume type can not be found.');
    return type;
  }

  /**
   * The type a request names, as Cinder's volume_types.get_by_name_or_id with the caller's context:
   * no name (null, undefined or empty) is the default type; a UUID-like value is tried as an id,
   * then as a name (names may look like UUIDs); anything else is a name. A type the caller may not
   * see does not exist for it.
   * @throws CodedError(NotFound) "Volume type <x> could not be found." for a UUID-like value,
   *   "Volume type with name <x> could not be found." otherwise.
   */
  async resolve(nameOrId: string | null | undefined, caller: Caller): Promise<LoadedVolumeType> {
    if (!nameOrId) return this.getDefault();
    const visible = (type: LoadedVolumeType | null): type is LoadedVolumeType => type !== null && visibleTo(caller, type);
    if (isUuidLike(nameOrId)) {
      const byId = await this.byId(nameOrId);
      if (visible(byId)) return byId;
      const byName = await this.byName(nameOrId);
      if (visible(byName)) return byName;
      throw typeNotFound(nameOrId);
    }
    const byName = await this.byName(nameOrId);
    if (visible(byName)) return byName;
    throw typeNotFoundByName(nameOrId);
  }

  /**
   * A new type with its extra specs (a null spec value is stored as an empty string).
   * @throws CodedError(Conflict) "Volume Type <name> already exists."
   */
  async create(input: CreateVolumeTypeInput): Promise<LoadedVolumeType> {
    const id = randomUUID();
    try {
      await this.ds.transaction(async (em) => {
        await em.insert(VolumeTypeEntity, {
          id,
          name: input.name,
          description: input.description,
          isPublic: input.isPublic,
          createdAt: new Date(),
          updatedAt: null,
        });
        await this.upsertExtraSpecs(em, id, input.extraSpecs);
      });
    } catch (err) {
      // The unique name decides, so that two concurrent creates cannot both succeed.
      if (pgError(err) === UNIQUE_VIOLATION) {
        throw new CodedError(ErrorCode.Conflict, `Volume Type ${input.name} already exists.`);
      }
      throw err;
    }
    return (await this.byId(id)) as LoadedVolumeType;
  }

  /**
   * Deletes a type nobody uses; the default type always stays.
   * @throws CodedError(NotFound) for an unknown id, CodedError(BadRequest) for the default type
   *   or a type some volume still has.
   */
  async delete(caller: Caller, id: string): Promise<void> {
    const type = await this.get(caller, id);
    if (type.name === DEFAULT_VOLUME_TYPE) {
      throw new CodedError(ErrorCode.BadRequest, `The volume type ${type.id} is a default volume type and cannot be deleted.`);
    }
    const inUse = new CodedError(ErrorCode.BadRequest, 'Target volume type is still in use.');
    if (await this.inUse(type.id)) throw inUse;
    try {
      await this.ds.getRepository(VolumeTypeEntity).delete({ id: type.id });
    } catch (err) {
      // A volume created since the check: the volumes' foreign key refuses the delete.
      if (pgError(err) === FOREIGN_KEY_VIOLATION) throw inUse;
      throw err;
    }
  }

  /**
   * `POST /types/{id}/extra_specs`: adds or overwrites the given specs, keeping the others.
   * @throws CodedError(BadRequest) while a volume has the type or for cacheable with multiattach,
   *   CodedError(NotFound) for an unknown type.
   */
  async mergeExtraSpecs(caller: Caller, typeId: string, specs: ExtraSpecsInput): Promise<void> {
    await this.assertUnused(typeId);
    const type = await this.get(caller, typeId);
    assertNotCacheableAndMultiattach(extraSpecsOf(type), specs);
    await this.upsertExtraSpecs(this.ds.manager, type.id, specs);
  }

  /**
   * `PUT /types/{id}/extra_specs/{key}`: sets the one spec the body carries, which must be `key`.
   * @throws CodedError(BadRequest) while a volume has the type or when the body names another
   *   key, CodedError(NotFound) for an unknown type.
   */
  async updateExtraSpec(caller: Caller, typeId: string, key: string, spec: ExtraSpecsInput): Promise<void> {
    await this.assertUnused(typeId);
    const type = await this.get(caller, typeId);
    if (!Object.hasOwn(spec, key)) throw new CodedError(ErrorCode.BadRequest, 'Request body and URI mismatch');
    await this.upsertExtraSpecs(this.ds.manager, type.id, spec);
  }

  /**
   * `DELETE /types/{id}/extra_specs/{key}` of a type the caller already looked up.
   * @throws CodedError(BadRequest) while a volume has the type, CodedError(NotFound) for a key
   *   the type does not have.
   */
  async deleteExtraSpec(type: LoadedVolumeType, key: string): Promise<void> {
    await this.assertUnused(type.id);
    const result = await this.ds.getRepository(VolumeTypeExtraSpecEntity).delete({ volumeTypeId: type.id, key });
    if (!result.affected) {
      throw new CodedError(ErrorCode.NotFound, `Volume Type ${type.id} has no extra specs with key ${key}.`);
    }
  }

  private query() {
    return this.ds.getRepository(VolumeTypeEntity).createQueryBuilder('t').leftJoinAndSelect('t.extraSpecs', 's');
  }

  /** Ids are UUIDs in PostgreSQL: anything else cannot be one, and must not reach it. */
  private async byId(id: string): Promise<LoadedVolumeType | null> {
    return CANONICAL_UUID.test(id) ? this.reads.submit({ by: 'id', value: id }) : null;
  }

  private byName(name: string): Promise<LoadedVolumeType | null> {
    return this.reads.submit({ by: 'name', value: name });
  }

  /** One type by id or by name, with its extra specs; through `reads`. */
  private async read(r: TypeRead): Promise<LoadedVolumeType | null> {
    const where = r.by === 'id' ? 't.id = :value' : 't.name = :value';
    return (await this.query().where(where, { value: r.value }).orderBy('s.id', 'ASC').getOne()) as LoadedVolumeType | null;
  }

  private async inUse(typeId: string): Promise<boolean> {
    return CANONICAL_UUID.test(typeId) && this.ds.getRepository(VolumeEntity).existsBy({ volumeTypeId: typeId });
  }

  /** Cinder refuses to change the specs of a type in use: existing volumes were placed by them. */
  private async assertUnused(typeId: string): Promise<void> {
    if (await this.inUse(typeId)) throw new CodedError(ErrorCode.BadRequest, 'Volume Type is currently in use.');
  }

  private async upsertExtraSpecs(em: EntityManager, typeId: string, specs: ExtraSpecsInput): Promise<void> {
    const rows = Object.entries(specs).map(([key, value]) => ({ volumeTypeId: typeId, key, value: value ?? '' }));
    if (rows.length > 0) await em.upsert(VolumeTypeExtraSpecEntity, rows, ['volumeTypeId', 'key']);
  }
}
