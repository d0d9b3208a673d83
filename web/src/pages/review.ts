import { type ComponentChild, h } from 'preact'
import { useEffect, useMemo, useRef, useState } from 'preact/hooks'
import { effectiveDecisions, type ReviewAction, type ReviewDecision } from '../../../src/domain/review.js'
import type { FindingGroup } from '../../../src/report/groups.js'
import { HighlightedText } from '../../../src/report/views/pictures.js'
import type { ReviewItem } from '../../../src/workflows/review-queue.js'
import { ApiError, api } from '../api.js'
import type { Me } from '../main.js'
import { batchCrumbs, batchTabs, type Queue, viewsOf } from '../queue.js'
import { link, Page, Pending, Time, useApi } from '../ui.js'

const VERB: Record<ReviewAction, string> = { drop: 'Dropped', relabel: 'Relabelled', keep: 'Kept' }

function decisionText(decision: ReviewDecision | undefined): string {
  if (!decision) return 'undecided'
  return decision.action === 'relabel' ? `relabel → ${decision.label}` : decision.action
}

function DecisionBadge(props: { decision?: ReviewDecision }) {
  const tone = !props.decision
    ? 'status-skipped'
    : props.decision.action === 'drop'
      ? 'sev-high'
      : props.decision.action === 'keep'
        ? 'status-ok'
        : 'sev-medium'
  return h('span', { class: `badge ${tone}` }, decisionText(props.decision))
}

function Evidence(props: { item: ReviewItem; queue: Queue; terms: readonly string[] }) {
  const { item, queue } = props
  const thumbnail = queue.evidence.thumbnails[item.row]
  const text = queue.evidence.texts[item.row]
  return h(
    'div',
    { class: 'evidence' },
    thumbnail
      ? h('img', {
          class: 'thumb large',
          src: thumbnail,
          width: 168,
          height: 168,
          alt: `Record ${item.id}, labelled ${item.label ?? 'nothing'}`,
        })
      : text
        ? HighlightedText({ text, terms: props.terms, maxChars: 600 })
        : h('p', { class: 'muted' }, 'No picture or text for this record.'),
    h(
      'figure',
      { class: 'neighbours' },
      h('figcaption', null, 'Nearest records of the trusted version'),
      item.neighbours.length === 0
        ? h('p', { class: 'muted small' }, 'No neighbours: the batch has no feature columns to compare.')
        : h(
            'ul',
            null,
            item.neighbours.map((neighbour) =>
              h(
                'li',
                null,
                neighbour.thumbnail
                  ? h('img', {
                      class: 'thumb',
                      src: neighbour.thumbnail,
                      width: 56,
                      height: 56,
                      alt: `Trusted record ${neighbour.id}`,
                    })
                  : neighbour.text
                    ? h('p', { class: 'snippet' }, neighbour.text.slice(0, 120))
                    : null,
                h(
                  'span',
                  { class: 'small' },
                  `label ${neighbour.label ?? '–'} · ${neighbour.distance.toFixed(1)} away`,
                ),
              ),
            ),
          ),
    ),
  )
}

function groupTitle(group: FindingGroup, description?: string): string {
  const one = group.rows.length === 1
  const trigger = group.kind === 'trigger' || group.kind === 'backdoor'
  const noun = trigger
    ? `carrier${one ? '' : 's'} of this trigger`
    : `record${one ? '' : 's'} of this finding`
  return `${group.rows.length} ${noun}${description ? `: ${description}` : ''}`
}

/** The review queue: one flagged record at a time with its evidence, bulk actions per finding, keys and undo. */
export function ReviewPage(props: { batchId: string; me: Me }) {
  const { data, error } = useApi<Queue>(`/v1/batches/${props.batchId}/review-queue`)
  const [decisions, setDecisions] = useState<ReviewDecision[]>([])
  const [index, setIndex] = useState(0)
  // The label chosen for one record; any other record starts from its suggested label.
  const [choice, setChoice] = useState<{ id: string; label: string | undefined } | undefined>(undefined)
  // The same choice as soon as it is made: R pressed right after choosing runs a key handler from the render before
  // the choice, whose label would be the suggested one.
  const latestChoice = useRef(choice)
  const [message, setMessage] = useState('')
  const [applied, setApplied] = useState<
    { versionId: string; dropped: number; relabelled: number; kept: number; undecided: number } | undefined
  >(undefined)
  useEffect(() => setDecisions(data?.decisions ?? []), [data])
  const views = useMemo(() => (data ? viewsOf(data) : undefined), [data])
  const current = useMemo(() => effectiveDecisions(decisions), [decisions])
  const item = data?.items[index]
  const label = item && choice?.id === item.id ? choice.label : (item?.suggestedLabel ?? undefined)
  const open = data?.batch.status === 'needs_review' && !applied
  const canAct = Boolean(data?.canDecide && open)

  const fail = (failure: unknown) =>
    setMessage(failure instanceof ApiError ? `Refused: ${failure.message}` : String(failure))
  const decide = async (
    action: ReviewAction,
    recordIds: string[],
    extra: { label?: string; finding?: string } = {},
  ) => {
    if (!canAct) return
    try {
      const decision = await api<ReviewDecision>('POST', `/v1/batches/${props.batchId}/decisions`, {
        action,
        recordIds,
        ...extra,
      })
      setDecisions((list) => [...list, decision])
      setMessage(
        `${VERB[action]} ${recordIds.length === 1 ? `record ${recordIds[0]}` : `${recordIds.length} records`}${action === 'relabel' ? ` as ${extra.label}` : ''}.`,
      )
      return decision
    } catch (failure) {
      fail(failure)
    }
  }
  const decideCurrent = async (action: ReviewAction) => {
    if (!item || !data) return
    const chosen = latestChoice.current
    const newLabel = chosen?.id === item.id ? chosen.label : (item.suggestedLabel ?? undefined)
    if (action === 'relabel' && !newLabel) return setMessage('Choose the new label first.')
    const done = await decide(action, [item.id], action === 'relabel' ? { label: newLabel } : {})
    if (done) setIndex((at) => Math.min(at + 1, data.items.length - 1))
  }
  const undo = async () => {
    if (!canAct) return
    const last = [...decisions]
      .reverse()
      .find((decision) => decision.actor === props.me.id && decision.undoneAt === null)
    if (!last) return setMessage('Nothing of yours to undo.')
    try {
      const undone = await api<ReviewDecision>(
        'POST',
        `/v1/batches/${props.batchId}/decisions/${last.id}/undo`,
      )
      setDecisions((list) => list.map((decision) => (decision.id === undone.id ? undone : decision)))
      const at = data?.items.findIndex((candidate) => candidate.id === last.recordIds[0]) ?? -1
      if (at >= 0) setIndex(at)
      setMessage(
        `Undid: ${VERB[last.action].toLowerCase()} ${last.recordIds.length === 1 ? `record ${last.recordIds[0]}` : `${last.recordIds.length} records`}.`,
      )
    } catch (failure) {
      fail(failure)
    }
  }
  const apply = async () => {
    try {
      const result = await api<typeof applied>('POST', `/v1/batches/${props.batchId}/decisions/apply`, {})
      setApplied(result)
      setMessage('The decisions were applied and the batch became the next version.')
    } catch (failure) {
      fail(failure)
    }
  }

  // Set at every render and read by one listener: a key pressed as soon as a render shows the next record acts on
  // that record, where a listener bound by an effect would still hold the previous render's record until the
  // effect ran.
  const keyActions = useRef<Record<string, () => unknown>>({})
  keyActions.current = {
    ArrowDown: () => setIndex((at) => Math.min(at + 1, (data?.items.length ?? 1) - 1)),
    j: () => setIndex((at) => Math.min(at + 1, (data?.items.length ?? 1) - 1)),
    ArrowUp: () => setIndex((at) => Math.max(at - 1, 0)),
    p: () => setIndex((at) => Math.max(at - 1, 0)),
    d: () => decideCurrent('drop'),
    r: () => decideCurrent('relabel'),
    k: () => decideCurrent('keep'),
    u: () => undo(),
  }
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement
      if (
        event.altKey ||
        event.ctrlKey ||
        event.metaKey ||
        ['INPUT', 'SELECT', 'TEXTAREA'].includes(target.tagName)
      )
        return
      const run = keyActions.current[event.key]
      if (!run) return
      event.preventDefault()
      void run()
    }
    addEventListener('keydown', onKey)
    return () => removeEventListener('keydown', onKey)
  }, [])

  const page = { title: 'Review queue', crumbs: batchCrumbs(data), tabs: batchTabs(props.batchId) }
  if (!data || !views) return h(Page, page, h(Pending, { error }))
  const decided = data.items.filter((candidate) => current.has(candidate.id)).length
  const groupOfRow = new Map<number, FindingGroup>()
  for (const group of views.groups) for (const row of group.rows) groupOfRow.set(row, group)
  const itemGroup = item ? groupOfRow.get(item.row) : undefined
  const trigger =
    itemGroup?.attackIndex !== undefined ? views.attacks[itemGroup.attackIndex].trigger : undefined
  const terms = trigger?.modality === 'text' ? trigger.features : []
  const notice: ComponentChild = !data.canDecide
    ? h(
        'p',
        { class: 'verdict notice', role: 'note' },
        'You may read this queue, but your role may not decide about records.',
      )
    : !open
      ? h(
          'p',
          { class: 'verdict notice', role: 'note' },
          `The batch is ${applied ? 'accepted' : data.batch.status.replace('_', ' ')}; its records can no longer be decided.`,
        )
      : null
  return h(
    Page,
    page,
    h('p', { class: 'visually-hidden', role: 'status', 'aria-live': 'polite' }, message),
    notice,
    h(
      'section',
      { 'aria-labelledby': 'progress-title', class: 'review-bar' },
      h('h2', { id: 'progress-title' }, `${decided} of ${data.items.length} flagged records decided`),
      message ? h('p', { class: 'small', 'aria-hidden': 'true' }, message) : null,
      applied
        ? h(
            'p',
            { class: 'verdict verdict-clean' },
            `Accepted as the next version: ${applied.dropped} dropped, ${applied.relabelled} relabelled, ${applied.kept} kept, ${applied.undecided} undecided dropped. `,
            link(`/datasets/${data.batch.dataset.id}/versions`, 'See the versions'),
          )
        : canAct
          ? h(
              'div',
              null,
              h(
                'button',
                { type: 'button', class: 'primary', onClick: apply },
                'Apply decisions and accept the batch',
              ),
              h(
                'p',
                { class: 'small muted' },
                'Flagged records nobody decided about are dropped, as --export-clean drops them.',
              ),
            )
          : null,
    ),
    h(
      'section',
      { 'aria-labelledby': 'groups-title' },
      h('h2', { id: 'groups-title' }, 'Findings'),
      h(
        'ul',
        { class: 'bulk' },
        views.groups.map((group) => {
          const ids = Array.from(group.rows, (row) => data.report.records[row].id)
          const description =
            group.attackIndex !== undefined
              ? views.attacks[group.attackIndex].attack.description
              : group.explanation
          const title = groupTitle(
            group,
            description.length > 140 ? `${description.slice(0, 139)}…` : description,
          )
          return h(
            'li',
            null,
            h('span', { class: 'kind' }, group.kind),
            ' ',
            title,
            h(
              'span',
              { class: 'actions' },
              h(
                'button',
                {
                  type: 'button',
                  disabled: !canAct,
                  onClick: () => decide('drop', ids, { finding: group.key }),
                },
                `Drop all ${ids.length}`,
              ),
              h(
                'button',
                {
                  type: 'button',
                  disabled: !canAct,
                  onClick: () => decide('keep', ids, { finding: group.key }),
                },
                `Keep all ${ids.length}`,
              ),
            ),
          )
        }),
      ),
    ),
    h(
      'div',
      { class: 'review-grid' },
      h(
        'section',
        { 'aria-labelledby': 'queue-title', class: 'queue' },
        h('h2', { id: 'queue-title' }, 'Flagged records'),
        h(
          'ol',
          { class: 'queue-list' },
          data.items.map((candidate, at) =>
            h(
              'li',
              { key: candidate.id },
              h(
                'button',
                {
                  type: 'button',
                  class: 'queue-item',
                  'aria-current': at === index ? 'true' : undefined,
                  onClick: () => setIndex(at),
                },
                h('code', null, candidate.id),
                ` ${candidate.label ?? '–'}${candidate.suggestedLabel ? ` → ${candidate.suggestedLabel}` : ''} `,
                h(DecisionBadge, { decision: current.get(candidate.id) }),
              ),
            ),
          ),
        ),
      ),
      item
        ? h(
            'section',
            { 'aria-labelledby': 'record-title', class: 'record' },
            h('h2', { id: 'record-title' }, `Record ${item.id} (${index + 1} of ${data.items.length})`),
            h(Evidence, { item, queue: data, terms }),
            h(
              'dl',
              { class: 'facts' },
              [
                ['Label', item.label ?? '–'],
                ['Suggested label', item.suggestedLabel ?? 'none'],
                ['Source', item.source],
                ['Suspicion', item.suspicion.toFixed(3)],
                ['Severity', item.severity ?? '–'],
                ['Decision', decisionText(current.get(item.id))],
              ].map(([term, value]) => h('div', null, h('dt', null, term), h('dd', null, value))),
            ),
            h('p', { class: 'explanation' }, item.explanation),
            h(
              'div',
              { class: 'decide' },
              h(
                'button',
                { type: 'button', disabled: !canAct, onClick: () => decideCurrent('drop') },
                h('kbd', null, 'D'),
                ' Drop (poison)',
              ),
              h('label', { for: 'new-label' }, 'New label'),
              h(
                'select',
                {
                  id: 'new-label',
                  value: label ?? '',
                  disabled: !canAct,
                  onChange: (event: Event) => {
                    if (!item) return
                    latestChoice.current = {
                      id: item.id,
                      label: (event.target as HTMLSelectElement).value || undefined,
                    }
                    setChoice(latestChoice.current)
                  },
                },
                h('option', { value: '' }, 'choose…'),
                data.labels.map((option) => h('option', { value: option }, option)),
              ),
              h(
                'button',
                { type: 'button', disabled: !canAct, onClick: () => decideCurrent('relabel') },
                h('kbd', null, 'R'),
                ' Relabel',
              ),
              h(
                'button',
                { type: 'button', disabled: !canAct, onClick: () => decideCurrent('keep') },
                h('kbd', null, 'K'),
                ' Keep',
              ),
              h('button', { type: 'button', disabled: !canAct, onClick: undo }, h('kbd', null, 'U'), ' Undo'),
            ),
            h(
              'p',
              { class: 'small muted keys' },
              'Keys: ↓ or J next, ↑ or P previous, D drop, R relabel to the chosen label, K keep, U undo your last decision.',
            ),
          )
        : h('p', { class: 'muted' }, 'Nothing was flagged in this batch.'),
    ),
    h(
      'section',
      { 'aria-labelledby': 'history-title' },
      h('h2', { id: 'history-title' }, 'Decisions'),
      decisions.length === 0
        ? h('p', { class: 'muted' }, 'No decisions yet.')
        : h(
            'ol',
            { class: 'history', reversed: true },
            [...decisions]
              .reverse()
              .map((decision) =>
                h(
                  'li',
                  { class: decision.undoneAt ? 'undone' : undefined },
                  h(Time, { iso: decision.createdAt }),
                  ` ${decision.actorName}: ${decisionText(decision)} · ${decision.recordIds.length} record${decision.recordIds.length === 1 ? '' : 's'}`,
                  decision.undoneAt ? ' (undone)' : '',
                ),
              ),
          ),
    ),
  )
}
