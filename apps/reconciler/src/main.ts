import 'reflect-metadata';
import { runHubService } from '@hub/platform';
import { reconcilerService } from './reconciler.service-definition';

runHubService(reconcilerService);
