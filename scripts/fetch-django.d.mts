// Types for fetch-django.mjs, which the test helpers import.
export interface DjangoPin {
  django: string;
  system?: boolean;
  suites?: string[];
  packages?: string[];
}
export function cacheRoot(env?: NodeJS.ProcessEnv): string;
export function readPins(): Record<string, DjangoPin>;
export function sitePackages(series: string, env?: NodeJS.ProcessEnv): string;
export function isFetched(series: string, pin: DjangoPin, env?: NodeJS.ProcessEnv): boolean;
