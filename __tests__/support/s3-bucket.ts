import { createHash, createHmac } from "node:crypto";
import { createServer, IncomingMessage, Server, ServerResponse } from "node:http";
import { AddressInfo } from "node:net";
import { Hash } from "@smithy/hash-node";
import { SignatureV4 } from "@smithy/signature-v4";

/** The S3 actions a bucket policy can deny here (IAM's names). */
export type S3Action = "s3:PutObject" | "s3:ListBucket" | "s3:DeleteObject";

export interface S3BucketOptions {
  /** The one bucket that exists. */
  readonly bucket: string;
  /** The region requests must be signed for. */
  readonly region: string;
  /** The access key id and secret key that may sign. */
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** One request as the server saw it, for assertions. */
export interface S3Request {
  readonly method: string;
  /** The request target exactly as sent (path and raw query). */
  readonly target: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The S3 error code, or undefined when the request succeeded. */
  readonly error?: string;
}

/** S3's upper bound on max-keys (ListObjectsV2). */
const S3_MAX_KEYS = 1000;
/** What S3 sends with every object (clients such as minio-go refuse an answer without them). */
const OBJECT_HEADERS = { "last-modified": new Date(0).toUTCString(), etag: '"0"' };
/** The payload hash of a SigV4 streaming (aws-chunked) upload. */
const STREAMING = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
/** S3's RequestTimeTooSkewed limit. */
const MAX_SKEW_MS = 15 * 60 * 1000;

class S3Error extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A stand-in for one S3 bucket (path-style PutObject, DeleteObject, GetObject with a byte range,
 * HeadObject, ListObjectsV2, GetBucketLocation, HeadBucket)
 * that rejects what S3 rejects: every request's SigV4 signature is recomputed with the AWS
 * SDK's signer (@smithy/signature-v4) from the request as received, the query canonicalized
 * as S3 does (decoded, re-encoded, sorted), so a raw `prefix=a/b/` signed as written fails;
 * `x-amz-content-sha256` is required, signed and checked against the body; x-amz-date must
 * be within 15 minutes; errors are S3's XML documents with S3's codes and statuses.
 */
export class S3Bucket {
  /** Objects by key. */
  readonly objects = new Map<string, Buffer>();
  readonly requests: S3Request[] = [];
  /** Actions a bucket policy denies (AccessDenied), as on a key scoped too narrowly. */
  readonly denied = new Set<S3Action>();
  /** Keys per ListObjectsV2 page; S3's is 1,000, tests lower it to exercise paging. */
  pageSize = S3_MAX_KEYS;
  /** When set, the bucket lives behind this other endpoint: S3 answers 301 PermanentRedirect. */
  movedTo?: string;
  /** How many of the next requests get S3's 503 SlowDown (a transient error clients retry). */
  slowDowns = 0;
  private server?: Server;
  private readonly signer: SignatureV4;

  constructor(private readonly options: S3BucketOptions) {
    this.signer = new SignatureV4({
      service: "s3",
      region: options.region,
      credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey },
      sha256: Hash.bind(null, "sha256"),
      // S3 signs the path as sent (URI-encoded once), unlike the other AWS services.
      uriEscapePath: false,
      applyChecksum: false,
    });
  }

  /** Starts listening on 127.0.0.1 and returns the endpoint URL. */
  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => void this.handle(req, res, Buffer.concat(chunks)));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(",") : String(v)]));
    const target = req.url ?? "/";
    const resource = target.split("?")[0];
    try {
      const answer = await this.serve(req.method ?? "GET", target, headers, body);
      this.requests.push({ method: req.method ?? "", target, headers });
      res.writeHead(answer.status, { ...(answer.body ? { "content-type": "application/xml" } : {}), ...answer.headers }).end(req.method === "HEAD" ? undefined : (answer.body ?? ""));
    } catch (caught) {
      const e = caught instanceof S3Error ? caught : new S3Error(500, "InternalError", String(caught));
      this.requests.push({ method: req.method ?? "", target, headers, error: e.code });
      const xml =
        `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${e.code}</Code><Message>${xmlEscape(e.message)}</Message>` +
        `<Resource>${xmlEscape(resource)}</Resource><RequestId>stand-in</RequestId></Error>`;
      res.writeHead(e.status, { "content-type": "application/xml" }).end(xml);
    }
  }

  private async serve(
    method: string,
    target: string,
    headers: Record<string, string>,
    body: Buffer,
  ): Promise<{ status: number; body?: string | Buffer; headers?: Record<string, string> }> {
    const [rawPath, rawQuery = ""] = splitOnce(target, "?");
    const query = parseQuery(rawQuery);
    if (this.slowDowns > 0) {
      this.slowDowns--;
      throw new S3Error(503, "SlowDown", "Please reduce your request rate.");
    }
    if (this.movedTo) {
      throw new S3Error(301, "PermanentRedirect", `The bucket you are attempting to access must be addressed using the specified endpoint: ${this.movedTo}`);
    }
    body = await this.authenticate(method, rawPath, query, headers, body);
    const [, bucket, ...rest] = rawPath.split("/");
    if (bucket !== this.options.bucket) throw new S3Error(404, "NoSuchBucket", "The specified bucket does not exist");
    const key = decodeURIComponent(rest.join("/"));
    if (key === "") {
      if (method === "GET" && query["list-type"] === "2") return this.list(query);
      // GetBucketLocation and HeadBucket, which S3 clients such as restic's (minio-go) ask first.
      if (method === "GET" && "location" in query) {
        return { status: 200, body: `<?xml version="1.0" encoding="UTF-8"?>\n<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${this.options.region}</LocationConstraint>` };
      }
      if (method === "HEAD") return { status: 200 };
      throw new S3Error(501, "NotImplemented", "A header or query you provided implies functionality that is not implemented");
    }
    if (method === "PUT") {
      if (headers["content-length"] === undefined) throw new S3Error(411, "MissingContentLength", "You must provide the Content-Length HTTP header.");
      this.authorize("s3:PutObject");
      this.objects.set(key, body);
      return { status: 200 };
    }
    if (method === "DELETE") {
      this.authorize("s3:DeleteObject");
      this.objects.delete(key);
      return { status: 204 };
    }
    if (method === "GET" || method === "HEAD") {
      const object = this.objects.get(key);
      if (!object) throw new S3Error(404, "NoSuchKey", "The specified key does not exist.");
      if (method === "HEAD") return { status: 200, headers: { "content-length": String(object.length), ...OBJECT_HEADERS } };
      // A single byte range (RFC 9110 14.1.2), as restic reads pack files.
      const range = /^bytes=(\d+)-(\d*)$/.exec(headers.range ?? "");
      if (headers.range !== undefined && !range) throw new S3Error(501, "NotImplemented", "Only single byte ranges are implemented here");
      if (range) {
        const start = Number(range[1]);
        const end = range[2] === "" ? object.length - 1 : Math.min(Number(range[2]), object.length - 1);
        if (start >= object.length) throw new S3Error(416, "InvalidRange", "The requested range is not satisfiable");
        return { status: 206, body: object.subarray(start, end + 1), headers: { "content-range": `bytes ${start}-${end}/${object.length}`, ...OBJECT_HEADERS } };
      }
      return { status: 200, body: object, headers: OBJECT_HEADERS };
    }
    throw new S3Error(405, "MethodNotAllowed", "The specified method is not allowed against this resource.");
  }

  private authorize(action: S3Action): void {
    if (this.denied.has(action)) throw new S3Error(403, "AccessDenied", `Access Denied (${action})`);
  }

  /** SigV4 as S3 checks it, in S3's order of complaints. */
  /** Returns the payload: the body, or for aws-chunked uploads the decoded chunks, each signature checked. */
  private async authenticate(method: string, rawPath: string, query: Record<string, string | string[]>, headers: Record<string, string>, body: Buffer): Promise<Buffer> {
    const auth = headers.authorization;
    if (!auth) throw new S3Error(403, "AccessDenied", "Access Denied");
    const parsed = /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/.exec(auth);
    if (!parsed) throw new S3Error(400, "AuthorizationHeaderMalformed", "The authorization header is malformed");
    const [, accessKeyId, scopeDate, region, signedList] = parsed;
    if (accessKeyId !== this.options.accessKeyId) {
      throw new S3Error(403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.");
    }
    if (region !== this.options.region) {
      throw new S3Error(400, "AuthorizationHeaderMalformed", `the region '${region}' is wrong; expecting '${this.options.region}'`);
    }
    const payloadHash = headers["x-amz-content-sha256"];
    if (payloadHash === undefined) throw new S3Error(400, "InvalidRequest", "Missing required header for this request: x-amz-content-sha256");
    if (payloadHash !== "UNSIGNED-PAYLOAD" && payloadHash !== STREAMING && !/^[0-9a-f]{64}$/.test(payloadHash)) {
      throw new S3Error(400, "InvalidArgument", "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, or a valid sha256 value.");
    }
    const amzDate = headers["x-amz-date"];
    const when = amzDate && /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
    if (!when) throw new S3Error(403, "AccessDenied", "AWS authentication requires a valid Date or x-amz-date header");
    const signingDate = new Date(Date.UTC(+when[1], +when[2] - 1, +when[3], +when[4], +when[5], +when[6]));
    if (Math.abs(Date.now() - signingDate.getTime()) > MAX_SKEW_MS) {
      throw new S3Error(403, "RequestTimeTooSkewed", "The difference between the request time and the current time is too large.");
    }
    if (scopeDate !== amzDate.slice(0, 8)) throw new S3Error(400, "AuthorizationHeaderMalformed", "The credential date does not match x-amz-date");
    const signed = signedList.split(";");
    const unsigned = Object.keys(headers).filter((h) => (h === "host" || h.startsWith("x-amz-")) && !signed.includes(h));
    if (unsigned.length > 0) throw new S3Error(403, "AccessDenied", `There were headers present in the request which were not signed: ${unsigned.join(", ")}`);
    const missing = signed.filter((h) => headers[h] === undefined);
    if (missing.length > 0) throw new S3Error(403, "SignatureDoesNotMatch", `Signed headers missing from the request: ${missing.join(", ")}`);

    const expected = await this.signer.sign(
      {
        method,
        protocol: "http:",
        hostname: headers.host,
        path: canonicalPath(rawPath),
        query,
        headers: Object.fromEntries(signed.map((h) => [h, headers[h]])),
      },
      { signingDate, signableHeaders: new Set(signed) },
    );
    if (!expected.headers.authorization.endsWith(`Signature=${parsed[5]}`)) {
      throw new S3Error(403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method.");
    }
    if (payloadHash === STREAMING) return this.decodeChunks(body, parsed[5], amzDate, `${scopeDate}/${region}/s3/aws4_request`, headers);
    if (payloadHash !== "UNSIGNED-PAYLOAD" && payloadHash !== createHash("sha256").update(body).digest("hex")) {
      throw new S3Error(400, "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.");
    }
    return body;
  }

  /**
   * An aws-chunked body (SigV4 streaming, as minio-go sends over plain HTTP): every chunk's
   * signature chains from the previous one, starting at the request's; S3 refuses a chunk
   * whose signature or a total that does not match x-amz-decoded-content-length.
   */
  private decodeChunks(body: Buffer, seedSignature: string, amzDate: string, scope: string, headers: Record<string, string>): Buffer {
    const sha256 = (data: Buffer | string) => createHash("sha256").update(data).digest("hex");
    const hmac = (key: Buffer | string, data: string) => createHmac("sha256", key).update(data).digest();
    const [date, region] = scope.split("/");
    const key = hmac(hmac(hmac(hmac(`AWS4${this.options.secretAccessKey}`, date), region), "s3"), "aws4_request");
    const parts: Buffer[] = [];
    let previous = seedSignature;
    let at = 0;
    for (;;) {
      const lineEnd = body.indexOf("\r\n", at);
      const header = /^([0-9a-f]+);chunk-signature=([0-9a-f]{64})$/.exec(lineEnd < 0 ? "" : body.subarray(at, lineEnd).toString("latin1"));
      if (!header) throw new S3Error(400, "IncompleteBody", "The request body is not valid aws-chunked encoding");
      const size = parseInt(header[1], 16);
      const data = body.subarray(lineEnd + 2, lineEnd + 2 + size);
      const expected = hmac(key, ["AWS4-HMAC-SHA256-PAYLOAD", amzDate, scope, previous, sha256(""), sha256(data)].join("\n")).toString("hex");
      if (data.length !== size || expected !== header[2]) {
        throw new S3Error(403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided (chunk).");
      }
      previous = expected;
      at = lineEnd + 2 + size + 2;
      if (size === 0) break;
      parts.push(data);
    }
    const decoded = Buffer.concat(parts);
    if (String(decoded.length) !== headers["x-amz-decoded-content-length"]) {
      throw new S3Error(400, "IncompleteBody", "x-amz-decoded-content-length does not match the chunks");
    }
    return decoded;
  }

  /** ListObjectsV2: keys in UTF-8 binary order, pages of max-keys, opaque continuation tokens. */
  private list(query: Record<string, string | string[]>): { status: number; body: string } {
    this.authorize("s3:ListBucket");
    const one = (name: string) => {
      const value = query[name];
      if (Array.isArray(value)) throw new S3Error(400, "InvalidArgument", `${name} given more than once`);
      return value;
    };
    const prefix = one("prefix") ?? "";
    const requested = one("max-keys");
    if (requested !== undefined && !/^\d+$/.test(requested)) throw new S3Error(400, "InvalidArgument", "Provided max-keys not an integer or within integer range");
    const maxKeys = Math.min(requested === undefined ? S3_MAX_KEYS : Number(requested), S3_MAX_KEYS);
    const token = one("continuation-token");
    let after = one("start-after") ?? "";
    if (token !== undefined) {
      const decoded = /^1\/(.*)$/.exec(token);
      if (!decoded) throw new S3Error(400, "InvalidArgument", "The continuation token provided is incorrect");
      after = Buffer.from(decoded[1], "base64").toString("utf8");
    }
    const keys = [...this.objects.keys()].filter((k) => k.startsWith(prefix) && compareUtf8(k, after) > 0).sort(compareUtf8);
    const page = keys.slice(0, Math.min(maxKeys, this.pageSize));
    const truncated = keys.length > page.length;
    // Like S3's, the tokens carry "/", "+" and "=", which must be URI-encoded in the next request.
    const next = truncated ? `1/${Buffer.from(page[page.length - 1], "utf8").toString("base64")}` : undefined;
    const contents = page
      .map((k) => {
        const object = this.objects.get(k)!;
        const etag = createHash("md5").update(object).digest("hex");
        return `<Contents><Key>${xmlEscape(k)}</Key><LastModified>2025-01-01T00:00:00.000Z</LastModified><ETag>&quot;${etag}&quot;</ETag><Size>${object.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
      })
      .join("");
    const xml =
      `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
      `<Name>${this.options.bucket}</Name><Prefix>${xmlEscape(prefix)}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>${maxKeys}</MaxKeys>` +
      `<IsTruncated>${truncated}</IsTruncated>` +
      (token === undefined ? "" : `<ContinuationToken>${xmlEscape(token)}</ContinuationToken>`) +
      (next === undefined ? "" : `<NextContinuationToken>${xmlEscape(next)}</NextContinuationToken>`) +
      `${contents}</ListBucketResult>`;
    return { status: 200, body: xml };
  }
}

function splitOnce(text: string, separator: string): [string, string?] {
  const at = text.indexOf(separator);
  return at < 0 ? [text] : [text.slice(0, at), text.slice(at + 1)];
}

/** The query as S3 reads it: each name and value percent-decoded ("+" stays a plus sign). */
function parseQuery(raw: string): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const part of raw.split("&").filter((p) => p !== "")) {
    const [rawName, rawValue = ""] = splitOnce(part, "=");
    const [name, value] = [decode(rawName), decode(rawValue)];
    const seen = query[name];
    query[name] = seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value];
  }
  return query;
}

/** S3's canonical URI: each segment decoded and URI-encoded once ("/" kept). */
function canonicalPath(raw: string): string {
  return raw
    .split("/")
    .map((segment) => uriEncode(decode(segment)))
    .join("/");
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new S3Error(400, "InvalidURI", "Couldn't parse the specified URI.");
  }
}

/** SigV4's URI encoding: everything but A-Z a-z 0-9 - . _ ~ as %XX. */
function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

function xmlEscape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&apos;");
}
