export {
  notificationTypes,
  notificationTypeNames,
  type ChannelSettings,
  type Notification,
  type NotificationListQuery,
  type NotificationPage,
  type NotificationReadAllResult,
  type NotificationSettings,
  type NotificationSettingsPatch,
  type NotificationSeverity,
  type NotificationType,
} from '@cbp/contracts';
