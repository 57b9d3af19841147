declare module 'dynalite' {
  import type { Server } from 'node:http';
  /** dynalite ships no types; this is the part of its API the project uses. */
  export default function dynalite(options?: { path?: string; createTableMs?: number }): Server;
}
