import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One file of the page, held in memory (the whole page is a few tens of KiB). */
export interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.map': 'application/json',
};

/** Where the build puts the bundled page: dist/web, beside dist/runtime. */
export const DEFAULT_ASSETS_DIR = fileURLToPath(new URL('../../web/', import.meta.url));

/**
 * The page's files by URL path ('/' is index.html, the rest under /assets/).
 * Read once at start-up; a missing build is reported by the page's route.
 */
export function loadAssets(dir = DEFAULT_ASSETS_DIR): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  const index = join(dir, 'index.html');
  if (!existsSync(index)) return assets;
  assets.set('/', asset(index));
  const assetDir = join(dir, 'assets');
  if (existsSync(assetDir)) for (const name of readdirSync(assetDir)) if (TYPES[extname(name)]) assets.set(`/assets/${name}`, asset(join(assetDir, name)));
  return assets;
}

function asset(path: string): Asset {
  const body = readFileSync(path);
  return { body, type: TYPES[extname(path)] ?? 'application/octet-stream', etag: `"${createHash('sha1').update(body).digest('base64url')}"` };
}
