/** The entry of a worker process (`--workers N`): see worker.ts. */
import { runWorker } from './worker.js';

runWorker();
