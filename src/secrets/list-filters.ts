import type { SecretRecord } from '../storage/index.ts';
import type { FilterKey } from './schemas.ts';

export interface ListFilter {
  readonly Key?: FilterKey;
  readonly Values?: readonly string[];
}

/**
 * ListSecrets Filters, as https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_Filter.html
 * states them: prefix matches (description and `all` ignoring case), `!` negates a value,
 * values of one key are alternatives, and every filter must hold.
 */
export function matchesFilters(secret: SecretRecord, filters: readonly ListFilter[]): boolean {
  return filters.every((filter) => {
    const values = filter.Values ?? [];
    if (!filter.Key || values.length === 0) return true;
    const positive = values.filter((v) => !v.startsWith('!'));
    const negative = values.filter((v) => v.startsWith('!')).map((v) => v.slice(1));
    const test = (value: string) => matchesKey(secret, filter.Key!, value);
    return (positive.length === 0 || positive.some(test)) && !negative.some(test);
  });
}

function matchesKey(secret: SecretRecord, key: FilterKey, value: string): boolean {
  const prefixOf = (candidates: readonly (string | undefined)[], ignoreCase = false) =>
    candidates.some((c) => c !== undefined && (ignoreCase ? c.toLowerCase().startsWith(value.toLowerCase()) : c.startsWith(value)));
  switch (key) {
    case 'name':
      return prefixOf([secret.name]);
    case 'description':
      return prefixOf([secret.description], true);
    case 'tag-key':
      return prefixOf(secret.tags.map((t) => t.Key));
    case 'tag-value':
      return prefixOf(secret.tags.map((t) => t.Value));
    case 'primary-region':
    case 'owning-service':
      // Nimbus neither replicates secrets nor lets services own them.
      return false;
    case 'all': {
      // Each word of the value must start some word of some attribute, ignoring case.
      const words = [secret.name, secret.description, ...secret.tags.flatMap((t) => [t.Key, t.Value])]
        .filter((a): a is string => a !== undefined)
        .flatMap((a) => [a, ...a.split(/[\s/_+=.@:-]+/)])
        .map((w) => w.toLowerCase());
      return value
        .toLowerCase()
        .split(/\s+/)
        .filter(Boolean)
        .every((needle) => words.some((w) => w.startsWith(needle)));
    }
  }
}
