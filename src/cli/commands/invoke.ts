import fsp from 'node:fs/promises';
import type { Command } from 'commander';
import { runClientCommand, withClientFlags, type ClientFlags } from '../context.ts';
import { CliError, EXIT } from '../errors.ts';

interface InvokeFlags extends ClientFlags {
  readonly payload?: string;
  readonly payloadFile?: string;
  readonly log?: boolean;
  readonly async?: boolean;
}

export function registerInvoke(program: Command): void {
  withClientFlags(
    program
      .command('invoke')
      .description('invoke a function and print its result (exit code 1 on a function error)')
      .argument('<function>', 'function name or ARN, optionally :qualifier')
      .option('--payload <json>', 'event JSON')
      .option('--payload-file <file>', 'read the event JSON from a file ("-" for stdin)')
      .option('--log', 'print the invocation log (its last 4 KB) to stderr')
      .option('--async', 'queue the event (InvocationType Event) instead of waiting for the result'),
  ).action((fn: string, flags: InvokeFlags) =>
    runClientCommand(flags, { functionName: fn }, async (ctx) => {
      const payload = await readPayload(flags);
      const { InvokeCommand } = await import('@aws-sdk/client-lambda');
      const out = await (await ctx.lambda()).send(
        new InvokeCommand({
          FunctionName: fn,
          InvocationType: flags.async ? 'Event' : 'RequestResponse',
          ...(flags.log && !flags.async ? { LogType: 'Tail' } : {}),
          ...(payload ? { Payload: payload } : {}),
        }),
      );
      if (flags.async) {
        process.stdout.write(`Accepted: status ${out.StatusCode}, request id ${out.$metadata.requestId ?? 'unknown'}\n`);
        return EXIT.OK;
      }
      if (out.LogResult) writeLine(process.stderr, Buffer.from(out.LogResult, 'base64'));
      if (out.Payload && out.Payload.length > 0) writeLine(process.stdout, Buffer.from(out.Payload));
      return out.FunctionError ? EXIT.FAILURE : EXIT.OK;
    }),
  );
}

/** --payload, else --payload-file, else stdin when it is not a terminal; checked to be JSON. */
async function readPayload(flags: InvokeFlags): Promise<Buffer | undefined> {
  if (flags.payload !== undefined && flags.payloadFile !== undefined) {
    throw new CliError('Use either --payload or --payload-file, not both');
  }
  let raw: Buffer | undefined;
  let from: string;
  if (flags.payload !== undefined) {
    raw = Buffer.from(flags.payload, 'utf8');
    from = '--payload';
  } else if (flags.payloadFile !== undefined && flags.payloadFile !== '-') {
    raw = await fsp.readFile(flags.payloadFile).catch((err: NodeJS.ErrnoException) => {
      throw new CliError(`Cannot read --payload-file ${flags.payloadFile}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`);
    });
    from = flags.payloadFile;
  } else if (flags.payloadFile === '-' || !process.stdin.isTTY) {
    raw = await readStdin();
    from = 'stdin';
  } else {
    return undefined;
  }
  if (raw.toString('utf8').trim() === '') return undefined;
  try {
    JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw new CliError(`The payload from ${from} is not valid JSON: ${(err as Error).message}`);
  }
  return raw;
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function writeLine(stream: NodeJS.WriteStream, data: Buffer): void {
  stream.write(data);
  if (data.length > 0 && data[data.length - 1] !== 0x0a) stream.write('\n');
}
