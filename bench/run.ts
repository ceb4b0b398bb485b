// npm run bench [-- suite...]: runs the named suites (all when none) and prints their tables.
import { apiSuite } from './suites/api.js';
import { auditSuite } from './suites/audit.js';
import { notificationsSuite } from './suites/notifications.js';
import { organizationExportSuite } from './suites/organization-export.js';
import { portalSuite } from './suites/portal.js';
import { usageSuite } from './suites/usage.js';
import { workflowsSuite } from './suites/workflows.js';

const suites: Record<string, () => Promise<void>> = {
  api: apiSuite,
  audit: auditSuite,
  notifications: notificationsSuite,
  'organization-export': organizationExportSuite,
  portal: portalSuite,
  usage: usageSuite,
  workflows: workflowsSuite,
};
const wanted = process.argv.slice(2).filter((a) => a !== '--');
const unknown = wanted.filter((w) => !suites[w]);
if (unknown.length) {
  console.error(`Unknown suite(s): ${unknown.join(', ')}. Suites: ${Object.keys(suites).join(', ')}`);
  process.exit(2);
}
for (const name of wanted.length ? wanted : Object.keys(suites)) {
  console.log(`\n# bench: ${name}`);
  await suites[name]?.();
}
