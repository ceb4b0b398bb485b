import { cbpWorkflowDefinitions } from './definitions.js';
import { makeCbpWorkflow } from './workflow.js';

// The workflows entry of the Temporal worker's bundle: the one workflow type, over CBP's definitions.
export const cbpWorkflow = makeCbpWorkflow(cbpWorkflowDefinitions);
