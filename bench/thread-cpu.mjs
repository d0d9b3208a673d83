// Preload (`node --import ./bench/thread-cpu.mjs bin/poisonguard.js scan …`, Linux only) that prints, as the
// process exits, the CPU milliseconds of its main thread, of its worker threads (each) and of the rest (V8's and
// libuv's threads, ONNX Runtime's pool), with the wall time and the load average: on a shared machine the CPU of
// each thread says what the wall time cannot. A thread of its own reads every thread's /proc stat every 20 ms, as
// the main thread is too busy to; workers, which load this file too, name their thread ids at their start.
// With THREAD_CPU_LOG set, the line is appended to that file instead of stderr.
import { appendFileSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isMainThread, Worker, workerData } from 'node:worker_threads'

const tickMs = 10
const workerIdsFile = join(tmpdir(), `thread-cpu.${process.pid}`)
const ownThreadId = () => Number(readlinkSync('/proc/thread-self').split('/').pop())

/** User plus system ticks of a /proc stat line. */
function cpuTicks(stat) {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return Number(fields[11]) + Number(fields[12])
}

/** Keeps every thread's latest ticks in `table`, as (thread id, ticks) pairs, until the process ends. */
function poll(table) {
  const pause = new Int32Array(new SharedArrayBuffer(4))
  for (;;) {
    for (const id of readdirSync('/proc/self/task')) {
      let ticks
      try {
        ticks = cpuTicks(readFileSync(`/proc/self/task/${id}/stat`, 'utf8'))
      } catch {
        continue
      }
      let slot = 0
      while (table[2 * slot] !== 0 && table[2 * slot] !== Number(id)) slot++
      table[2 * slot] = Number(id)
      table[2 * slot + 1] = ticks
    }
    Atomics.wait(pause, 0, 0, 20)
  }
}

function report(table, started) {
  let workerIds = []
  try {
    workerIds = readFileSync(workerIdsFile, 'utf8').trim().split('\n').map(Number)
    rmSync(workerIdsFile)
  } catch {}
  const workers = []
  let rest = 0
  for (let slot = 0; table[2 * slot] !== 0; slot++) {
    const [id, ticks] = [table[2 * slot], table[2 * slot + 1]]
    if (id === process.pid) continue
    if (workerIds.includes(id)) workers.push(ticks * tickMs)
    else rest += ticks * tickMs
  }
  const line = JSON.stringify({
    mainMs: cpuTicks(readFileSync('/proc/thread-self/stat', 'utf8')) * tickMs,
    workersMs: workers.reduce((sum, ms) => sum + ms, 0),
    eachWorkerMs: workers,
    restMs: rest,
    wallMs: Math.round(performance.now() - started),
    load: readFileSync('/proc/loadavg', 'utf8').split(' ')[0],
  })
  if (process.env.THREAD_CPU_LOG) appendFileSync(process.env.THREAD_CPU_LOG, `${line}\n`)
  else process.stderr.write(`${line}\n`)
}

if (workerData?.threadCpuTable) poll(new Int32Array(workerData.threadCpuTable))
else if (!isMainThread) appendFileSync(workerIdsFile, `${ownThreadId()}\n`)
else {
  const table = new Int32Array(new SharedArrayBuffer(4 * 2 * 1024))
  const started = performance.now()
  new Worker(new URL(import.meta.url), { workerData: { threadCpuTable: table.buffer }, execArgv: [] }).unref()
  process.on('exit', () => report(table, started))
}
