import { h } from 'preact'
import { Page, Pending, Table, Time, useApi } from '../ui.js'
import { projectTabs } from './projects.js'

interface AuditLog {
  entries: {
    seq: number
    time: string
    actor: string
    actorName: string
    action: string
    subject: string
    details: Record<string, unknown>
  }[]
  head: { treeSize: number; rootHash: string; timestamp: string; keyId: string }
  verification: { ok: boolean; entries: number; failures: string[] }
}

function describe(details: Record<string, unknown>): string {
  const text = Object.entries(details)
    .map(
      ([key, value]) => `${key}: ${Array.isArray(value) ? `${value.length} item(s)` : JSON.stringify(value)}`,
    )
    .join(', ')
  return text.length > 160 ? `${text.slice(0, 159)}…` : text
}

/** The project's audit entries, newest first, and whether the log verifies against a tree head signed now. */
export function AuditPage(props: { projectId: string }) {
  const { data, error } = useApi<AuditLog>(`/v1/projects/${props.projectId}/audit`)
  return h(
    Page,
    { title: 'Audit log', crumbs: [['/projects', 'Projects']], tabs: projectTabs(props.projectId) },
    !data
      ? h(Pending, { error })
      : [
          h(
            'p',
            { class: `verdict ${data.verification.ok ? 'verdict-clean' : 'verdict-high'}`, role: 'status' },
            h(
              'strong',
              null,
              data.verification.ok
                ? `Verified: all ${data.verification.entries} entries match the signed tree head`
                : `Verification FAILED: ${data.verification.failures.join('; ')}`,
            ),
            h(
              'span',
              { class: 'small' },
              ` (root ${data.head.rootHash.slice(0, 16)}…, signed by key ${data.head.keyId.slice(0, 16)} at `,
              h(Time, { iso: data.head.timestamp }),
              ')',
            ),
          ),
          h(
            'section',
            { 'aria-labelledby': 'entries-title' },
            h('h2', { id: 'entries-title' }, `Entries about this project (${data.entries.length})`),
            h(Table, {
              caption: 'Audit entries, newest first',
              head: ['#', 'Time', 'Who', 'Action', 'Subject', 'Details'],
              rows: data.entries.map((entry) => [
                String(entry.seq),
                h(Time, { iso: entry.time }),
                entry.actorName,
                h('code', null, entry.action),
                h('code', { class: 'small' }, entry.subject.slice(0, 20)),
                h('span', { class: 'small' }, describe(entry.details)),
              ]),
            }),
          ),
        ],
  )
}
