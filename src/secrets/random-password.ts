import { randomInt } from 'node:crypto';
import { JsonErrors } from '../errors/index.ts';

/** The punctuation GetRandomPassword draws from (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetRandomPassword.html). */
const PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const DIGITS = '0123456789';
export const PASSWORD_LENGTH_DEFAULT = 32;

export interface PasswordOptions {
  readonly PasswordLength?: number;
  readonly ExcludeCharacters?: string;
  readonly ExcludeNumbers?: boolean;
  readonly ExcludePunctuation?: boolean;
  readonly ExcludeUppercase?: boolean;
  readonly ExcludeLowercase?: boolean;
  readonly IncludeSpace?: boolean;
  readonly RequireEachIncludedType?: boolean;
}

/** GetRandomPassword: a password from a CSPRNG, with one character of each included type by default. */
export function randomPassword(opts: PasswordOptions): string {
  const length = opts.PasswordLength ?? PASSWORD_LENGTH_DEFAULT;
  const excluded = new Set(opts.ExcludeCharacters ?? '');
  const keep = (chars: string) => [...chars].filter((c) => !excluded.has(c)).join('');
  const classes = [
    opts.ExcludeLowercase ? '' : keep(LOWER),
    opts.ExcludeUppercase ? '' : keep(UPPER),
    opts.ExcludeNumbers ? '' : keep(DIGITS),
    opts.ExcludePunctuation ? '' : keep(PUNCTUATION),
    opts.IncludeSpace ? keep(' ') : '',
  ].filter((c) => c.length > 0);
  const all = classes.join('');
  if (all.length === 0) throw new JsonErrors.InvalidParameterException('You excluded every character a password could contain.');
  const required = opts.RequireEachIncludedType ?? true ? classes : [];
  if (required.length > length) {
    throw new JsonErrors.InvalidParameterException(`The password length ${length} is too short to include a character of each of the ${required.length} included types.`);
  }
  const out = required.map((c) => c[randomInt(c.length)]!);
  while (out.length < length) out.push(all[randomInt(all.length)]!);
  // Shuffle so the required characters are not always first.
  for (let i = out.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out.join('');
}
