/** Sorting and filtering of the records table; the page reads fine without it. */
export const REPORT_SCRIPT = `(() => {
  const table = document.getElementById('top-records')
  if (!table) return
  const body = table.tBodies[0]
  const rows = Array.from(body.rows)
  const search = document.getElementById('record-search')
  const severity = document.getElementById('record-severity')
  const count = document.getElementById('record-count')
  document.getElementById('record-controls').hidden = false
  const filter = () => {
    const query = search.value.trim().toLowerCase()
    let shown = 0
    for (const row of rows) {
      const visible = (!query || row.textContent.toLowerCase().includes(query)) &&
        (!severity.value || row.dataset.severity === severity.value)
      row.hidden = !visible
      if (visible) shown++
    }
    count.textContent = shown + ' of ' + rows.length + ' shown'
  }
  search.addEventListener('input', filter)
  severity.addEventListener('change', filter)
  const headers = Array.from(table.tHead.rows[0].cells)
  const value = (row, index) => {
    const cell = row.cells[index]
    return cell.dataset.value !== undefined ? cell.dataset.value : cell.textContent.trim()
  }
  for (const th of headers) {
    if (!th.dataset.sort) continue
    const button = document.createElement('button')
    button.type = 'button'
    button.textContent = th.textContent
    th.textContent = ''
    th.appendChild(button)
    button.addEventListener('click', () => {
      const index = th.cellIndex
      const ascending = th.getAttribute('aria-sort') !== 'ascending'
      const numeric = th.dataset.sort === 'number'
      const collator = new Intl.Collator(undefined, { numeric: true })
      rows.sort((a, b) => {
        const order = numeric ? Number(value(a, index)) - Number(value(b, index))
          : collator.compare(value(a, index), value(b, index))
        return ascending ? order : -order
      })
      for (const other of headers) other.removeAttribute('aria-sort')
      th.setAttribute('aria-sort', ascending ? 'ascending' : 'descending')
      for (const row of rows) body.appendChild(row)
    })
  }
})()`
