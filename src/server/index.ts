export { apiRoutes, buildServer, type ServerLimits, type ServerOptions } from './app.js'
export { openApiDocument } from './openapi.js'
export { createBullQueue, InProcessQueue, type IntakeQueue } from './queue.js'
export { type RunningService, type ServiceOptions, startService, startWorker } from './service.js'
