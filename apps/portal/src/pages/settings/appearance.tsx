import { Monitor, Moon, Sun } from 'lucide-react';
import { Card, CardContent } from '@/components/ui/card';
import { cn } from '@/lib/cn';
import { setThemePreference, useThemePreference, type ThemePreference } from '@/lib/theme';
import { SettingsHeading } from './account-form';

const options: { value: ThemePreference; label: string; hint: string; Icon: typeof Sun }[] = [
  { value: 'light', label: 'Light', hint: 'Always light', Icon: Sun },
  { value: 'dark', label: 'Dark', hint: 'Always dark', Icon: Moon },
  { value: 'system', label: 'System', hint: 'Follows your device', Icon: Monitor },
];

/** The theme of this browser: light, dark, or the system's (stored in this browser only). */
export default function AppearanceSettingsPage() {
  const preference = useThemePreference();
  return (
    <div className="space-y-6">
      <SettingsHeading id="appearance-heading" title="Appearance" description="The theme of the portal in this browser." />
      <Card>
        <CardContent className="pt-5">
          <fieldset>
            <legend className="mb-3 text-sm font-medium">Theme</legend>
            <div className="grid gap-3 sm:grid-cols-3">
              {options.map(({ value, label, hint, Icon }) => (
                <label
                  key={value}
                  className={cn(
                    'flex cursor-pointer items-center gap-3 rounded-lg border p-3 text-sm transition-colors has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-offset-2 has-[:focus-visible]:outline-ring',
                    preference === value ? 'border-primary bg-accent' : 'hover:bg-accent/50',
                  )}
                >
                  <input
                    type="radio"
                    name="theme"
                    value={value}
                    checked={preference === value}
                    onChange={() => setThemePreference(value)}
                    className="size-4 accent-primary"
                  />
                  <Icon aria-hidden="true" className="size-4 text-muted-foreground" />
                  <span className="flex flex-col">
                    <span className="font-medium">{label}</span>
                    <span className="text-xs text-muted-foreground">{hint}</span>
                  </span>
                </label>
              ))}
            </div>
          </fieldset>
        </CardContent>
      </Card>
    </div>
  );
}
