import { fileURLToPath } from 'node:url'
import { defineConfig, type Plugin } from 'vite'
import { PAGE_CSS } from '../src/report/page-css.js'

/*
 * The review app's build: plain files under one Content Security Policy that allows only the server's own scripts
 * and styles, so nothing is inlined. The stylesheet the static reports embed becomes one more file here.
 */

const REPORT_CSS = 'assets/report.css'

function reportStylesheet(): Plugin {
  return {
    name: 'poisonguard-report-stylesheet',
    transformIndexHtml: () => [
      { tag: 'link', attrs: { rel: 'stylesheet', href: `/${REPORT_CSS}` }, injectTo: 'head-prepend' },
    ],
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: REPORT_CSS, source: PAGE_CSS })
    },
  }
}

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  logLevel: 'warn',
  plugins: [reportStylesheet()],
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    // A data: URL or an inline script would need an exception in the policy; every asset stays a file.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    target: 'es2022',
  },
})
