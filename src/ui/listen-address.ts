import { isIP } from 'node:net';
import { LlnError } from '../errors';

/**
 * Where the view listens, and whether that needs a token. Alerts name a network's hosts, its
 * weak spots and what an attacker did: readable by anyone who can reach the port, so only the
 * loopback interface is open without a token.
 */
export const DEFAULT_PORT = 8089;
export const MIN_TOKEN_LENGTH = 16;

export interface ListenAddress {
  host: string;
  port: number;
  loopback: boolean;
}

/** 127.0.0.0/8, ::1 and the name localhost: reachable from this machine only. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

/** "127.0.0.1:8089", "[::1]:8089", "0.0.0.0:80", "localhost:8089", or a port alone, "8089" or ":8089" (on 127.0.0.1). */
export function parseListen(text: string): ListenAddress {
  const bad = (why: string) => new LlnError('LLN_E_USAGE', `--listen '${text}': ${why}; write HOST:PORT, e.g. 127.0.0.1:${DEFAULT_PORT} or [::1]:${DEFAULT_PORT}`);
  let host = '127.0.0.1', portText = text;
  const v6 = /^\[([^\]]+)\]:(\d+)$/.exec(text);
  if (v6) [host, portText] = [v6[1], v6[2]];
  else if (text.includes(':')) {
    const i = text.lastIndexOf(':');
    [host, portText] = [text.slice(0, i), text.slice(i + 1)];
    if (host.includes(':')) throw bad('an IPv6 address goes in brackets');
  }
  if (!/^\d+$/.test(portText) || Number(portText) > 65535) throw bad(`'${portText}' is not a port (0-65535)`);
  if (host === '') host = '127.0.0.1'; // ":8089": the port, on loopback
  if (host !== 'localhost' && isIP(host) === 0) throw bad(`'${host}' is not an IP address (or localhost)`);
  return { host, port: Number(portText), loopback: isLoopback(host) };
}

/** The token from --token or LLN_UI_TOKEN, checked against where the view listens. */
export function checkToken(listen: ListenAddress, token: string | undefined, listenText: string): string | undefined {
  if (token !== undefined && token.length < MIN_TOKEN_LENGTH) {
    throw new LlnError('LLN_E_USAGE', `--token is ${token.length} characters; use at least ${MIN_TOKEN_LENGTH} random ones (openssl rand -hex 16)`);
  }
  if (!listen.loopback && token === undefined) {
    throw new LlnError('LLN_E_USAGE', `--listen ${listenText} is reachable from other machines and the alerts would be open to all of them; give --token (or LLN_UI_TOKEN) with at least ${MIN_TOKEN_LENGTH} random characters, or listen on 127.0.0.1`);
  }
  return token;
}
