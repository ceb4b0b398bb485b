export type { Workflow, WorkflowListQuery, WorkflowPage, WorkflowStatus, WorkflowStatusDetail, WorkflowStep } from '@cbp/contracts';
