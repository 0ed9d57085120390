import { S3Errors } from '../errors/index.ts';

/** Which bucket and key a request addresses, and how. */
export interface Address {
  readonly bucket?: string;
  readonly key?: string;
  readonly style: 'path' | 'virtual-host';
}

/**
 * Resolves path-style (`/bucket/key`) and virtual-hosted-style (Host `bucket.<suffix>`,
 * path `/key`) addressing. rawPath is the request target before `?`, still
 * percent-encoded: decoding it ourselves keeps `.`/`..` segments and `//` that a URL
 * parser would normalize away, since those are legal in keys.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/VirtualHosting.html
 */
export function resolveAddress(rawPath: string, hostHeader: string | undefined, suffixes: readonly string[]): Address {
  const bucketFromHost = virtualHostBucket(hostHeader, suffixes);
  if (bucketFromHost !== undefined) {
    const key = decode(rawPath.replace(/^\//, ''));
    return { bucket: bucketFromHost, ...(key ? { key } : {}), style: 'virtual-host' };
  }
  const rest = rawPath.replace(/^\//, '');
  if (rest === '') return { style: 'path' };
  const slash = rest.indexOf('/');
  const bucket = decode(slash === -1 ? rest : rest.slice(0, slash));
  const key = slash === -1 ? '' : decode(rest.slice(slash + 1));
  return { bucket, ...(key ? { key } : {}), style: 'path' };
}

/** The bucket a virtual-hosted-style Host header names, if it names one. */
export function virtualHostBucket(hostHeader: string | undefined, suffixes: readonly string[]): string | undefined {
  if (!hostHeader) return undefined;
  // Strip the port (IPv6 literals are never virtual hosts: they start with '[').
  const host = hostHeader.startsWith('[') ? '' : hostHeader.replace(/:\d+$/, '').toLowerCase();
  if (!host || suffixes.includes(host)) return undefined;
  // Longest suffix first: bucket.s3.localhost is bucket under s3.localhost, not bucket.s3 under localhost.
  for (const suffix of [...suffixes].sort((a, b) => b.length - a.length)) {
    if (host.endsWith(`.${suffix}`)) {
      const bucket = host.slice(0, -suffix.length - 1);
      return bucket || undefined;
    }
  }
  return undefined;
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new S3Errors.InvalidURI();
  }
}
