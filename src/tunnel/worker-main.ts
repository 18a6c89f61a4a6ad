/** The entry of a worker process (`--workers N`): see worker.ts. */
import '../young-objects.js';
import { runWorker } from './worker.js';

runWorker();
