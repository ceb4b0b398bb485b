import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  AddDomainInput,
  OrganizationDomain,
  OrganizationDomainList,
  OrganizationProfile,
  OrganizationProfileUpdate,
  OrganizationSettings,
  OrganizationSettingsUpdate,
  Problem,
  VerifyDomainResult,
} from '@cbp/contracts';
import { tenantContext } from '../../platform/guard.js';
import { addDomain, listOrganizationDomains, removeDomain, verifyDomain, type DomainDeps } from './domains.service.js';
import { getProfile, getSettings, updateProfile, updateSettings } from './organization.service.js';

const security = [{ bearer: [], tenant: [] }];
const errors = { 400: Problem, 401: Problem, 403: Problem, 404: Problem };
const tags = ['organization'];
const IdParams = z.object({ id: z.uuid() });

/** The organization's profile, settings and verified domains (analyst reads, admin changes). */
export const organizationRoutes: FastifyPluginAsyncZod<DomainDeps> = async (app, deps) => {
  const { db } = deps;
  app.get(
    '/organization',
    { schema: { tags, summary: "The organization's profile", security, response: { 200: OrganizationProfile, ...errors } } },
    (request) => getProfile(db, tenantContext(request).tenantId),
  );
  app.patch(
    '/organization',
    {
      schema: {
        tags,
        summary: 'Change the profile (fields given only; null clears); audited with the changed fields before and after',
        security,
        body: OrganizationProfileUpdate,
        response: { 200: OrganizationProfile, ...errors },
      },
    },
    (request) => updateProfile(db, tenantContext(request), request.body),
  );
  app.get(
    '/settings',
    { schema: { tags, summary: "The organization's settings (defaults until changed)", security, response: { 200: OrganizationSettings, ...errors } } },
    (request) => getSettings(db, tenantContext(request).tenantId),
  );
  app.patch(
    '/settings',
    {
      schema: {
        tags,
        summary: 'Change settings (fields given only); audited with the changed fields before and after',
        security,
        body: OrganizationSettingsUpdate,
        response: { 200: OrganizationSettings, ...errors },
      },
    },
    (request) => updateSettings(db, tenantContext(request), request.body),
  );
  app.get(
    '/organization/domains',
    { schema: { tags, summary: "The organization's domains with their TXT records", security, response: { 200: OrganizationDomainList, ...errors } } },
    async (request) => ({ data: await listOrganizationDomains(db, tenantContext(request).tenantId) }),
  );
  app.post(
    '/organization/domains',
    {
      schema: {
        tags,
        summary: 'Claim a domain: normalised, pending with a TXT record to publish; re-checked by a workflow',
        security,
        body: AddDomainInput,
        response: { 201: OrganizationDomain, 409: Problem, ...errors },
      },
    },
    async (request, reply) => reply.code(201).send(await addDomain(deps, tenantContext(request), request.body.domain)),
  );
  app.post(
    '/organization/domains/:id/verify',
    {
      schema: {
        tags,
        summary: 'Look the TXT record up now: verified when it holds the token, else still pending with the reason',
        security,
        params: IdParams,
        response: { 200: VerifyDomainResult, 409: Problem, ...errors },
      },
    },
    (request) => verifyDomain(deps, tenantContext(request), request.params.id),
  );
  app.delete(
    '/organization/domains/:id',
    { schema: { tags, summary: 'Remove a domain', security, params: IdParams, response: { 204: z.null(), ...errors } } },
    async (request, reply) => {
      await removeDomain(db, tenantContext(request), request.params.id);
      return reply.code(204).send(null);
    },
  );
};
