// An unmodified AWS Lambda function (nodejs20.x): on every object created in the uploads
// bucket, shrink the image to at most MAX_WIDTH pixels wide, stamp a watermark in its
// bottom-right corner and write it, in the same format, to OUTPUT_BUCKET under the same key.
// A file that is not a readable image makes the invocation fail, so the asynchronous
// invocation's OnFailure destination receives it.
//
// @aws-sdk/client-s3 comes with the Lambda Node.js runtime (on AWS and on Nimbus), so the
// only dependency in package.json is sharp.
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import sharp from 'sharp';
import { watermarkFor } from './watermark.mjs';

const MAX_WIDTH = positiveInt(process.env.MAX_WIDTH, 800);
const OUTPUT_BUCKET = process.env.OUTPUT_BUCKET || 'processed';
const WATERMARK_TEXT = process.env.WATERMARK_TEXT || 'NIMBUS';

/** Input formats we write back in the same format, and their Content-Type. */
const CONTENT_TYPES = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  gif: 'image/gif',
  avif: 'image/avif',
  tiff: 'image/tiff',
};

// One client per execution environment, reused by every invocation it serves. It finds the
// region, credentials (and on Nimbus the endpoint, AWS_ENDPOINT_URL) in the environment.
const s3 = new S3Client({});

export const handler = async (event, context) => {
  const results = [];
  for (const record of event.Records ?? []) {
    if (record.eventSource !== 'aws:s3' || !record.s3) continue;
    const bucket = record.s3.bucket.name;
    // Keys arrive URL-encoded as in an HTML form: '+' is a space.
    const key = decodeURIComponent(record.s3.object.key.replace(/\+/g, ' '));
    if (bucket === OUTPUT_BUCKET) {
      // Writing back into the bucket that triggers us would invoke us forever.
      throw new Error(`refusing to process s3://${bucket}/${key}: it is the output bucket`);
    }
    results.push(await processObject(bucket, key, context));
  }
  return { processed: results };
};

async function processObject(bucket, key, context) {
  const started = Date.now();
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const original = Buffer.from(await object.Body.transformToByteArray());

  // sharp rejects anything that is not a complete, decodable image; that error fails the
  // invocation on purpose.
  const { format } = await sharp(original).metadata();
  const contentType = CONTENT_TYPES[format];
  if (!contentType) throw new Error(`s3://${bucket}/${key}: unsupported image format ${format}`);

  // Orient by EXIF, then shrink (never enlarge); decoded to raw pixels so the watermark can
  // be sized to the result.
  const { data, info } = await sharp(original)
    .autoOrient()
    .resize({ width: MAX_WIDTH, withoutEnlargement: true })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const mark = watermarkFor(info.width, info.height, WATERMARK_TEXT);
  let image = sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } });
  if (mark) image = image.composite([{ input: mark.input, left: mark.left, top: mark.top }]);
  else console.log(`s3://${bucket}/${key} is too small (${info.width}x${info.height}) for a watermark`);
  const output = await image.toFormat(format, format === 'jpeg' ? { quality: 85 } : {}).toBuffer();

  await s3.send(
    new PutObjectCommand({
      Bucket: OUTPUT_BUCKET,
      Key: key,
      Body: output,
      ContentType: contentType,
      Metadata: { 'source-bucket': bucket, 'source-etag': (object.ETag ?? '').replace(/"/g, '') },
    }),
  );
  const summary = { key, format, width: info.width, height: info.height, bytes: output.length, ms: Date.now() - started };
  console.log(JSON.stringify({ requestId: context?.awsRequestId, source: `s3://${bucket}/${key}`, target: `s3://${OUTPUT_BUCKET}/${key}`, ...summary }));
  return summary;
}

function positiveInt(text, fallback) {
  const n = Number.parseInt(text ?? '', 10);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}
