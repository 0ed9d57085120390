import { QueryErrors } from '../errors/index.ts';
import { paginate, userXml, type IamContext } from './context.ts';
import { accessKeyId, ID_PREFIX, secretAccessKey, uniqueId } from './ids.ts';
import { RULES, type Params } from './params.ts';
import { isoSeconds, xmlList } from './query-protocol.ts';
import type { ActionContext, QueryAction } from './query-service.ts';

/** https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html */
export const ACCESS_KEYS_PER_USER = 2;

/** The user an access-key action is about: the named one, or the calling user. */
function keyOwner(ctx: IamContext, p: Params, caller: ActionContext): string {
  const named = p.str('UserName', RULES.existingUserName);
  if (named !== undefined) return ctx.requireUser(named).name;
  if (caller.principal.type === 'User') return ctx.requireUser(caller.principal.name).name;
  throw new QueryErrors.ValidationError('Must specify userName when calling with non-User credentials');
}

export function userActions(ctx: IamContext): Record<string, QueryAction> {
  const { store } = ctx;
  return {
    // CreateUser
    CreateUser: (p) => {
      const name = p.required('UserName', RULES.userName);
      const path = p.str('Path', RULES.path) ?? '/';
      const tags = p.tags();
      const user = { name, path, id: uniqueId(ID_PREFIX.user), arn: ctx.arn('user', path, name), created: ctx.now(), tags };
      if (!store.createUser(user)) throw new QueryErrors.EntityAlreadyExists(`User with name ${name} already exists.`);
      return { User: userXml(user, true) };
    },
    // GetUser
    GetUser: (p, caller) => {
      const name = p.str('UserName', RULES.existingUserName);
      if (name !== undefined) return { User: userXml(ctx.requireUser(name), true) };
      const { principal } = caller;
      if (principal.type === 'User') return { User: userXml(ctx.requireUser(principal.name), true) };
      if (principal.type === 'Root') return { User: { UserId: principal.accountId, Arn: principal.arn, CreateDate: isoSeconds(0) } };
      throw new QueryErrors.ValidationError('Must specify userName when calling with non-User credentials');
    },
    // DeleteUser
    DeleteUser: (p) => {
      const user = ctx.requireUser(p.required('UserName', RULES.existingUserName));
      const owner = { kind: 'user', name: user.name } as const;
      if (store.accessKeys(user.name).length > 0) throw new QueryErrors.DeleteConflict('Cannot delete entity, must delete access keys first.');
      if (store.inlinePolicies(owner).length > 0) throw new QueryErrors.DeleteConflict('Cannot delete entity, must delete policies first.');
      if (store.attachedPolicies(owner).length > 0) throw new QueryErrors.DeleteConflict('Cannot delete entity, must detach all policies first.');
      store.deleteUser(user.name);
      return undefined;
    },
    // ListUsers
    ListUsers: (p) => {
      const prefix = p.str('PathPrefix', RULES.pathPrefix) ?? '/';
      const users = store.users().filter((u) => u.path.startsWith(prefix));
      return paginate(users, (u) => u.name.toLowerCase(), p, 'Users', (u) => userXml(u, false));
    },
    // CreateAccessKey
    CreateAccessKey: (p, caller) => {
      const userName = keyOwner(ctx, p, caller);
      if (store.accessKeys(userName).length >= ACCESS_KEYS_PER_USER) throw new QueryErrors.LimitExceeded(`Cannot exceed quota for AccessKeysPerUser: ${ACCESS_KEYS_PER_USER}`);
      const key = { id: accessKeyId(ID_PREFIX.accessKey), userName, secret: secretAccessKey(), status: 'Active', created: ctx.now() } as const;
      store.putAccessKey(key);
      return { AccessKey: { UserName: userName, AccessKeyId: key.id, Status: key.status, SecretAccessKey: key.secret, CreateDate: isoSeconds(key.created) } };
    },
    // DeleteAccessKey
    DeleteAccessKey: (p, caller) => {
      const id = p.required('AccessKeyId', RULES.accessKeyId);
      const userName = keyOwner(ctx, p, caller);
      const key = store.accessKey(id);
      if (!key || key.userName.toLowerCase() !== userName.toLowerCase()) throw new QueryErrors.NoSuchEntity(`The Access Key with id ${id} cannot be found.`);
      store.deleteAccessKey(id);
      return undefined;
    },
    // ListAccessKeys
    ListAccessKeys: (p, caller) => {
      // Root's own keys are not IAM's to list (Nimbus keeps them in its configuration).
      if (p.raw.get('UserName') === undefined && caller.principal.type === 'Root') return { AccessKeyMetadata: xmlList([]), IsTruncated: false };
      const userName = keyOwner(ctx, p, caller);
      return paginate(store.accessKeys(userName), (k) => k.id, p, 'AccessKeyMetadata', (k) => ({ UserName: userName, AccessKeyId: k.id, Status: k.status, CreateDate: isoSeconds(k.created) }));
    },
    // UpdateAccessKey
    UpdateAccessKey: (p, caller) => {
      const id = p.required('AccessKeyId', RULES.accessKeyId);
      const status = p.required('Status', RULES.status);
      if (status === 'Expired') throw new QueryErrors.InvalidInput('Status Expired cannot be set on an access key; use Active or Inactive.');
      const userName = keyOwner(ctx, p, caller);
      const key = store.accessKey(id);
      if (!key || key.userName.toLowerCase() !== userName.toLowerCase()) throw new QueryErrors.NoSuchEntity(`The Access Key with id ${id} cannot be found.`);
      store.setAccessKeyStatus(id, status as 'Active' | 'Inactive');
      return undefined;
    },
  };
}
