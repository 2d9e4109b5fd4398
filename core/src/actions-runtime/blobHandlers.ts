/**
 * The signed blob URLs: Azure block-blob uploads (what @azure/storage-blob sends for the toolkit:
 * `PUT ?comp=block&blockid=` blocks then `PUT ?comp=blocklist` with the XML list, or one plain PUT
 * with x-ms-blob-type: BlockBlob) into a staged upload, and plain GETs of cache entries and
 * artifacts (the toolkit downloads non-Azure URLs with a single GET and checks Content-Length).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { HeliosError } from '@helios-ci/sdk';
import { contentLength } from './httpIo.js';
import type { Pending } from './pendingUploads.js';
import type { RuntimeCaches } from './runtimeCaches.js';
import type { Artifacts } from '../blobs/artifacts.js';

const MAX_BLOCK_LIST_BYTES = 4 * 1024 * 1024;

export interface BlobDeps {
  upload: (id: string) => Pending | undefined;
  drop: (p: Pending) => Promise<void>;
  caches: RuntimeCaches;
  artifacts: Artifacts;
}

export async function handleBlob(req: IncomingMessage, res: ServerResponse, url: URL, target: string[], d: BlobDeps): Promise<void> {
  const [kind, ...rest] = target;
  if (kind === 'u' && req.method === 'PUT' && rest.length === 1) return putBlob(req, res, url, rest[0]!, d);
  if (kind === 'c' && (req.method === 'GET' || req.method === 'HEAD') && rest.length === 1) {
    const entry = d.caches.entry(Number(rest[0]));
    const data = entry ? await d.caches.read(entry) : null;
    if (!entry || !data) throw new HeliosError('E_NOT_FOUND', 'this cache entry is gone (evicted since it was looked up); restore again');
    return send(req, res, data, entry.size, { 'content-type': 'application/octet-stream' });
  }
  if (kind === 'a' && (req.method === 'GET' || req.method === 'HEAD') && rest.length === 2) {
    const found = await d.artifacts.open(rest[0]!, rest[1]!);
    if (!found) throw new HeliosError('E_ARTIFACT_NOT_FOUND', `artifact ${rest[1]} is gone (expired or deleted since its URL was made)`);
    // upload-artifact zips unless skipArchive; download-artifact unzips only what is served as a zip.
    const { first, data } = await peek(found.data);
    const zip = first.length >= 4 && first[0] === 0x50 && first[1] === 0x4b && first[2] === 0x03 && first[3] === 0x04;
    const headers: Record<string, string> = zip ? { 'content-type': 'application/zip' } : { 'content-type': 'application/octet-stream', 'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(found.artifact.name)}` };
    return send(req, res, data, found.artifact.size, headers);
  }
  throw new HeliosError('E_NOT_FOUND', `${req.method} is not something this blob URL does`);
}

async function putBlob(req: IncomingMessage, res: ServerResponse, url: URL, id: string, d: BlobDeps): Promise<void> {
  const pending = d.upload(id);
  if (!pending) throw new HeliosError('E_NOT_FOUND', 'this upload is over (finalized, dropped, or its job ended); create it again');
  const comp = url.searchParams.get('comp');
  try {
    if (comp === 'block') {
      await pending.staged.putBlock(url.searchParams.get('blockid') ?? '', req, contentLength(req));
    } else if (comp === 'blocklist') {
      await pending.staged.commitBlocks(parseBlockList(await readText(req)));
    } else if (comp === null) {
      if (req.headers['x-ms-blob-type'] !== undefined && req.headers['x-ms-blob-type'] !== 'BlockBlob') throw new HeliosError('E_USAGE', `x-ms-blob-type ${req.headers['x-ms-blob-type']} is not supported; only block blobs are`);
      await pending.staged.putWhole(req, contentLength(req));
    } else {
      throw new HeliosError('E_USAGE', `comp=${comp} is not supported on an upload URL (block, blocklist, or none)`);
    }
  } catch (err) {
    // Over the limit: the whole upload is dropped, so its finalize finds nothing to store.
    if (err instanceof HeliosError && (err.code === 'E_CACHE_TOO_LARGE' || err.code === 'E_ARTIFACT_TOO_LARGE')) await d.drop(pending);
    throw err;
  }
  res.writeHead(201, { 'x-ms-request-server-encrypted': 'false', etag: `"${id}"`, 'last-modified': new Date().toUTCString() }).end();
}

function parseBlockList(xml: string): string[] {
  const ids = [...xml.matchAll(/<(Latest|Committed|Uncommitted)>([^<]*)<\/\1>/g)].map((m) => m[2]!.replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>'));
  if (!/<BlockList>/.test(xml)) throw new HeliosError('E_USAGE', 'the block list is not <BlockList> XML');
  return ids;
}

async function readText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    n += chunk.length;
    if (n > MAX_BLOCK_LIST_BYTES) throw new HeliosError('E_USAGE', 'the block list is too long');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function send(req: IncomingMessage, res: ServerResponse, data: AsyncIterable<Uint8Array>, size: number, headers: Record<string, string>): Promise<void> {
  res.writeHead(200, { ...headers, 'content-length': String(size) });
  if (req.method === 'HEAD') {
    res.end();
    // Close the blob's stream without reading it.
    await data[Symbol.asyncIterator]().return?.();
    return;
  }
  await pipeline(Readable.from(data), res);
}

/** The first chunk of a stream and the whole stream again. */
async function peek(data: AsyncIterable<Uint8Array>): Promise<{ first: Uint8Array; data: AsyncIterable<Uint8Array> }> {
  const it = data[Symbol.asyncIterator]();
  const head = await it.next();
  const first = head.done ? new Uint8Array(0) : head.value;
  async function* again(): AsyncIterable<Uint8Array> {
    if (!head.done) yield first;
    for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
  }
  return { first, data: again() };
}
