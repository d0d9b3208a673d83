import { h } from 'preact'
import { useState } from 'preact/hooks'
import { ApiError, logIn } from '../api.js'
import { Page } from '../ui.js'

/** The web login: a user name and password set by an administrator (`POST /v1/users` with a password). */
export function LoginPage(props: { onLogin: () => void }) {
  const [error, setError] = useState<string | undefined>(undefined)
  const [busy, setBusy] = useState(false)
  const submit = async (event: Event) => {
    event.preventDefault()
    const form = new FormData(event.currentTarget as HTMLFormElement)
    setBusy(true)
    try {
      await logIn(String(form.get('name')), String(form.get('password')))
      props.onLogin()
    } catch (failure) {
      setError(failure instanceof ApiError ? failure.message : String(failure))
    } finally {
      setBusy(false)
    }
  }
  return h(
    Page,
    { title: 'Log in' },
    h(
      'section',
      { class: 'login', 'aria-labelledby': 'login-title' },
      h('h2', { id: 'login-title' }, 'Log in to review batches'),
      h(
        'form',
        { onSubmit: submit },
        h('label', { for: 'name' }, 'User name'),
        h('input', { id: 'name', name: 'name', autocomplete: 'username', required: true }),
        h('label', { for: 'password' }, 'Password'),
        h('input', {
          id: 'password',
          name: 'password',
          type: 'password',
          autocomplete: 'current-password',
          required: true,
        }),
        error ? h('p', { class: 'form-error', role: 'alert' }, error) : null,
        h('button', { type: 'submit', class: 'primary', disabled: busy }, busy ? 'Logging in…' : 'Log in'),
      ),
    ),
  )
}
