import { type ComponentChild, h, render } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import { ApiError, api, logOut } from './api.js'
import { AuditPage } from './pages/audit.js'
import { BatchPage, DriftPage } from './pages/batch.js'
import { BatchesPage, VersionsPage } from './pages/dataset.js'
import { LoginPage } from './pages/login.js'
import { ProjectPage, ProjectsPage } from './pages/projects.js'
import { ReviewPage } from './pages/review.js'
import { SourcesPage } from './pages/sources.js'
import './app.css'

/** Who is logged in, as `GET /v1/me` says. */
export interface Me {
  id: string
  name: string
  admin: boolean
}

/** The routes of the app, `#/…` patterns with `:name` parameters, each with its page. */
const routes: [string, (params: Record<string, string>, me: Me) => ComponentChild][] = [
  ['/projects', () => h(ProjectsPage, null)],
  ['/projects/:projectId', (p) => h(ProjectPage, { projectId: p.projectId })],
  ['/projects/:projectId/sources', (p) => h(SourcesPage, { projectId: p.projectId })],
  ['/projects/:projectId/audit', (p) => h(AuditPage, { projectId: p.projectId })],
  ['/datasets/:datasetId', (p) => h(BatchesPage, { datasetId: p.datasetId })],
  ['/datasets/:datasetId/versions', (p) => h(VersionsPage, { datasetId: p.datasetId })],
  ['/batches/:batchId', (p) => h(BatchPage, { batchId: p.batchId })],
  ['/batches/:batchId/review', (p, me) => h(ReviewPage, { batchId: p.batchId, me })],
  ['/batches/:batchId/drift', (p) => h(DriftPage, { batchId: p.batchId })],
]

function match(path: string, me: Me): ComponentChild | undefined {
  const parts = path.split('/')
  for (const [pattern, page] of routes) {
    const expected = pattern.split('/')
    if (expected.length !== parts.length) continue
    const params: Record<string, string> = {}
    const matches = expected.every((part, index) => {
      if (!part.startsWith(':')) return part === parts[index]
      params[part.slice(1)] = decodeURIComponent(parts[index])
      return parts[index] !== ''
    })
    if (matches) return page(params, me)
  }
  return undefined
}

function useHashPath(): string {
  const read = () => location.hash.replace(/^#/, '') || '/projects'
  const [path, setPath] = useState(read)
  useEffect(() => {
    const changed = () => setPath(read())
    addEventListener('hashchange', changed)
    return () => removeEventListener('hashchange', changed)
  }, [])
  return path
}

function App() {
  const path = useHashPath()
  const [me, setMe] = useState<Me | null | undefined>(undefined)
  const check = () =>
    api<Me>('GET', '/v1/me').then(setMe, (error) => {
      if (error instanceof ApiError && error.status === 401) setMe(null)
      else throw error
    })
  useEffect(() => {
    void check()
  }, [])
  if (me === undefined) return h('p', { class: 'wrap muted', role: 'status' }, 'Loading…')
  if (me === null) return h(LoginPage, { onLogin: () => void check() })
  return h(
    'div',
    null,
    h(
      'div',
      { class: 'userbar' },
      h(
        'div',
        { class: 'wrap' },
        h('a', { href: '#/projects' }, 'poisonguard'),
        h(
          'span',
          null,
          `Signed in as ${me.name} `,
          h(
            'button',
            { type: 'button', class: 'link-button', onClick: () => logOut().finally(() => setMe(null)) },
            'Log out',
          ),
        ),
      ),
    ),
    match(path, me) ??
      h('main', { class: 'wrap' }, h('h1', null, 'No such page'), h('a', { href: '#/projects' }, 'Projects')),
  )
}

render(h(App, null), document.getElementById('app')!)
