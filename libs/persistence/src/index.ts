export * from './data-source';
export * from './entities/pool.entity';
export * from './entities/service.entity';
export * from './entities/volume-attachment.entity';
export * from './entities/volume-metadata.entity';
export * from './entities/volume-type.entity';
export * from './entities/volume.entity';
export * from './migrations/1764043200000-initial-schema';
