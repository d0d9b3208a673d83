/** Worker-thread entry of `createWorkerFoldExecutor`: trains each fold it is sent and posts back the held-out probabilities. */
import { fitFold } from '../models/cross-validation.js'
import { serveTasks } from './task-worker.js'

serveTasks(fitFold, (probabilities) => [probabilities.buffer as ArrayBuffer])
