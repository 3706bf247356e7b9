// Drives Sluice's dashboard in Debian's Chromium through playwright-core (run by DashboardTest):
// node dashboard.mjs BASE_URL ADMIN_TOKEN PLOT_ID PROMOTE_DEPLOYMENT SCREENSHOT
import { chromium } from 'playwright-core';

const [base, token, plotId, promoted, screenshot] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--no-proxy-server'],
});
const result = { consoleErrors: [] };
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.on('console', (m) => { if (m.type() === 'error') result.consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => result.consoleErrors.push(String(e)));
  await page.goto(base + '/dashboard/');
  const plot = page.locator(`[data-plot="${plotId}"]`);
  await plot.waitFor({ timeout: 15000 });
  await page.waitForFunction((id) => Number(document.querySelector(`[data-plot="${id}"]`).dataset.points) > 0, plotId, { timeout: 15000 });
  result.pointsBefore = Number(await plot.getAttribute('data-points'));
  const firstT = await page.evaluate(() => performance.now());
  await page.waitForFunction(([id, before]) => {
    const box = document.querySelector(`[data-plot="${id}"]`);
    return Number(box.dataset.points) > before && Number(box.dataset.last) > 0;
  }, [plotId, result.pointsBefore], { timeout: 20000 });
  result.pointsAfter = Number(await plot.getAttribute('data-points'));
  result.lastAfter = Number(await plot.getAttribute('data-last'));
  result.movedAfterMs = Math.round(await page.evaluate(() => performance.now()) - firstT);
  result.applications = await page.locator('[data-application]').count();
  result.memoryHost = await page.locator('#memory tr.host').textContent();
  result.memoryRows = await page.locator('#memory tr[data-memory]').count();
  result.memoryPlot = await page.locator('[data-plot="memory:host"]').count();

  const deployment = page.locator(`[data-deployment="${promoted}"]`);
  await deployment.locator('[data-action="promote"]').click();
  result.withoutToken = await page.locator('#message').textContent();
  await page.fill('#admin-token', token);
  await page.press('#admin-token', 'Enter');
  await deployment.locator('[data-action="promote"]').click();
  await page.waitForFunction((name) => (document.querySelector('#message') || {}).textContent === 'promote ' + name + ': done',
    promoted, { timeout: 10000 });
  result.message = await page.locator('#message').textContent();
  await page.waitForSelector('tr[data-kind="PROMOTED"]', { timeout: 10000 });
  const latestTraffic = deployment.locator('tr[data-revision]').last().locator('td.traffic');
  await page.waitForFunction((name) => {
    const rows = document.querySelectorAll(`[data-deployment="${name}"] tr[data-revision] td.traffic`);
    return rows.length > 0 && rows[rows.length - 1].textContent === '100%';
  }, promoted, { timeout: 10000 });
  result.latestTraffic = await latestTraffic.textContent();
  if (screenshot) {
    await page.screenshot({ path: screenshot, fullPage: true });
  }
} catch (e) {
  result.failure = String(e);
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
