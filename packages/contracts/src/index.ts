export * from './roles.js';
export * from './rbac.js';
export * from './errors.js';
export * from './session.js';
export * from './billing.js';
export * from './payment-methods.js';
export * from './audit.js';
export * from './pagination.js';
