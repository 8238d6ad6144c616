/**
 * Installing a client's entry from the control UI, as `gatehouse client install` does: the
 * status of a client's file, a preview of the change as a diff, then the change itself (with a
 * backup of the file and a client token of its own). The DTOs of `/admin/clients/<client>/...`
 * and the validation of their bodies.
 *
 * The gateway edits files of the user it runs as, on its own machine: it refuses (403) unless
 * the request comes from that machine ({@link ClientInstallStatus.local}).
 *
 * Runs in every process: no `node:*`, no React.
 */
import { z } from 'zod';

const serverField = z.string().min(1, 'name a server, or leave "server" out for the aggregate').optional();

/** `POST /admin/clients/<client>/preview`. */
export const clientPreviewRequestSchema = z.strictObject({
  action: z.enum(['install', 'remove']),
  server: serverField,
});
export type ClientPreviewRequest = z.infer<typeof clientPreviewRequestSchema>;

/** `POST /admin/clients/<client>/install`. `fingerprint`: the preview's, refused (409) when the file changed since. */
export const clientInstallRequestSchema = z.strictObject({
  server: serverField,
  force: z.boolean().optional(),
  fingerprint: z.string().min(1).optional(),
});
export type ClientInstallRequest = z.infer<typeof clientInstallRequestSchema>;

/** `POST /admin/clients/<client>/remove`. */
export const clientRemoveRequestSchema = z.strictObject({
  server: serverField,
  fingerprint: z.string().min(1).optional(),
});
export type ClientRemoveRequest = z.infer<typeof clientRemoveRequestSchema>;

/** `GET /admin/clients/<client>/install?server=NAME`: where the entry would go and whether it is there. */
export interface ClientInstallStatus {
  client: string;
  /**
   * The request came from the gateway's own machine (loopback, no proxy in between, a loopback
   * Host): Install writes that user's file. When false, `reason` says why and the UI offers the
   * snippet instead.
   */
  local: boolean;
  /** Why Install is not offered (not local, or this client has no file Gatehouse can edit). */
  reason?: string;
  /** This client has a user config file Gatehouse edits. */
  installable: boolean;
  /** The file that would be edited (when installable). */
  file?: string;
  /** The entry's name in that file (`gatehouse`, or `gatehouse-<server>`). */
  entryName: string;
  /** The file holds an entry of that name. */
  installed: boolean;
  /** The client token an install creates (`client:<client>`), and whether it exists. */
  tokenName: string;
  hasToken: boolean;
}

/** The change an install or remove would make, before it is made. */
export interface ClientChangePreview {
  file: string;
  /** The file exists now. */
  exists: boolean;
  /** False when the file already is as wanted. */
  changed: boolean;
  /** A unified diff of the file (a few lines of context around the change); empty when unchanged. */
  diff: string;
  /** Of the file as read; pass it back so a file changed in between is not overwritten unseen. */
  fingerprint: string;
  /** An install of an existing entry replaces it (with a new token; the old one is revoked). */
  replaces: boolean;
  /** Where the new token goes (the diff shows a placeholder in its place). */
  tokenNote?: string;
}

/** What an install did. `secret` is the new token, shown once, when the client reads it from elsewhere than the file. */
export type ClientInstallAnswer =
  | { status: 'already-installed'; file: string; tokenName: string }
  | {
      status: 'installed';
      file: string;
      backup?: string;
      created: boolean;
      tokenName: string;
      /** The new token: present only when the file does not hold it (the user sets it where the client reads it). */
      secret?: string;
      /** Where the client reads the token from, when not from the file. */
      tokenEnvVar?: string;
      notes: string[];
      warnings: string[];
    };

/** What a remove did. */
export interface ClientRemoveAnswer {
  file: string;
  removed: boolean;
  backup?: string;
  revokedTokens: number;
}
