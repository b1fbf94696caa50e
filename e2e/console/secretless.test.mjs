// The console's client authentication and federated credential pages in
// real headless Chromium: an app switched to private_key_jwt with a JWK Set
// made here (a private key refused first), the token endpoint refusing the
// secret and accepting an assertion signed with the key (the page's own
// snippet, run with curl), a federated credential added and deleted, DPoP
// required (a request without a proof refused, one with a proof bound),
// and axe-core on the page at 1440×900 and 390×844. Screenshots go to
// screenshots/ (prefix secretless-).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, generateKeyPairSync, randomUUID, sign } from 'node:crypto';
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
const indicator = `https://secretless-${run}.e2e.example.com`;
const assertionType = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

const b64url = (v) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

// es256 signs a JWT with an EC P-256 private key (node:crypto, JOSE's
// raw r||s signature encoding).
function es256(header, claims, privateKey) {
  const input = `${b64url({ alg: 'ES256', ...header })}.${b64url(claims)}`;
  const sig = sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
  return `${input}.${sig.toString('base64url')}`;
}

// assertion is a client assertion (RFC 7523) of clientId for aud.
function assertion(clientId, aud, privateKey, kid) {
  const now = Math.floor(Date.now() / 1000);
  return es256({ typ: 'JWT', kid }, { iss: clientId, sub: clientId, aud, iat: now, exp: now + 120, jti: randomUUID() }, privateKey);
}

// dpopProof is a DPoP proof (RFC 9449) for a POST to htu.
function dpopProof(htu, key) {
  const { kty, crv, x, y } = key.publicKey.export({ format: 'jwk' });
  return es256({ typ: 'dpop+jwt', jwk: { kty, crv, x, y } },
    { jti: randomUUID(), htm: 'POST', htu, iat: Math.floor(Date.now() / 1000) }, key.privateKey);
}

async function tokenRequest(url, form, headers = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams({ grant_type: 'client_credentials', ...form }),
  });
  return { status: res.status, body: await res.json() };
}

async function signIn(page) {
  await page.goto(base + '/console/sign-in');
  await page.fill('#username', user);
  await page.fill('#password', password);
  await page.click('button[type=submit]');
  await page.waitForURL('**/console/get-started');
}

test('console: private_key_jwt, federated credentials, DPoP, axe-core', async () => {
  assert.ok(base && user && password, 'GATEHOUSE_URL and the admin credentials must be set (run.sh does)');
  mkdirSync(shots, { recursive: true });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  try {
    const context = await browser.newContext({ viewport: sizes.desktop });
    const page = await context.newPage();
    const problems = [];
    page.on('console', (m) => {
      if (m.type() === 'error' && !/status of (401|422) /.test(m.text())) problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(String(e)));
    const dialogs = [];
    page.on('dialog', (d) => { dialogs.push(d.message()); d.accept(); });
    let n = 0;
    const shot = async (name) => {
      n += 1;
      await page.screenshot({ path: `${shots}secretless-${String(n).padStart(2, '0')}-${name}.png`, fullPage: true });
    };
    await signIn(page);

    // 1. An API resource to ask tokens for, and an app.
    await page.goto(base + '/console/resources/new');
    await page.fill('#name', `Secretless API ${run}`);
    await page.fill('#indicator', indicator);
    await page.click('button:has-text("Create API resource")');
    await page.getByText(`API resource “Secretless API ${run}” created.`).waitFor();
    await page.goto(base + '/console/applications/new');
    await page.fill('#name', `Workload ${run}`);
    await page.click('button:has-text("Create application")');
    await page.getByText('Assign machine-to-machine roles').waitFor();
    await page.click('text=Skip for now');
    await page.waitForURL(/\/console\/applications\/[^/]+$/);
    const appURL = page.url().replace(/[#?].*$/, '');
    const appId = appURL.split('/').pop();
    const secret = await page.inputValue('#app-secret');
    const tokenURL = await page.inputValue('#u-token');
    assert.match(tokenURL, /\/oidc\/token$/);
    assert.equal((await tokenRequest(tokenURL, { resource: indicator }, {
      authorization: 'Basic ' + Buffer.from(`${appId}:${secret}`).toString('base64'),
    })).status, 200, 'the secret works before the switch');
    await page.locator('#client-auth').screenshot({ path: `${shots}secretless-${String(++n).padStart(2, '0')}-client-auth-start.png` });

    // 2. private_key_jwt without a key is refused, so is a private key.
    await page.check('input[name=method][value=private_key_jwt]');
    await page.click('button:has-text("Save method")');
    await page.getByText('Register the app\'s public key first').waitFor();
    const key = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const privJWK = { ...key.privateKey.export({ format: 'jwk' }), kid: 'e2e-1' };
    await page.fill('#auth-jwks', JSON.stringify({ keys: [privJWK] }));
    await page.click('button:has-text("Register keys")');
    await page.getByText('Key 1 is a private key').waitFor();
    assert.equal(await page.inputValue('#auth-jwks'), '', 'the private key is shown again');
    assert.ok(!(await page.content()).includes(privJWK.d), 'the private key is in the page');
    assert.equal(await page.getAttribute('#auth-jwks', 'aria-invalid'), 'true');
    await shot('private-key-refused');

    // 3. The public key, as a JWK Set made here.
    const pubJWK = { ...key.publicKey.export({ format: 'jwk' }), kid: 'e2e-1', alg: 'ES256', use: 'sig' };
    await page.fill('#auth-jwks', JSON.stringify({ keys: [pubJWK] }, null, 2));
    await page.click('button:has-text("Register keys")');
    await page.getByText('1 public key registered.').waitFor();
    const row = page.locator('#client-auth table tbody tr');
    assert.equal(await row.count(), 1);
    const rowText = await row.first().textContent();
    assert.ok(rowText.includes('e2e-1') && rowText.includes('EC P-256') && rowText.includes('ES256'), rowText);

    // 4. The switch: the secret is refused, an assertion accepted, and the
    // page's snippet (run with curl) signs in with the assertion.
    await page.check('input[name=method][value=private_key_jwt]');
    await page.click('button:has-text("Save method")');
    await page.getByText('The app now authenticates with private key JWT').waitFor();
    assert.equal(await page.locator('#app-secret').count(), 0, 'the App Secret field is shown');
    const cmd = await page.textContent('#curl');
    assert.ok(cmd.includes('client_assertion="$ASSERTION"') && cmd.includes(`client_id='${appId}'`) && !cmd.includes(' -u ') && !cmd.includes(secret), cmd);
    await shot('private-key-jwt');
    const refused = await tokenRequest(tokenURL, { resource: indicator }, {
      authorization: 'Basic ' + Buffer.from(`${appId}:${secret}`).toString('base64'),
    });
    assert.equal(refused.status, 401, JSON.stringify(refused.body));
    assert.equal(refused.body.error, 'invalid_client');
    const out = execFileSync('bash', ['-c', cmd.replace("'https://your-api.example.com'", `'${indicator}'`) + ' --silent --show-error'], {
      encoding: 'utf8', env: { ...process.env, ASSERTION: assertion(appId, tokenURL, key.privateKey, 'e2e-1') },
    });
    const fromCurl = JSON.parse(out);
    assert.ok(fromCurl.access_token, out);
    const claims = JSON.parse(Buffer.from(fromCurl.access_token.split('.')[1], 'base64url'));
    assert.equal(claims.sub, appId);
    assert.equal(claims.aud, indicator);
    // A key the app did not register is refused.
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const wrong = await tokenRequest(tokenURL, { resource: indicator, client_id: appId, client_assertion_type: assertionType,
      client_assertion: assertion(appId, tokenURL, other.privateKey, 'e2e-1') });
    assert.equal(wrong.status, 401, JSON.stringify(wrong.body));

    // 5. A federated credential: invalid input refused, added, its
    // request shown, deleted after a confirmation.
    await page.fill('#fed-name', 'orders-pod');
    await page.fill('#fed-issuer', 'http://k8s.example.com');
    await page.fill('#fed-subject', 'system:serviceaccount:shop:*');
    await page.fill('#fed-audiences', 'gatehouse');
    await page.click('button:has-text("Add federated credential")');
    await page.getByText('Enter the issuer URL as an absolute https URL').waitFor();
    assert.equal(await page.getAttribute('#fed-issuer', 'aria-invalid'), 'true');
    assert.equal(await page.inputValue('#fed-subject'), 'system:serviceaccount:shop:*', 'the form keeps what was typed');
    await shot('federated-invalid');
    await page.fill('#fed-issuer', 'https://k8s.example.com');
    await page.fill('#fed-audiences', 'gatehouse, https://orders.example.com');
    await page.fill('#fed-claims', 'kubernetes.io/namespace=shop');
    await page.click('button:has-text("Add federated credential")');
    await page.getByText('Federated credential “orders-pod” added.').waitFor();
    const fedRow = page.locator('#federated table tbody tr');
    assert.equal(await fedRow.count(), 1);
    const fedText = await fedRow.first().textContent();
    for (const s of ['orders-pod', 'https://k8s.example.com', 'system:serviceaccount:shop:*', 'https://orders.example.com', 'kubernetes.io/namespace=shop']) {
      assert.ok(fedText.includes(s), `${s} not in ${fedText}`);
    }
    assert.ok((await page.textContent('#client-auth .facts')).includes('1 federated credential'));
    const workload = await page.textContent('#workload-curl');
    assert.ok(workload.includes(`client_id='${appId}'`) && workload.includes(`client_assertion_type=${assertionType}`) &&
      workload.includes('client_assertion="$TOKEN"'), workload);
    await page.locator('#federated').screenshot({ path: `${shots}secretless-${String(++n).padStart(2, '0')}-federated.png` });
    await page.click('#federated button:has-text("Delete")');
    await page.getByText('Federated credential deleted.').waitFor();
    assert.ok(dialogs.some((d) => d.includes('Delete the federated credential “orders-pod”?')), dialogs.join('\n'));
    assert.equal(await page.locator('#federated table').count(), 0);

    // 6. DPoP required: a request without a proof is refused, one with a
    // proof gets a bound token.
    await page.check('#auth-dpop');
    await page.click('button:has-text("Save DPoP setting")');
    await page.getByText('DPoP is required').waitFor();
    assert.ok((await page.textContent('#curl')).includes('DPoP: $DPOP_PROOF'));
    const form = () => ({ resource: indicator, client_id: appId, client_assertion_type: assertionType,
      client_assertion: assertion(appId, tokenURL, key.privateKey, 'e2e-1') });
    const noProof = await tokenRequest(tokenURL, form());
    assert.equal(noProof.status, 400, JSON.stringify(noProof.body));
    assert.equal(noProof.body.error, 'invalid_dpop_proof');
    const dpopKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const bound = await tokenRequest(tokenURL, form(), { dpop: dpopProof(tokenURL, dpopKey) });
    assert.equal(bound.status, 200, JSON.stringify(bound.body));
    assert.equal(bound.body.token_type, 'DPoP');
    const jwk = dpopKey.publicKey.export({ format: 'jwk' });
    const jkt = createHash('sha256').update(JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y })).digest('base64url');
    assert.equal(JSON.parse(Buffer.from(bound.body.access_token.split('.')[1], 'base64url')).cnf.jkt, jkt);
    await shot('dpop-required');

    // A federated credential that stays, so that its table is checked too.
    await page.fill('#fed-name', 'deploy-main');
    await page.fill('#fed-issuer', 'https://token.actions.githubusercontent.com');
    await page.fill('#fed-subject', 'repo:acme/shop:ref:refs/heads/main');
    await page.fill('#fed-audiences', 'https://github.com/acme');
    await page.fill('#fed-claims', 'repository=acme/shop\nrunner_environment=github-hosted');
    await page.click('button:has-text("Add federated credential")');
    await page.getByText('Federated credential “deploy-main” added.').waitFor();

    // 7. At phone width the actions stay on screen.
    await page.setViewportSize(sizes.phone);
    await page.reload();
    for (const sel of ['#client-auth button:has-text("Remove")', '#federated button:has-text("Delete")', 'button:has-text("Save DPoP setting")']) {
      const box = await page.locator(sel).first().boundingBox();
      assert.ok(box && box.x >= 0 && box.x + box.width <= 390, `${sel} off-screen: ${JSON.stringify(box)}`);
    }
    await shot('phone');
    for (const section of ['client-auth', 'federated']) {
      await page.locator(`#${section}`).screenshot({ path: `${shots}secretless-${String(++n).padStart(2, '0')}-phone-${section}.png` });
    }
    await context.close();
    assert.deepEqual(problems, [], 'console errors (CSP violations, script errors)');

    // 8. axe-core on the page (and on it with form errors) at both widths:
    // no serious or critical violation, nothing wider than the viewport.
    const a = await browser.newContext({ viewport: sizes.desktop, bypassCSP: true });
    const p = await a.newPage();
    await signIn(p);
    const failures = [];
    const check = async (name) => {
      await p.evaluate(axeSource);
      const wide = await p.evaluate(() => [...document.querySelectorAll('.table-wrap')]
        .filter((w) => w.scrollWidth > w.clientWidth + 1).map((w) => w.querySelector('th')?.textContent));
      if (wide.length) failures.push(`${name}: table scrolls sideways (${wide.join(', ')})`);
      const pageWide = await p.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      if (pageWide > 1) failures.push(`${name}: page ${pageWide}px wider than the viewport`);
      const result = await p.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
      for (const v of result.violations) {
        if (v.impact === 'serious' || v.impact === 'critical') {
          failures.push(`${name}: ${v.id} (${v.impact}) ${v.nodes.slice(0, 3).map((x) => x.target.join(' ')).join(', ')}`);
        }
      }
    };
    for (const [name, vp] of Object.entries(sizes)) {
      await p.setViewportSize(vp);
      await p.goto(appURL);
      await check(`${name} app page`);
      // Forms with their problems shown.
      await p.fill('#auth-jwks', '{"keys": [');
      await p.click('button:has-text("+ Add keys")');
      await p.getByText('This is not valid JSON').waitFor();
      await check(`${name} key error`);
      await p.click('#federated summary:has-text("Add federated credential")');
      await p.click('button:has-text("Add federated credential")');
      await p.getByText('Enter the issuer URL, like').waitFor();
      await check(`${name} federated errors`);
      await p.screenshot({ path: `${shots}secretless-${String(++n).padStart(2, '0')}-axe-${name}.png`, fullPage: true });
    }
    assert.deepEqual(failures, [], 'axe-core serious or critical violations, or content wider than the viewport');
  } finally {
    await browser.close();
  }
});
