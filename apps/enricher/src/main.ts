import 'reflect-metadata';
import { runHubService } from '@hub/platform';
import { enricherService } from './enricher.service-definition';

runHubService(enricherService);
