import { Module } from '@nestjs/common';
import { ComputeRpcClient } from './compute-rpc.client';
import { SchedulerRpcClient } from './scheduler-rpc.client';
import { WorkerRpcClient } from './worker-rpc.client';

/** The clients of every service, for an app whose PlatformModule provides the NatsService. */
@Module({
  providers: [WorkerRpcClient, SchedulerRpcClient, ComputeRpcClient],
  exports: [WorkerRpcClient, SchedulerRpcClient, ComputeRpcClient],
})
export class RpcClientsModule {}
