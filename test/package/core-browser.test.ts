import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ScanReport } from '../../src/core.js'
import { chromiumPath, hasChromium, launchChromium } from '../fixtures/browser.js'
import { mnistArrays } from '../fixtures/datasets.js'
import { type DigitRows, scanDigits } from './digits-scan.js'

/*
 * poisonguard/core in a real browser: the entry is bundled for the browser platform (a Node built-in anywhere in
 * its graph fails the bundle), run in Debian's chromium through playwright-core, and its report compared with the
 * one Node computes from the same code. No browser is ever downloaded: without /usr/bin/chromium the suite skips.
 */
const ROW_COUNT = 2_000
if (!hasChromium)
  console.warn(`skipping the browser test of poisonguard/core: ${chromiumPath} is not installed`)

declare global {
  var poisonguardDigits: { scanDigits: typeof scanDigits } | undefined
}

function digitRows(): DigitRows {
  const { pixels, labels, width } = mnistArrays()
  return {
    pixels: pixels.slice(0, ROW_COUNT * width * width),
    labels: Array.from(labels.subarray(0, ROW_COUNT), String),
    side: width,
  }
}

async function bundleForBrowser(): Promise<string> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('./digits-scan.ts', import.meta.url))],
    bundle: true,
    platform: 'browser',
    format: 'iife',
    globalName: 'poisonguardDigits',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  })
  return result.outputFiles[0].text
}

async function scanInBrowser(browser: Browser, bundle: string, digits: DigitRows): Promise<string> {
  const page = await browser.newPage()
  const pageErrors: string[] = []
  page.on('pageerror', (error) => pageErrors.push(error.message))
  try {
    await page.addScriptTag({ content: bundle })
    const pixels = Buffer.from(digits.pixels.buffer, digits.pixels.byteOffset, digits.pixels.byteLength)
    return await page.evaluate(
      async ({ pixelsBase64, labels, side }) => {
        const bytes = Uint8Array.from(atob(pixelsBase64), (character) => character.charCodeAt(0))
        const scan = globalThis.poisonguardDigits!.scanDigits
        return scan({ pixels: new Float32Array(bytes.buffer), labels, side })
      },
      { pixelsBase64: pixels.toString('base64'), labels: digits.labels, side: digits.side },
    )
  } finally {
    expect(pageErrors).toEqual([])
    await page.close()
  }
}

/**
 * Every number of a JSON value to 12 significant digits: the browser's JavaScript engine is another build of V8,
 * whose logarithm and exponential may round the last of 17 digits the other way (a p-value of 0.20907218926846338
 * in Node was 0.2090721892684634 in chromium); any larger difference is a real one.
 */
function toTwelveDigits(value: unknown): unknown {
  if (typeof value === 'number') return Number.isFinite(value) ? Number(value.toPrecision(12)) : value
  if (Array.isArray(value)) return value.map(toTwelveDigits)
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([key, entry]) => [key, toTwelveDigits(entry)]))
  return value
}

describe.skipIf(!hasChromium)('poisonguard/core in a browser', () => {
  let browser: Browser
  beforeAll(async () => {
    browser = await launchChromium(['--disable-component-update', '--disable-sync'])
  })
  afterAll(async () => {
    await browser?.close()
  })

  it('scans 2,000 MNIST digits in chromium to the same report as Node', async () => {
    const digits = digitRows()
    const [bundle, nodeJson] = await Promise.all([bundleForBrowser(), scanDigits(digits)])
    const browserJson = await scanInBrowser(browser, bundle, digits)
    const inNode = JSON.parse(nodeJson) as ScanReport
    const inBrowser = JSON.parse(browserJson) as ScanReport

    expect(inBrowser.records).toHaveLength(ROW_COUNT)
    expect(inNode.summary.flagged).toBeGreaterThan(0)
    const withoutTimes = (report: ScanReport) => report.detectors.map(({ durationMs, ...outcome }) => outcome)
    expect(inBrowser.detectors.some((outcome) => outcome.durationMs > 0)).toBe(true)
    expect(toTwelveDigits(withoutTimes(inBrowser))).toEqual(toTwelveDigits(withoutTimes(inNode)))
    expect(toTwelveDigits(inBrowser.summary)).toEqual(toTwelveDigits(inNode.summary))
    inNode.records.forEach((expected, row) => {
      const actual = inBrowser.records[row]
      expect({ id: actual.id, flagged: actual.flagged, severity: actual.severity }).toEqual({
        id: expected.id,
        flagged: expected.flagged,
        severity: expected.severity,
      })
      expect(actual.suspicion).toBeCloseTo(expected.suspicion, 6)
      expect(actual.findings.map((finding) => [finding.detector, finding.kind])).toEqual(
        expected.findings.map((finding) => [finding.detector, finding.kind]),
      )
    })
  })
})
