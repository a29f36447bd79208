import 'reflect-metadata';
import { runHubService } from '@hub/platform';
import { ingestService } from './ingest.service-definition';

runHubService(ingestService);
