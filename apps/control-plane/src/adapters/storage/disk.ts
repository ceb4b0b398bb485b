import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { assertObjectKey, assertObjectPrefix, type ObjectStorage } from './port.js';

const missing = (err: unknown) => (err as NodeJS.ErrnoException).code === 'ENOENT';

/**
 * Objects as files under `root` (default `CBP_DATA_DIR/objects`). A put writes a temporary file
 * in the target's directory, flushes it, then renames it over the target: rename is atomic on one
 * file system, so a reader sees the old object or the new one, never a partial file. A crash can
 * leave a `.tmp-*` file behind (never read; safe to delete). A delete also removes the
 * directories it leaves empty (up to `root`); a prefix delete removes the prefix's directory tree.
 */
export function createDiskStorage(root: string): ObjectStorage {
  const fileOf = (key: string) => {
    assertObjectKey(key);
    return path.join(root, ...key.split('/'));
  };
  /** Writes `file` through a temporary name; the directory is created again if a delete removed it meanwhile. */
  async function writeAtomically(file: string, write: (tmp: string) => Promise<void>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      await mkdir(path.dirname(file), { recursive: true });
      const tmp = `${file}.tmp-${randomBytes(6).toString('hex')}`;
      try {
        await write(tmp);
        await rename(tmp, file);
        return;
      } catch (err) {
        await rm(tmp, { force: true });
        if (attempt < 3 && missing(err)) continue;
        throw err;
      }
    }
  }
  /** Removes the directories above `entry` that are empty now, up to (never) `root`. */
  async function removeEmptyParents(entry: string): Promise<void> {
    const top = path.resolve(root);
    for (let dir = path.dirname(path.resolve(entry)); dir.startsWith(`${top}${path.sep}`); dir = path.dirname(dir)) {
      // Only an empty directory goes (rmdir refuses the others); a concurrent put recreates it (writeAtomically).
      if (!(await rmdir(dir).then(() => true, () => false))) break;
    }
  }
  return {
    kind: 'disk',
    async put(key, data) {
      await writeAtomically(fileOf(key), (tmp) => writeFile(tmp, data, { flush: true }));
    },
    async putStream(key, body) {
      const file = fileOf(key);
      let size = 0;
      let started = false;
      try {
        await writeAtomically(file, async (tmp) => {
          // A stream is read once: a retry after a removed directory is possible only before its first byte.
          if (started) throw new Error(`object ${key}: its directory vanished during the write`);
          started = true;
          const count = new Transform({
            transform(chunk: Buffer, _encoding, done) {
              size += chunk.length;
              done(null, chunk);
            },
          });
          await pipeline(body, count, createWriteStream(tmp, { flush: true }));
        });
      } catch (err) {
        body.destroy();
        throw err;
      }
      return { size };
    },
    async get(key) {
      try {
        return await readFile(fileOf(key));
      } catch (err) {
        if (missing(err)) return null;
        throw err;
      }
    },
    async getStream(key) {
      // The open file descriptor keeps reading the object even if a put replaces it meanwhile.
      const handle = await open(fileOf(key), 'r').catch((err: unknown) => {
        if (missing(err)) return null;
        throw err;
      });
      if (!handle) return null;
      try {
        const { size } = await handle.stat();
        return { body: handle.createReadStream(), size };
      } catch (err) {
        await handle.close();
        throw err;
      }
    },
    async head(key) {
      try {
        return { size: (await stat(fileOf(key))).size };
      } catch (err) {
        if (missing(err)) return null;
        throw err;
      }
    },
    async delete(key) {
      const file = fileOf(key);
      await rm(file, { force: true });
      await removeEmptyParents(file);
    },
    async deletePrefix(prefix) {
      assertObjectPrefix(prefix);
      const dir = path.join(root, ...prefix.slice(0, -1).split('/'));
      // `maxRetries`: a put under the prefix meanwhile can make a directory non-empty for a moment (ENOTEMPTY).
      await rm(dir, { recursive: true, force: true, maxRetries: 3 });
      await removeEmptyParents(dir);
    },
    close() {},
  };
}
