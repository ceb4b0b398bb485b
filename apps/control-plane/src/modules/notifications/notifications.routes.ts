import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  Notification,
  NotificationListQuery,
  NotificationPage,
  NotificationReadAllResult,
  NotificationSettings,
  NotificationSettingsPatch,
  Problem,
} from '@cbp/contracts';
import type { AppDb } from '../../platform/db.js';
import { tenantContext } from '../../platform/guard.js';
import { getNotifications, getNotificationSettings, markAllAsRead, markAsRead, updateNotificationSettings } from './notifications.service.js';
import { notificationStreamRoutes } from './notifications.stream.js';

const security = [{ bearer: [], tenant: [] }];
const errors = { 400: Problem, 401: Problem, 403: Problem, 404: Problem };
const tags = ['notifications'];

/** The caller's own in-app notifications and notification settings in the current organization (every member). */
export const notificationRoutes: FastifyPluginAsyncZod<{ db: AppDb; stream?: { heartbeatMs: number; perUser: number } }> = async (
  app,
  { db, stream = { heartbeatMs: 15_000, perUser: 5 } },
) => {
  // GET /notifications/stream (Server-Sent Events): notifications.stream.ts.
  await app.register(notificationStreamRoutes, { db, ...stream });
  app.get(
    '/notifications',
    {
      schema: {
        tags,
        summary: "The caller's notifications, newest first, with the unread count",
        security,
        querystring: NotificationListQuery,
        response: { 200: NotificationPage, ...errors },
      },
    },
    (request) => getNotifications(db, tenantContext(request), request.query),
  );
  app.patch(
    '/notifications/:id/read',
    {
      schema: {
        tags,
        summary: 'Mark one of your notifications read (another user’s: 404)',
        security,
        params: z.object({ id: z.uuid() }),
        response: { 200: Notification, ...errors },
      },
    },
    (request) => markAsRead(db, tenantContext(request), request.params.id),
  );
  app.post(
    '/notifications/read-all',
    { schema: { tags, summary: 'Mark all your notifications read', security, response: { 200: NotificationReadAllResult, ...errors } } },
    (request) => markAllAsRead(db, tenantContext(request)),
  );
  app.get(
    '/notifications/settings',
    { schema: { tags, summary: 'Your notification channels per type and the daily digest (defaults when unset)', security, response: { 200: NotificationSettings, ...errors } } },
    (request) => getNotificationSettings(db, tenantContext(request)),
  );
  app.patch(
    '/notifications/settings',
    {
      schema: {
        tags,
        summary: 'Change your notification settings (only what is sent changes)',
        security,
        body: NotificationSettingsPatch,
        response: { 200: NotificationSettings, ...errors },
      },
    },
    (request) => updateNotificationSettings(db, tenantContext(request), request.body),
  );
};
