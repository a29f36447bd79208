import 'reflect-metadata';
import { runHubService } from '@hub/platform';
import { erpSinkService } from './erp-sink.service-definition';

runHubService(erpSinkService);
