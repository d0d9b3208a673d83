import { type ComponentChild, type ComponentChildren, h } from 'preact'

/**
 * The table shell every report and app table shares: a scrolling wrapper, a caption for screen readers, one header
 * row and the body rows; `after` goes inside the wrapper below the table (e.g. a note on rows left out).
 */
export function DataTable(props: {
  caption: string
  head: ComponentChild
  children?: ComponentChildren
  tableClass?: string
  after?: ComponentChild
}) {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: props.tableClass ?? 'data compact' },
      h('caption', null, props.caption),
      h('thead', null, h('tr', null, props.head)),
      h('tbody', null, props.children),
    ),
    props.after ?? null,
  )
}

/** Header cells of plain column titles. */
export function columnHeads(titles: readonly string[]): ComponentChild {
  return titles.map((title) => h('th', { scope: 'col' }, title))
}
