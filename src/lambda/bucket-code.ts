import { InvalidParameterValueException, S3Errors } from '../errors/index.ts';
import type { ObjectService } from '../s3/index.ts';

/**
 * Reads a code package named by S3Bucket/S3Key from Nimbus's own object store. Failures
 * come back as Lambda reports them: InvalidParameterValueException naming S3's error.
 */
export function bucketCodeReader(objects: () => ObjectService, maxBytes: number) {
  return async (bucket: string, key: string, version?: string): Promise<Buffer> => {
    try {
      // Buckets here are unversioned: only the "null" version exists.
      if (version !== undefined && version !== 'null') {
        throw new InvalidParameterValueException('Error occurred while GetObject. S3 Error Code: NoSuchVersion. S3 Error Message: The specified version does not exist.');
      }
      const record = objects().requireObject(bucket, key);
      if (record.size > maxBytes) {
        throw new InvalidParameterValueException(`Unzipped size must be smaller than ${maxBytes} bytes`);
      }
      const { stream } = await objects().openObject(record);
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    } catch (err) {
      if (err instanceof S3Errors.S3Error) {
        throw new InvalidParameterValueException(`Error occurred while GetObject. S3 Error Code: ${err.code}. S3 Error Message: ${err.message}`);
      }
      throw err;
    }
  };
}
