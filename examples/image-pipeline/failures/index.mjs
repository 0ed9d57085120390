// The OnFailure destination of the image function: Lambda hands it the invocation record of
// every event the image function gave up on (requestContext.condition says why,
// requestPayload is the S3 event, responsePayload the error). It keeps each record as
// s3://FAILURES_BUCKET/<request id>.json so that a person can look at them with
// `aws s3 ls` and `aws s3 cp`. No dependencies: @aws-sdk/client-s3 comes with the runtime.
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

const FAILURES_BUCKET = process.env.FAILURES_BUCKET || 'failures';
const s3 = new S3Client({});

export const handler = async (record, context) => {
  const requestId = record?.requestContext?.requestId ?? context.awsRequestId;
  const keys = (record?.requestPayload?.Records ?? []).map((r) => r?.s3?.object?.key).filter(Boolean);
  console.log(
    JSON.stringify({
      failedRequestId: requestId,
      condition: record?.requestContext?.condition,
      keys,
      error: record?.responsePayload?.errorMessage,
    }),
  );
  await s3.send(
    new PutObjectCommand({
      Bucket: FAILURES_BUCKET,
      Key: `${requestId}.json`,
      Body: JSON.stringify(record, null, 2),
      ContentType: 'application/json',
    }),
  );
  return { stored: `s3://${FAILURES_BUCKET}/${requestId}.json` };
};
