import { makeCbpWorkflow } from '../workflow.js';
import { testDefinitions } from './definitions.js';

// The workflows entry of the adapter's tests (bundle and replay tests).
export const cbpWorkflow = makeCbpWorkflow(testDefinitions);
