/** Worker-thread entry of `createWorkerMemberExecutor`: trains or runs the ensemble members it is sent. */
import { runMemberTask } from './member-executor.js'
import { serveTasks } from './task-worker.js'

serveTasks(runMemberTask, (result) => (result instanceof Int32Array ? [result.buffer as ArrayBuffer] : []))
