import { type ComponentChild, h } from 'preact'
import { useCallback, useEffect, useState } from 'preact/hooks'
import { columnHeads, DataTable } from '../../src/report/views/table.js'
import { ApiError, api } from './api.js'

/** Loads a GET route and reloads on demand; `error` holds the server's explanation when it failed. */
export function useApi<T>(path: string) {
  const [data, setData] = useState<T | undefined>(undefined)
  const [error, setError] = useState<string | undefined>(undefined)
  const reload = useCallback(async () => {
    try {
      setData(await api<T>('GET', path))
      setError(undefined)
    } catch (failure) {
      setError(failure instanceof ApiError ? failure.message : String(failure))
    }
  }, [path])
  useEffect(() => {
    setData(undefined)
    void reload()
  }, [reload])
  return { data, error, reload }
}

/** A link in the app; routes live in the hash so the server serves one page. */
export function link(path: string, text: ComponentChild, attributes: Record<string, unknown> = {}) {
  return h('a', { href: `#${path}`, ...attributes }, text)
}

/** One page: its title as the masthead's heading, where it sits, and its content. */
export function Page(props: {
  title: string
  crumbs?: readonly [string, string][]
  tabs?: readonly [string, string][]
  children?: ComponentChild
}) {
  useEffect(() => {
    document.title = `${props.title} · poisonguard`
  }, [props.title])
  const here = location.hash.slice(1)
  return h(
    'div',
    null,
    h(
      'header',
      { class: 'masthead' },
      h(
        'div',
        { class: 'wrap' },
        props.crumbs && props.crumbs.length > 0
          ? h(
              'nav',
              { 'aria-label': 'Breadcrumbs', class: 'crumbs' },
              props.crumbs.map(([path, text], index) => [index > 0 ? ' / ' : '', link(path, text)]),
            )
          : null,
        h('h1', null, props.title),
      ),
    ),
    props.tabs
      ? h(
          'nav',
          { class: 'toc', 'aria-label': 'Pages' },
          h(
            'div',
            { class: 'wrap' },
            h(
              'ul',
              null,
              props.tabs.map(([path, text]) =>
                h('li', null, link(path, text, path === here ? { 'aria-current': 'page' } : {})),
              ),
            ),
          ),
        )
      : null,
    h('main', { class: 'wrap', id: 'main' }, props.children),
  )
}

/** What a page shows while its data loads or when it could not. */
export function Pending(props: { error?: string }) {
  return props.error
    ? h('p', { class: 'verdict verdict-high', role: 'alert' }, props.error)
    : h('p', { class: 'muted', role: 'status' }, 'Loading…')
}

const STATUS_TONE: Record<string, string> = {
  accepted: 'status-ok',
  active: 'status-ok',
  pending: 'status-skipped',
  needs_review: 'sev-medium',
  quarantined: 'sev-high',
  rejected: 'sev-high',
}

/** A batch's or source's status as a badge. */
export function StatusBadge(props: { status: string }) {
  return h(
    'span',
    { class: `badge ${STATUS_TONE[props.status] ?? 'status-skipped'}` },
    props.status.replace('_', ' '),
  )
}

/** A time as people read it, in their locale, with the exact value kept for machines. */
export function Time(props: { iso: string | null }) {
  if (!props.iso) return h('span', { class: 'muted' }, '–')
  return h('time', { dateTime: props.iso }, new Date(props.iso).toLocaleString('en-GB'))
}

/** A table with a caption for screen readers, a header row and body rows of plain cells. */
export function Table(props: { caption: string; head: readonly string[]; rows: ComponentChild[][] }) {
  return h(
    DataTable,
    { caption: props.caption, head: columnHeads(props.head) },
    props.rows.map((cells) =>
      h(
        'tr',
        null,
        cells.map((cell) => h('td', null, cell)),
      ),
    ),
  )
}
