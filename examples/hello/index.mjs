// A plain AWS Lambda handler: nothing here knows about Nimbus.
export const handler = async (event, context) => {
  console.log('invoked', { requestId: context.awsRequestId, remainingMs: context.getRemainingTimeInMillis() });
  return {
    greeting: `Hello, ${event.name ?? 'world'}!`,
    function: context.functionName,
    version: context.functionVersion,
  };
};
