/**
 * AWS managed policies that Lambda tutorials attach, with their documents as AWS publishes
 * them (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/<Name>.html, the
 * default version named below). AWS owns them: they cannot be changed or deleted, only attached.
 */
export interface AwsManagedPolicy {
  readonly name: string;
  readonly path: string;
  readonly versionId: string;
  readonly description: string;
  /** ISO 8601. */
  readonly created: string;
  readonly updated: string;
  readonly document: Readonly<Record<string, unknown>>;
}

export const AWS_MANAGED_POLICIES: readonly AwsManagedPolicy[] = [
  {
    name: 'AdministratorAccess',
    path: '/',
    versionId: 'v1',
    description: 'Provides full access to AWS services and resources.',
    created: '2015-02-06T18:39:46Z',
    updated: '2015-02-06T18:39:46Z',
    document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] },
  },
  {
    name: 'AmazonS3FullAccess',
    path: '/',
    versionId: 'v2',
    description: 'Provides full access to all buckets via the AWS Management Console.',
    created: '2015-02-06T18:40:58Z',
    updated: '2021-09-27T20:16:37Z',
    document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:*', 's3-object-lambda:*'], Resource: '*' }] },
  },
  {
    name: 'AmazonS3ReadOnlyAccess',
    path: '/',
    versionId: 'v3',
    description: 'Provides read only access to all buckets via the AWS Management Console.',
    created: '2015-02-06T18:40:59Z',
    updated: '2023-08-10T21:31:39Z',
    document: {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['s3:Get*', 's3:List*', 's3:Describe*', 's3-object-lambda:Get*', 's3-object-lambda:List*'], Resource: '*' }],
    },
  },
  {
    name: 'AWSLambda_FullAccess',
    path: '/',
    versionId: 'v2',
    description: 'Grants full access to AWS Lambda service, AWS Lambda console features, and other related AWS services.',
    created: '2020-11-17T21:14:00Z',
    updated: '2025-03-17T21:37:00Z',
    document: {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: [
            'cloudformation:DescribeStacks',
            'cloudformation:ListStackResources',
            'cloudwatch:ListMetrics',
            'cloudwatch:GetMetricData',
            'ec2:DescribeSecurityGroups',
            'ec2:DescribeSubnets',
            'ec2:DescribeVpcs',
            'kms:ListAliases',
            'iam:GetPolicy',
            'iam:GetPolicyVersion',
            'iam:GetRole',
            'iam:GetRolePolicy',
            'iam:ListAttachedRolePolicies',
            'iam:ListRolePolicies',
            'iam:ListRoles',
            'lambda:*',
            'logs:DescribeLogGroups',
            'states:DescribeStateMachine',
            'states:ListStateMachines',
            'tag:GetResources',
            'xray:GetTraceSummaries',
            'xray:BatchGetTraces',
          ],
          Resource: '*',
        },
        { Effect: 'Allow', Action: 'iam:PassRole', Resource: '*', Condition: { StringEquals: { 'iam:PassedToService': 'lambda.amazonaws.com' } } },
        {
          Effect: 'Allow',
          Action: ['logs:DescribeLogStreams', 'logs:GetLogEvents', 'logs:FilterLogEvents', 'logs:StartLiveTail', 'logs:StopLiveTail'],
          Resource: 'arn:aws:logs:*:*:log-group:/aws/lambda/*',
        },
      ],
    },
  },
  {
    name: 'AWSLambdaBasicExecutionRole',
    path: '/service-role/',
    versionId: 'v1',
    description: 'Provides write permissions to CloudWatch Logs.',
    created: '2015-04-09T15:03:43Z',
    updated: '2015-04-09T15:03:43Z',
    document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'], Resource: '*' }] },
  },
  {
    name: 'AWSLambdaRole',
    path: '/service-role/',
    versionId: 'v1',
    description: 'Default policy for AWS Lambda service role.',
    created: '2015-02-06T18:41:28Z',
    updated: '2015-02-06T18:41:28Z',
    document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['lambda:InvokeFunction'], Resource: ['*'] }] },
  },
  {
    name: 'CloudWatchLogsFullAccess',
    path: '/',
    versionId: 'v8',
    description: 'Provides full access to CloudWatch Logs',
    created: '2015-02-06T18:40:58Z',
    updated: '2026-02-12T18:00:00Z',
    document: {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'CloudWatchLogsFullAccess',
          Effect: 'Allow',
          Action: [
            'logs:*',
            'cloudwatch:GenerateQuery',
            'cloudwatch:GenerateQueryResultsSummary',
            'observabilityadmin:GetS3TableIntegration',
            'observabilityadmin:ListS3TableIntegrations',
            'observabilityadmin:ListTelemetryPipelines',
          ],
          Resource: '*',
        },
      ],
    },
  },
  {
    name: 'SecretsManagerReadWrite',
    path: '/',
    versionId: 'v6',
    description: 'Provides read/write access to AWS Secrets Manager via the AWS Management Console. Note: this exludes IAM actions, so combine with IAMFullAccess if rotation configuration is required.',
    created: '2018-04-04T18:05:29Z',
    updated: '2025-08-25T23:37:00Z',
    document: {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'BasePermissions',
          Effect: 'Allow',
          Action: [
            'secretsmanager:*',
            'cloudformation:CreateChangeSet',
            'cloudformation:DescribeChangeSet',
            'cloudformation:DescribeStackResource',
            'cloudformation:DescribeStacks',
            'cloudformation:ExecuteChangeSet',
            'docdb-elastic:GetCluster',
            'docdb-elastic:ListClusters',
            'ec2:DescribeSecurityGroups',
            'ec2:DescribeSubnets',
            'ec2:DescribeVpcs',
            'kms:DescribeKey',
            'kms:ListAliases',
            'kms:ListKeys',
            'lambda:ListFunctions',
            'rds:DescribeDBClusters',
            'rds:DescribeDBInstances',
            'redshift:DescribeClusters',
            'redshift-serverless:ListWorkgroups',
            'redshift-serverless:GetNamespace',
            'tag:GetResources',
          ],
          Resource: '*',
        },
        {
          Sid: 'LambdaPermissions',
          Effect: 'Allow',
          Action: ['lambda:AddPermission', 'lambda:CreateFunction', 'lambda:GetFunction', 'lambda:InvokeFunction', 'lambda:UpdateFunctionConfiguration'],
          Resource: 'arn:aws:lambda:*:*:function:SecretsManager*',
        },
        {
          Sid: 'SARPermissions',
          Effect: 'Allow',
          Action: ['serverlessrepo:CreateCloudFormationChangeSet', 'serverlessrepo:GetApplication'],
          Resource: 'arn:aws:serverlessrepo:*:*:applications/SecretsManager*',
        },
        { Sid: 'S3Permissions', Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::awsserverlessrepo-changesets*', 'arn:aws:s3:::secrets-manager-rotation-apps-*/*'] },
        {
          Sid: 'CloudFormationTagOnCreate',
          Effect: 'Allow',
          Action: ['cloudformation:TagResource', 'cloudformation:UntagResource'],
          Resource: '*',
          Condition: { StringEquals: { 'cloudformation:CreateAction': ['CreateChangeSet', 'ExecuteChangeSet'] } },
        },
      ],
    },
  },
];
