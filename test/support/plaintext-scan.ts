/**
 * Finds credentials stored in the clear: reads every file under a directory (recursively, every
 * byte, whatever the extension) and reports each file that contains a needle, as UTF-8, as
 * UTF-16LE (Windows tools), as standalone base64 or as hex (an encoding is not protection).
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

/** One needle found in one file. */
export interface PlaintextHit {
  /** Path relative to the scanned directory (posix separators). */
  file: string;
  needle: string;
  encoding: 'utf8' | 'utf16le' | 'base64' | 'base64url' | 'hex';
}

/** Every (file, needle) pair where the file holds the needle in one of the encodings; symlinks are not followed. */
export async function findPlaintext(dir: string, needles: readonly string[]): Promise<PlaintextHit[]> {
  const patterns = needles
    .filter((needle) => needle.length > 0)
    .flatMap((needle) => {
      const raw = Buffer.from(needle, 'utf8');
      return [
        { needle, encoding: 'utf8' as const, bytes: raw },
        { needle, encoding: 'utf16le' as const, bytes: Buffer.from(needle, 'utf16le') },
        { needle, encoding: 'base64' as const, bytes: Buffer.from(raw.toString('base64').replace(/=+$/, '')) },
        { needle, encoding: 'base64url' as const, bytes: Buffer.from(raw.toString('base64url')) },
        { needle, encoding: 'hex' as const, bytes: Buffer.from(raw.toString('hex')) },
      ];
    });
  const hits: PlaintextHit[] = [];
  for (const file of await listFiles(dir)) {
    let content: Buffer;
    try {
      content = await readFile(file);
    } catch (error) {
      // A temporary file renamed into place meanwhile: its bytes are scanned under the final name.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    const lower = Buffer.from(content.toString('latin1').toLowerCase(), 'latin1');
    const seen = new Set<string>();
    for (const { needle, encoding, bytes } of patterns) {
      // Hex is matched case-insensitively; everything else byte for byte.
      const found = encoding === 'hex' ? lower.includes(bytes) : content.includes(bytes);
      const key = `${needle}\u0000${encoding}`;
      if (found && !seen.has(key)) {
        seen.add(key);
        hits.push({ file: path.relative(dir, file).split(path.sep).join('/'), needle, encoding });
      }
    }
  }
  return hits;
}

async function listFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await listFiles(full)));
    else if (entry.isFile()) files.push(full);
  }
  return files.sort();
}
