import { h } from 'preact'
import { useState } from 'preact/hooks'
import { ApiError, api } from '../api.js'
import { Page, Pending, StatusBadge, Table, Time, useApi } from '../ui.js'
import { projectTabs } from './projects.js'

interface Source {
  id: string
  name: string
  keyId: string | null
  status: 'active' | 'quarantined'
  failureStreak: number
  createdAt: string
}

/** A project's sources with their status; owners and admins quarantine or release them. */
export function SourcesPage(props: { projectId: string }) {
  const { data, error, reload } = useApi<{ sources: Source[] }>(`/v1/projects/${props.projectId}/sources`)
  const [failure, setFailure] = useState<string | undefined>(undefined)
  const toggle = async (source: Source) => {
    const action = source.status === 'active' ? 'quarantine' : 'release'
    try {
      await api('POST', `/v1/sources/${source.id}/${action}`)
      setFailure(undefined)
      await reload()
    } catch (problem) {
      setFailure(problem instanceof ApiError ? problem.message : String(problem))
    }
  }
  return h(
    Page,
    { title: 'Sources', crumbs: [['/projects', 'Projects']], tabs: projectTabs(props.projectId) },
    h(
      'section',
      { 'aria-labelledby': 'sources-title' },
      h('h2', { id: 'sources-title' }, 'Sources'),
      h('p', { class: 'lead' }, 'A quarantined source may submit nothing until it is released.'),
      failure ? h('p', { class: 'verdict verdict-high', role: 'alert' }, failure) : null,
      !data
        ? h(Pending, { error })
        : h(Table, {
            caption: 'Sources of the project',
            head: ['Source', 'Signing key', 'Status', 'Quarantined batches in a row', 'Registered', 'Action'],
            rows: data.sources.map((source) => [
              source.name,
              source.keyId
                ? h('code', null, source.keyId.slice(0, 16))
                : h('span', { class: 'muted' }, 'none'),
              h(StatusBadge, { status: source.status }),
              String(source.failureStreak),
              h(Time, { iso: source.createdAt }),
              h(
                'button',
                {
                  type: 'button',
                  onClick: () => toggle(source),
                  'aria-label': `${source.status === 'active' ? 'Quarantine' : 'Release'} ${source.name}`,
                },
                source.status === 'active' ? 'Quarantine' : 'Release',
              ),
            ]),
          }),
    ),
  )
}
