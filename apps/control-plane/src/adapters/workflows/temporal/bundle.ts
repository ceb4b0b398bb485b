import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, type BundleOptions, type WorkflowBundleWithSourceMap } from '@temporalio/worker';

// The workflow bundle: the workflows entry (workflows.ts, or a test's), through Temporal's webpack.
// Definitions' modules import drizzle, pg, services and Node.js modules for their step functions,
// which never run in the sandbox. So every package a CBP source file imports, other than
// @temporalio/*, is replaced by a do-nothing stand-in (sandbox-stub.cjs) in the bundle; the
// sandbox keeps only CBP's own (TypeScript) modules and the Temporal SDK. Workflow code that
// called such a package outside a step would get the stand-in: the port's rules forbid it anyway.

const here = path.dirname(fileURLToPath(import.meta.url));
export const workflowsEntry = path.join(here, 'workflows.ts');
const stubPath = path.join(here, 'sandbox-stub.cjs');

/** Bare imports from outside node_modules, except the Temporal SDK, become the stand-in. */
export function isStubbed(request: string, context: string): boolean {
  if (context.split(path.sep).includes('node_modules')) return false;
  if (request.startsWith('.') || path.isAbsolute(request) || request.startsWith('@temporalio/')) return false;
  // webpack's own loaders and internal requests ('!' chains) stay.
  return !request.includes('!');
}

interface ResolveData {
  request: string;
  context: string;
}
interface Hooks {
  normalModuleFactory: { tap(name: string, fn: (factory: { hooks: { beforeResolve: { tap(name: string, fn: (data: ResolveData) => void): void } } }) => void): void };
}

const stubPlugin = {
  apply(compiler: { hooks: Hooks }) {
    compiler.hooks.normalModuleFactory.tap('cbp-sandbox-stub', (factory) => {
      factory.hooks.beforeResolve.tap('cbp-sandbox-stub', (data) => {
        if (isStubbed(data.request, data.context)) data.request = stubPath;
      });
    });
  },
};

export async function bundleCbpWorkflows(options: { workflowsPath?: string; logger?: BundleOptions['logger'] } = {}): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({
    workflowsPath: options.workflowsPath ?? workflowsEntry,
    logger: options.logger,
    // Node.js modules imported by CBP sources are stubbed too (the plugin); Temporal's check of
    // disallowed modules looks at the original request, so it is told to let them pass. Only
    // @temporalio/* code comes from node_modules, and it imports none of them.
    ignoreModules: [...builtinModules],
    webpackConfigHook: (config) => ({ ...config, plugins: [...(config.plugins ?? []), stubPlugin as never] }),
  });
}
