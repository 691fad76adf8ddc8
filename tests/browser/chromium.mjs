// Headless Chromium for the browser tests: Debian's binary, driven by
// playwright-core, on a fresh profile removed at close.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
// For test(..., { skip }): a reason when there is no browser to drive.
export const noBrowser = !existsSync(executablePath) && `no ${executablePath}`;

// `args`: more command-line flags (e.g. a certificate pin for wss tests).
export async function launch({ args = [] } = {}) {
  // playwright-core refuses --user-data-dir in args; a persistent context in a
  // fresh temp dir gives the same clean profile.
  const profile = mkdtempSync(join(tmpdir(), 'araldo-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', ...args],
  });
  return { context, close: async () => { await context.close(); rmSync(profile, { recursive: true, force: true }); } };
}
