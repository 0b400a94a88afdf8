import { maskUrl } from '../../../config.js';
import { TqError } from '../../../errors.js';

/** One seed node of a cluster URL. */
export interface ClusterNodeAddress {
  host: string;
  port: number;
}

export interface ClusterUrl {
  /** Seed nodes, in the URL's order; the client learns the rest from CLUSTER SLOTS. */
  nodes: ClusterNodeAddress[];
  username?: string;
  password?: string;
  /** rediss+cluster://: every node is reached over TLS. */
  tls: boolean;
}

const SCHEME = /^(rediss?)\+cluster:\/\//i;
const DEFAULT_PORT = 6379;
const HINT = 'write redis+cluster://[user:password@]host1:port1,host2:port2 (rediss+cluster:// for TLS): seed nodes of one Redis Cluster, no database number';

/** Whether `url` names a Redis Cluster (redis+cluster:// or rediss+cluster://). */
export function isClusterUrl(url: string): boolean {
  return SCHEME.test(url.trim());
}

/**
 * Reads `redis+cluster://[user:pass@]host1:port1,host2:port2[,...][?options]`.
 * WHATWG URL cannot hold several hosts, so the authority is split by hand.
 * A path other than `/` or `/0` is refused: a cluster has database 0 only,
 * and silently ignoring `/3` would put tq's keys where the user did not ask.
 * Query options are accepted and ignored (none is defined yet).
 */
export function parseClusterUrl(url: string): ClusterUrl {
  const trimmed = url.trim();
  const scheme = SCHEME.exec(trimmed);
  if (!scheme) throw bad(url, 'it is not a redis+cluster:// or rediss+cluster:// URL');
  const rest = trimmed.slice(scheme[0].length);
  const end = rest.search(/[/?#]/);
  const authority = end < 0 ? rest : rest.slice(0, end);
  const path = end < 0 ? '' : rest.slice(end).replace(/[?#].*$/, '');
  if (path !== '' && path !== '/' && path !== '/0') {
    throw bad(url, `Redis Cluster has only database 0, so '${path}' cannot be used`, 'drop the database number: redis+cluster://host1:port1,host2:port2');
  }
  const at = authority.lastIndexOf('@');
  const credentials = at < 0 ? undefined : authority.slice(0, at);
  const hosts = at < 0 ? authority : authority.slice(at + 1);
  const nodes = hosts
    .split(',')
    .map((h) => h.trim())
    .filter((h) => h !== '')
    .map((h) => node(h, url));
  if (nodes.length === 0) throw bad(url, 'it names no node');
  const parsed: ClusterUrl = { nodes, tls: scheme[1]!.toLowerCase() === 'rediss' };
  if (credentials !== undefined) {
    const colon = credentials.indexOf(':');
    const user = decode(colon < 0 ? credentials : credentials.slice(0, colon), url);
    const pass = colon < 0 ? undefined : decode(credentials.slice(colon + 1), url);
    // As with redis://, `redis+cluster://secret@h:p` is a password, not a user name.
    if (pass === undefined) parsed.password = user;
    else {
      if (user !== '') parsed.username = user;
      parsed.password = pass;
    }
  }
  return parsed;
}

function node(text: string, url: string): ClusterNodeAddress {
  // [::1]:7000 for IPv6; host:port otherwise; a bare host takes the default port.
  const match = /^\[([^\]]+)\](?::(.*))?$/.exec(text) ?? /^([^:]+)(?::(.*))?$/.exec(text);
  if (!match) throw bad(url, `'${text}' is not host:port`);
  const host = match[1]!;
  const portText = match[2];
  if (portText === undefined) return { host, port: DEFAULT_PORT };
  const port = /^\d+$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 1 && port <= 65_535)) throw bad(url, `'${portText}' (node ${host}) is not a port number from 1 to 65535`);
  return { host, port };
}

function decode(text: string, url: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw bad(url, 'its user or password is not valid percent-encoding');
  }
}

function bad(url: string, why: string, hint = HINT): TqError {
  return new TqError('CONFIG', `bad Redis Cluster URL '${maskUrl(url)}': ${why}`, { hint });
}
