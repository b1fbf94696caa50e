// The admin console in real headless Chromium, beyond the seeds' flow:
// inline popovers inside the viewport, signing keys (kid, a second
// rotation, a cancelled pending key), administrators (invite, join,
// removal), and axe-core on every page at 1440×900 and 390×844.
// Screenshots go to screenshots/ (not committed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const base = process.env.GATEHOUSE_URL;
const user = process.env.GATEHOUSE_ADMIN_USERNAME;
const password = process.env.GATEHOUSE_ADMIN_PASSWORD;
const shots = new URL('./screenshots/', import.meta.url).pathname;
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const sizes = { desktop: { width: 1440, height: 900 }, phone: { width: 390, height: 844 } };
const run = Date.now().toString(36);

async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

// A browser context and page: dialogs accepted, console errors collected.
// bypassCSP lets the test inject axe-core; the console's own scripts are
// checked against the policy by console.test.mjs.
async function open(browser, viewport, { csp = true } = {}) {
  const context = await browser.newContext({ viewport, bypassCSP: !csp });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of (401|404|409|422) /.test(m.text())) problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(String(e)));
  page.on('dialog', (d) => d.accept());
  return { context, page, problems };
}

let shotN = 0;
async function shot(page, name) {
  shotN += 1;
  await page.screenshot({ path: `${shots}admin-${String(shotN).padStart(2, '0')}-${name}.png`, fullPage: true });
}

async function signIn(page, name = user, pw = password) {
  await page.goto(base + '/console/sign-in');
  await page.fill('#username', name);
  await page.fill('#password', pw);
  await page.click('button[type=submit]');
  await page.waitForURL('**/console/get-started');
}

// The popover's box must lie fully inside the viewport, and its Save
// button must be the element at its own centre (not covered or clipped).
async function assertInViewport(page, popover, what) {
  const pop = popover.locator('.pop');
  await pop.waitFor();
  const box = await pop.boundingBox();
  const vp = page.viewportSize();
  assert.ok(box, `${what}: no box`);
  assert.ok(box.x >= 0 && box.y >= 0 && box.x + box.width <= vp.width && box.y + box.height <= vp.height,
    `${what}: popover ${JSON.stringify(box)} outside ${vp.width}×${vp.height}`);
  const save = pop.locator('button[type=submit]');
  const sb = await save.boundingBox();
  const hit = await page.evaluate(([x, y]) => {
    const el = document.elementFromPoint(x, y);
    return el ? (el.closest('button')?.textContent.trim() ?? el.outerHTML.slice(0, 200)) : null;
  }, [sb.x + sb.width / 2, sb.y + sb.height / 2]);
  if (hit !== 'Save') await page.screenshot({ path: `${shots}admin-failed-popover.png` });
  assert.equal(hit, 'Save', `${what}: Save is not reachable`);
}

async function jwksKids() {
  const res = await fetch(base + '/oidc/jwks');
  assert.equal(res.status, 200);
  return (await res.json()).keys.map((k) => k.kid).sort();
}

test('console: popovers, signing keys, administrators, axe-core on every page', async () => {
  assert.ok(base && user && password, 'GATEHOUSE_URL and the admin credentials must be set (run.sh does)');
  mkdirSync(shots, { recursive: true });
  const browser = await launch();
  try {
    const { context, page, problems } = await open(browser, sizes.desktop);
    await signIn(page);

    // Fixtures: an API resource with a permission, a role, an app.
    const indicator = `https://popover-${run}.e2e.example.com`;
    await page.goto(base + '/console/resources/new');
    await page.fill('#name', `Popover API ${run}`);
    await page.fill('#indicator', indicator);
    await page.click('button:has-text("Create API resource")');
    await page.getByText(`API resource “Popover API ${run}” created.`).waitFor();
    const resourceURL = page.url().replace(/[#?].*$/, '');
    await page.fill('#scope-name', 'read:things');
    await page.fill('#scope-desc', 'Read things');
    await page.click('button:has-text("+ Add permission")');
    await page.getByText('Permission “read:things” added.').waitFor();
    // The permissions heading is not under the sticky top bar.
    const head = await page.locator('#permissions h2').boundingBox();
    assert.ok(head.y >= 56, `heading at ${head.y}, under the top bar`);

    await page.goto(base + '/console/applications/new');
    await page.fill('#name', `Popover app ${run}`);
    await page.click('button:has-text("Create application")');
    await page.getByText('Assign machine-to-machine roles').waitFor();
    const appURL = page.url().replace(/\/assign-roles.*$/, '');

    // 1. Popovers fully inside the viewport, at both sizes.
    for (const [name, vp] of Object.entries(sizes)) {
      await page.setViewportSize(vp);
      await page.goto(resourceURL);
      const edit = page.locator('#permissions details.popover').first();
      await edit.locator('summary').click();
      await assertInViewport(page, edit, `permission Edit at ${name}`);
      await shot(page, `popover-permission-${name}`);
      await page.fill('#scope-desc-0', `Read things (${name})`);
      await edit.locator('button[type=submit]').click();
      await page.getByText('Permission “read:things” saved.').waitFor();

      await page.goto(appURL);
      const rename = page.locator('#secrets details.popover').first();
      await rename.locator('summary').scrollIntoViewIfNeeded();
      await rename.locator('summary').click();
      await assertInViewport(page, rename, `secret Rename at ${name}`);
      await shot(page, `popover-secret-${name}`);
      await page.keyboard.press('Escape');
    }
    await page.setViewportSize(sizes.desktop);

    // 2. Signing keys: the kid column is the JWKS kid; a second rotation
    // with a grace period replaces the pending key; an immediate one
    // explains; the pending key can be cancelled.
    await page.goto(base + '/console/signing-keys');
    const kidsOnPage = async () => (await page.locator('[data-kid]').allTextContents()).map((s) => s.trim()).sort();
    assert.deepEqual(await kidsOnPage(), await jwksKids());
    for (const grace of ['3600', '7200']) {
      await page.fill('#grace', grace);
      await page.click('button:has-text("Rotate keys")');
      await page.getByText('A new key is published now').waitFor();
    }
    await page.getByText('Pending, signs from').waitFor();
    assert.deepEqual(await kidsOnPage(), await jwksKids());
    assert.equal((await jwksKids()).length, 2);
    await shot(page, 'keys-pending');
    await page.fill('#grace', '');
    await page.click('button:has-text("Rotate keys")');
    await page.getByText('A new key is already pending').waitFor();
    await shot(page, 'keys-second-rotation-explained');
    await page.click('button:has-text("Cancel pending key")');
    await page.getByText('Pending key cancelled').waitFor();
    assert.equal(await page.locator('text=Pending, signs from').count(), 0);
    assert.deepEqual(await kidsOnPage(), await jwksKids());
    assert.equal((await jwksKids()).length, 1);
    await shot(page, 'keys-cancelled');

    // 3. Administrators: invite, join through the link, removal.
    await page.goto(base + '/console/administrators');
    await page.click('button:has-text("+ Invite administrator")');
    await page.getByText('Invitation link').first().waitFor();
    const link = await page.inputValue('#invite-link');
    assert.match(link, /\/console\/invite\?token=[A-Za-z0-9_-]{43}$/);
    await shot(page, 'admins-invited');
    const invitee = `ops-${run}`;
    const guest = await open(browser, sizes.phone);
    await guest.page.goto(link);
    await guest.page.getByText('Join as administrator').first().waitFor();
    await guest.page.fill('#username', invitee);
    await guest.page.fill('#password', 'invited passphrase');
    await guest.page.fill('#confirm', 'invited passphrase');
    await shot(guest.page, 'invite-form-phone');
    await guest.page.click('button[type=submit]');
    await guest.page.waitForURL('**/console/get-started');
    await guest.page.getByText(`Welcome, ${invitee}.`).waitFor();
    await page.reload();
    const row = page.locator('tr', { hasText: invitee });
    await row.waitFor();
    await shot(page, 'admins-two');
    await row.locator('button:has-text("Remove")').click();
    await page.getByText(`Administrator “${invitee}” removed and signed out.`).waitFor();
    await guest.page.goto(base + '/console/applications');
    assert.match(guest.page.url(), /\/console\/sign-in/);
    await guest.page.goto(link);
    await guest.page.getByText('This invitation link is not valid').waitFor();
    await guest.context.close();
    assert.deepEqual(guest.problems, []);

    // 4. Narrow: the navigation is a menu; Signing keys is reachable.
    await page.setViewportSize(sizes.phone);
    await page.goto(base + '/console/get-started');
    assert.equal(await page.isVisible('nav.sidebar'), false, 'the navigation is collapsed');
    await page.click('button.menu-toggle');
    assert.equal(await page.getAttribute('button.menu-toggle', 'aria-expanded'), 'true');
    await shot(page, 'menu-open-phone');
    await page.click('nav.sidebar >> text=Signing keys');
    await page.waitForURL('**/console/signing-keys');
    // Table actions stay visible at 390 px: the app's secret Delete.
    await page.goto(appURL);
    const del = page.locator('#secrets button:has-text("Delete")').first();
    await del.scrollIntoViewIfNeeded();
    const db = await del.boundingBox();
    assert.ok(db && db.x >= 0 && db.x + db.width <= 390, `Delete at ${JSON.stringify(db)}`);
    // The skip link comes first and moves focus to the content.
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.textContent.trim()), 'Skip to content');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'main');
    await page.setViewportSize(sizes.desktop);
    await context.close();
    assert.deepEqual(problems, [], 'console errors (CSP violations, script errors)');

    // 5. axe-core on every page at both widths: no serious or critical
    // violation.
    const appId = appURL.split('/').pop();
    const resourceId = resourceURL.split('/').pop();
    const a = await open(browser, sizes.desktop, { csp: false });
    await signIn(a.page);
    await a.page.goto(base + '/console/roles');
    const roleHref = await a.page.locator('table a.strong').first().getAttribute('href');
    await a.page.goto(base + '/console/users/new');
    await a.page.fill('#username', `axe_${run}`);
    await a.page.click('main button[type=submit]');
    await a.page.getByText('User created.').waitFor();
    const userURL = a.page.url().replace(/[#?].*$/, '');
    const pages = [
      '/console/get-started', '/console/applications', '/console/applications/new', `/console/applications/${appId}`,
      `/console/applications/${appId}/assign-roles`, '/console/resources', '/console/resources/new',
      `/console/resources/${resourceId}`, '/console/roles', '/console/roles/new', roleHref, '/console/users',
      '/console/users/new', userURL.replace(base, ''), '/console/audit-logs', '/console/signing-keys',
      '/console/administrators', '/console/account', '/console/applications?page=99', '/console/no-such-page',
      '/console/applications/no-such-app', '/console/organizations', '/console/organizations/new',
      '/console/organization-roles', '/console/organization-scopes', '/console/jwt-customizer',
    ];
    const anonymous = ['/console/sign-in', '/console/invite?token=not-a-token'];
    const failures = [];
    const check = async (p, path, name) => {
      await p.goto(base + path);
      await p.evaluate(axeSource);
      // Tables keep their actions in view: no table scrolls sideways.
      const wide = await p.evaluate(() => [...document.querySelectorAll('.table-wrap')]
        .filter((w) => w.scrollWidth > w.clientWidth + 1).map((w) => w.querySelector('th')?.textContent));
      if (wide.length) failures.push(`${name} ${path}: table scrolls sideways (${wide.join(', ')})`);
      // Nothing is wider than the viewport.
      const pageWide = await p.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      if (pageWide > 1) failures.push(`${name} ${path}: page ${pageWide}px wider than the viewport`);
      const result = await p.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
      for (const v of result.violations) {
        if (v.impact === 'serious' || v.impact === 'critical') {
          failures.push(`${name} ${path}: ${v.id} (${v.impact}) ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
        }
      }
    };
    const anon = await open(browser, sizes.desktop, { csp: false });
    for (const [name, vp] of Object.entries(sizes)) {
      await a.page.setViewportSize(vp);
      await anon.page.setViewportSize(vp);
      for (const path of pages) { await check(a.page, path, name); }
      await shot(a.page, `axe-last-${name}`);
      for (const path of anonymous) { await check(anon.page, path, name); }
      // The narrow menu open, too.
      if (name === 'phone') {
        await a.page.goto(base + '/console/get-started');
        await a.page.click('button.menu-toggle');
        await a.page.evaluate(axeSource);
        const r = await a.page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
        for (const v of r.violations) {
          if (v.impact === 'serious' || v.impact === 'critical') failures.push(`phone menu: ${v.id}`);
        }
      }
    }
    await shot(anon.page, 'axe-sign-in-phone');
    assert.deepEqual(failures, [], 'axe-core serious or critical violations, or tables scrolling sideways');
    assert.deepEqual([...a.problems, ...anon.problems], []);
  } finally {
    await browser.close();
  }
});
