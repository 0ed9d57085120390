#!/usr/bin/env bash
# Deploys the image pipeline with the AWS CLI v2: three buckets, a least-privilege execution
# role for each function, the image function, its failure destination, the permission for S3
# to invoke it and the bucket notification.
# Safe to run again: existing buckets are kept, functions get the new code and settings.
#
#   NIMBUS_ENDPOINT   where Nimbus listens (default: $AWS_ENDPOINT_URL, else http://127.0.0.1:4566)
#   MAX_WIDTH         widest output image in pixels (default 800)
#   UPLOADS_BUCKET, PROCESSED_BUCKET, FAILURES_BUCKET   (default uploads, processed, failures)
#   FUNCTION_NAME, FAILURE_FUNCTION_NAME                (default image-resize, image-failures)
#   AWS_CLI           the AWS CLI v2 (default /usr/bin/aws, else aws on PATH)
#   AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY   credentials (default: the root credentials in $NIMBUS_DATA_DIR, else ./.nimbus)
set -euo pipefail
shopt -s inherit_errexit  # so a failing command inside $(...) stops the script too
started=$SECONDS
here=$(cd "$(dirname "$0")" && pwd)

endpoint=${NIMBUS_ENDPOINT:-${AWS_ENDPOINT_URL:-http://127.0.0.1:4566}}
max_width=${MAX_WIDTH:-800}
uploads=${UPLOADS_BUCKET:-uploads}
processed=${PROCESSED_BUCKET:-processed}
failures=${FAILURES_BUCKET:-failures}
fn=${FUNCTION_NAME:-image-resize}
failure_fn=${FAILURE_FUNCTION_NAME:-image-failures}
role_of() { printf '%s-role' "$1"; }

# Nimbus verifies every request: sign with the credentials in the environment, else with the
# root credentials the server keeps in its data dir (NIMBUS_DATA_DIR, default .nimbus at the repository root).
if [ -z "${AWS_ACCESS_KEY_ID:-}" ] || [ -z "${AWS_SECRET_ACCESS_KEY:-}" ]; then
  creds=${NIMBUS_DATA_DIR:-$here/../../.nimbus}/credentials
  [ -r "$creds" ] || { echo "deploy.sh: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (nimbus server prints them at start-up), or NIMBUS_DATA_DIR to the server's data dir ($creds is missing)" >&2; exit 1; }
  export AWS_SHARED_CREDENTIALS_FILE=$creds
  unset AWS_PROFILE
fi
export AWS_DEFAULT_REGION=${AWS_DEFAULT_REGION:-${AWS_REGION:-us-east-1}}
export AWS_PAGER=""
region=$AWS_DEFAULT_REGION

cli=${AWS_CLI:-/usr/bin/aws}
[ -x "$cli" ] || cli=$(command -v aws || true)
[ -n "$cli" ] || { echo "deploy.sh: the AWS CLI v2 is missing (Debian: apt-get install awscli)" >&2; exit 1; }
command -v zip >/dev/null || { echo "deploy.sh: zip is missing (Debian: apt-get install zip)" >&2; exit 1; }
aws() { "$cli" --endpoint-url "$endpoint" "$@"; }
step() { printf '==> %s\n' "$*"; }

step "checking Nimbus at $endpoint"
aws s3api list-buckets >/dev/null || { echo "deploy.sh: no answer from $endpoint; is Nimbus running (npm start)?" >&2; exit 1; }

step "installing the function's dependencies (sharp)"
(cd "$here/function" && npm ci --omit=dev --no-audit --no-fund --prefer-offline --loglevel=error)

build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
(cd "$here/function" && zip -qr "$build/function.zip" index.mjs watermark.mjs package.json node_modules -x 'node_modules/.bin/*')
(cd "$here/failures" && zip -qr "$build/failures.zip" index.mjs)

for bucket in "$uploads" "$processed" "$failures"; do
  if aws s3api head-bucket --bucket "$bucket" 2>/dev/null; then
    step "bucket $bucket exists"
  else
    step "creating bucket $bucket"
    if [ "$region" = us-east-1 ]; then
      aws s3api create-bucket --bucket "$bucket" >/dev/null
    else
      aws s3api create-bucket --bucket "$bucket" --create-bucket-configuration "LocationConstraint=$region" >/dev/null
    fi
  fi
done

lambda_trust='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}'

# ensure_role NAME POLICY_JSON: an execution role Lambda may assume, allowed to write its logs
# and what POLICY_JSON (its inline policy "access") allows, nothing more. Prints its ARN.
ensure_role() {
  local name=$1 policy=$2 arn
  if arn=$(aws iam get-role --role-name "$name" --query Role.Arn --output text 2>/dev/null); then
    step "role $name exists" >&2
  else
    step "creating role $name" >&2
    arn=$(aws iam create-role --role-name "$name" --assume-role-policy-document "$lambda_trust" --query Role.Arn --output text)
  fi
  aws iam attach-role-policy --role-name "$name" --policy-arn arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole
  aws iam put-role-policy --role-name "$name" --policy-name access --policy-document "$policy"
  echo "$arn"
}

# The failure handler only writes records to the failures bucket.
failure_role=$(ensure_role "$(role_of "$failure_fn")" \
  "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:PutObject\",\"Resource\":\"arn:aws:s3:::$failures/*\"}]}")
# The resizer reads uploads, writes processed images, and (as Lambda requires of an
# execution role) may invoke its OnFailure destination.
fn_role=$(ensure_role "$(role_of "$fn")" \
  "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::$uploads/*\"},{\"Effect\":\"Allow\",\"Action\":\"s3:PutObject\",\"Resource\":\"arn:aws:s3:::$processed/*\"},{\"Effect\":\"Allow\",\"Action\":\"lambda:InvokeFunction\",\"Resource\":\"arn:aws:lambda:$region:*:function:$failure_fn\"}]}")

# deploy_function NAME ZIP ENV_JSON MEMORY ROLE: creates the function or updates its code and
# configuration, waits until it is ready, and prints its ARN.
deploy_function() {
  local name=$1 zipfile=$2 env_json=$3 memory=$4 role=$5 arn
  if aws lambda get-function --function-name "$name" >/dev/null 2>&1; then
    step "updating function $name" >&2
    aws lambda update-function-code --function-name "$name" --zip-file "fileb://$zipfile" >/dev/null
    aws lambda wait function-updated-v2 --function-name "$name"
    arn=$(aws lambda update-function-configuration --function-name "$name" --runtime nodejs20.x \
      --role "$role" --handler index.handler --memory-size "$memory" --timeout 30 --environment "$env_json" \
      --query FunctionArn --output text)
    aws lambda wait function-updated-v2 --function-name "$name"
  else
    step "creating function $name" >&2
    arn=$(aws lambda create-function --function-name "$name" --runtime nodejs20.x --role "$role" \
      --handler index.handler --zip-file "fileb://$zipfile" --memory-size "$memory" --timeout 30 \
      --environment "$env_json" --query FunctionArn --output text)
    aws lambda wait function-active-v2 --function-name "$name"
  fi
  echo "$arn"
}

failure_arn=$(deploy_function "$failure_fn" "$build/failures.zip" \
  "{\"Variables\":{\"FAILURES_BUCKET\":\"$failures\"}}" 256 "$failure_role")
fn_arn=$(deploy_function "$fn" "$build/function.zip" \
  "{\"Variables\":{\"MAX_WIDTH\":\"$max_width\",\"OUTPUT_BUCKET\":\"$processed\"}}" 1024 "$fn_role")

step "sending failed events of $fn to $failure_fn (no retries)"
aws lambda put-function-event-invoke-config --function-name "$fn" --maximum-retry-attempts 0 \
  --destination-config "{\"OnFailure\":{\"Destination\":\"$failure_arn\"}}" >/dev/null

step "allowing s3://$uploads to invoke $fn"
aws lambda remove-permission --function-name "$fn" --statement-id "s3-invoke-$uploads" >/dev/null 2>&1 || true
aws lambda add-permission --function-name "$fn" --statement-id "s3-invoke-$uploads" \
  --action lambda:InvokeFunction --principal s3.amazonaws.com \
  --source-arn "arn:aws:s3:::$uploads" >/dev/null

step "notifying $fn of every object created in s3://$uploads"
aws s3api put-bucket-notification-configuration --bucket "$uploads" --notification-configuration \
  "{\"LambdaFunctionConfigurations\":[{\"Id\":\"resize-on-upload\",\"LambdaFunctionArn\":\"$fn_arn\",\"Events\":[\"s3:ObjectCreated:*\"]}]}"

step "deployed in $((SECONDS - started)) s"
cat <<EOF

Try it:
  aws --endpoint-url $endpoint s3 cp photo.jpg s3://$uploads/photo.jpg
  aws --endpoint-url $endpoint s3 ls s3://$processed/
  aws --endpoint-url $endpoint s3 cp s3://$processed/photo.jpg photo-small.jpg
Failed uploads are kept as invocation records in s3://$failures/.
EOF
