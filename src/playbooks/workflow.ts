// A playbook as a Logic App workflow definition (Workflow Definition Language): the incident trigger,
// the accounts of the incident, the guardrails, the Graph calls, and a comment that says what happened.
import { CONTAINMENT_STEPS, type Playbook, type Step } from './model.js';
import { DEFAULT_USER_SUBJECT, defaultUserMessage, userMessageHtml } from './text.js';

export const WDL_SCHEMA = 'https://schema.management.azure.com/providers/Microsoft.Logic/schemas/2016-06-01/workflowdefinition.json#';
export const INCIDENTS_API = '2025-12-01';
/** Label put on an incident for each account contained from it: the blast-radius counter and the idempotency mark. */
export const CONTAINED_LABEL = 'sg-contained:';
export const SENTINEL_KEY = 'azuresentinel';
export const OFFICE365_KEY = 'office365';

/** Graph method segments for the authentication-method types a user can register (password has none). */
export const AUTH_METHOD_PATHS: Record<string, string> = {
  '#microsoft.graph.phoneAuthenticationMethod': 'phoneMethods',
  '#microsoft.graph.microsoftAuthenticatorAuthenticationMethod': 'microsoftAuthenticatorMethods',
  '#microsoft.graph.fido2AuthenticationMethod': 'fido2Methods',
  '#microsoft.graph.softwareOathAuthenticationMethod': 'softwareOathMethods',
  '#microsoft.graph.emailAuthenticationMethod': 'emailMethods',
  '#microsoft.graph.windowsHelloForBusinessAuthenticationMethod': 'windowsHelloForBusinessMethods',
  '#microsoft.graph.temporaryAccessPassAuthenticationMethod': 'temporaryAccessPassMethods',
};

export interface WorkflowInputs {
  playbook: Playbook;
  /** Excluded object ids (watchlist rows and the playbook's own), lower case. */
  excludedObjectIds: string[];
  graphEndpoint: string;
  armEndpoint: string;
}

type Json = Record<string, unknown>;
type RunAfter = Record<string, string[]>;

const ANY_END = ['Succeeded', 'Failed', 'TimedOut'];
const ALL = ['Succeeded', 'Failed', 'TimedOut', 'Skipped'];

/** A WDL string literal inside an expression. */
function q(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

const ACCOUNT = "items('For_each_account')";
const KEY = "outputs('Account_key')";
/** How the report names an account: UPN and object id, as far as the entity has them. */
const LABEL = "outputs('Account_label')";
/** The account's object id and mail, set from the Graph lookup (variables: they are read in other branches). */
const USER_ID = "variables('userId')";
const USER_MAIL = "variables('userMail')";
const INCIDENT_ID = "triggerBody()?['object']?['id']";

function msi(audience: string): Json {
  return { type: 'ManagedServiceIdentity', audience };
}

function sentinel(method: string, path: string, body: unknown): Json {
  return { host: { connection: { name: `@parameters('$connections')['${SENTINEL_KEY}']['connectionId']` } }, method, path, body };
}

function http(method: string, uri: string, audience: string, body?: unknown): Json {
  return {
    method,
    uri,
    ...(body !== undefined ? { headers: { 'Content-Type': 'application/json' }, body } : {}),
    authentication: msi(audience),
    // A few quick retries for 429/5xx; anything still failing is reported in the comment.
    retryPolicy: { type: 'fixed', count: 2, interval: 'PT10S' },
  };
}

function action(type: string, inputs: unknown, runAfter: RunAfter, extra: Json = {}): Json {
  return { type, ...(inputs !== undefined ? { inputs } : {}), runAfter, ...extra };
}

function append(value: string, runAfter: RunAfter): Json {
  return action('AppendToArrayVariable', { name: 'report', value }, runAfter);
}

function ifAction(expression: string, then: Json, otherwise: Json, runAfter: RunAfter): Json {
  return { type: 'If', expression, actions: then, else: { actions: otherwise }, runAfter };
}

/** "done" for a 2xx answer, else what failed (HTTP status and Graph error code), for the report. */
function status(name: string): string {
  const code = `outputs('${name}')?['statusCode']`;
  return `@{if(${ok(name)}, 'done', concat('FAILED (HTTP ', string(coalesce(${code}, 'no answer')), ' ', coalesce(body('${name}')?['error']?['code'], ''), ')'))}`;
}

function ok(name: string): string {
  const code = `outputs('${name}')?['statusCode']`;
  return `and(greaterOrEquals(coalesce(${code}, 0), 200), less(coalesce(${code}, 0), 300))`;
}

const STEP_TEXT: Record<Step, string> = {
  revokeSessions: 'revoke sessions',
  disableAccount: 'disable account',
  confirmCompromised: 'confirm compromised',
  requirePasswordChange: 'require password change',
  removeAuthMethodsSince: 'remove recently added sign-in methods',
  comment: 'comment',
  setSeverity: 'set severity',
  tag: 'tag',
  notifyTeams: 'notify Teams',
  notifyEmail: 'notify by e-mail',
  notifyUser: 'tell the user',
};

/** The containment actions for one account, chained so one failure does not stop the others. */
function containment(pb: Playbook, audience: string): { actions: Json; last: string; checked: string[] } {
  const actions: Json = {};
  let prev: string | null = null;
  const checked: string[] = [];
  const parts: string[] = [];
  const user = `@{parameters('graphEndpoint')}/v1.0/users/@{encodeURIComponent(${USER_ID})}`;
  const chain = (): RunAfter => (prev ? { [prev]: ANY_END } : {});
  const add = (name: string, step: Step, inputs: Json) => {
    actions[name] = action('Http', inputs, chain());
    prev = name;
    checked.push(name);
    parts.push(`${STEP_TEXT[step]} ${status(name)}`);
  };
  for (const step of pb.steps) {
    if (step === 'disableAccount') add('Disable_account', step, http('PATCH', user, audience, { accountEnabled: false }));
    if (step === 'revokeSessions') add('Revoke_sessions', step, http('POST', `${user}/revokeSignInSessions`, audience));
    if (step === 'confirmCompromised') {
      add('Confirm_compromised', step, http('POST', `@{parameters('graphEndpoint')}/v1.0/identityProtection/riskyUsers/confirmCompromised`, audience, { userIds: [`@{${USER_ID}}`] }));
    }
    if (step === 'requirePasswordChange') {
      add('Require_password_change', step, http('PATCH', user, audience, { passwordProfile: { forceChangePasswordNextSignIn: true } }));
    }
    if (step === 'removeAuthMethodsSince') {
      add('List_auth_methods', step, { ...http('GET', `${user}/authentication/methods`, audience) });
      const method = "items('For_each_auth_method')";
      const since = `addMinutes(triggerBody()?['object']?['properties']?['createdTimeUtc'], sub(0, parameters('removeAuthMethodsSinceMinutes')))`;
      const segment = `parameters('authMethodPaths')?[${method}?['@odata.type']]`;
      actions.For_each_auth_method = {
        type: 'Foreach',
        foreach: "@coalesce(body('List_auth_methods')?['value'], createArray())",
        runtimeConfiguration: { concurrency: { repetitions: 1 } },
        actions: {
          If_added_in_window: ifAction(
            `@and(not(empty(${segment})), not(empty(${method}?['createdDateTime'])), greaterOrEquals(ticks(coalesce(${method}?['createdDateTime'], '1601-01-01T00:00:00Z')), ticks(${since})))`,
            {
              Delete_auth_method: action('Http', http('DELETE', `${user}/authentication/@{${segment}}/@{encodeURIComponent(${method}?['id'])}`, audience), {}),
              Report_auth_method: append(
                `@{${LABEL}}: remove @{${segment}} method @{${method}?['id']} registered @{${method}?['createdDateTime']} ${status('Delete_auth_method')}`,
                { Delete_auth_method: ANY_END },
              ),
            },
            {},
            {},
          ),
        },
        runAfter: { List_auth_methods: ['Succeeded'] },
      };
      prev = 'For_each_auth_method';
    }
  }
  const summary = `@{${LABEL}}: ${parts.join('; ')}`;
  actions.Report_contained = append(summary, { [prev!]: ALL });
  actions.Count_contained = action('IncrementVariable', { name: 'containedNow', value: 1 }, { Report_contained: ['Succeeded'] });
  let last = 'Count_contained';
  // Only a fully successful containment marks the incident; a partial one is retried by the next run.
  actions.If_all_done = ifAction(
    `@and(true, ${checked.map(ok).join(', ')})`,
    {
      Mark_contained: action('ApiConnection', sentinel('put', '/Incidents', { incidentArmId: `@${INCIDENT_ID}`, tagsToAdd: { TagsToAdd: [{ Tag: `${CONTAINED_LABEL}@{${USER_ID}}` }] } }), {}),
    },
    {},
    { Count_contained: ['Succeeded'] },
  );
  last = 'If_all_done';
  if (pb.steps.includes('notifyUser')) {
    actions.If_sender_configured = ifAction(
      `@not(empty(parameters('notifySender')))`,
      {
        Notify_user: action(
          'Http',
          http('POST', `@{parameters('graphEndpoint')}/v1.0/users/@{encodeURIComponent(parameters('notifySender'))}/sendMail`, audience, {
            message: {
              subject: "@parameters('userSubject')",
              body: { contentType: 'HTML', content: "@parameters('userMessage')" },
              toRecipients: [{ emailAddress: { address: `@{${USER_MAIL}}` } }],
            },
            saveToSentItems: false,
          }),
          {},
        ),
        Report_user_notified: append(`@{${LABEL}}: tell the user ${status('Notify_user')}`, { Notify_user: ANY_END }),
      },
      { Report_no_sender: append(`@{${LABEL}}: user not told: no sender mailbox (the notifySender parameter is empty)`, {}) },
      { [last]: ALL },
    );
    last = 'If_sender_configured';
  }
  return { actions, last, checked };
}

/** The per-account decision: excluded, unknown, already contained, dry run, over the limit, or contain. */
function perAccount(pb: Playbook, audience: string): Json {
  const contains = CONTAINMENT_STEPS.some((s) => pb.steps.includes(s));
  const key = {
    Account_key: action('Compose', `@toLower(coalesce(${ACCOUNT}?['AadUserId'], concat(${ACCOUNT}?['Name'], '@', ${ACCOUNT}?['UPNSuffix'])))`, {}),
    Account_label: action(
      'Compose',
      `@concat(coalesce(${ACCOUNT}?['Name'], ''), if(empty(coalesce(${ACCOUNT}?['UPNSuffix'], '')), '', concat('@', ${ACCOUNT}?['UPNSuffix'])), if(empty(coalesce(${ACCOUNT}?['AadUserId'], '')), '', concat(' (', ${ACCOUNT}?['AadUserId'], ')')))`,
      { Account_key: ['Succeeded'] },
    ),
  };
  const excludedByEntity = `@contains(parameters('excludedObjectIds'), toLower(coalesce(${ACCOUNT}?['AadUserId'], '')))`;
  const excludedText = `@{${LABEL}}: excluded account (break-glass or service account): left untouched`;
  if (!contains) {
    return {
      ...key,
      If_excluded: ifAction(
        excludedByEntity,
        { Report_excluded: append(excludedText, {}) },
        { Report_notify_only: append(`@{${LABEL}}: nothing changed (this playbook only notifies)`, {}) },
        { Account_label: ['Succeeded'] },
      ),
    };
  }
  const would = pb.steps.filter((s) => CONTAINMENT_STEPS.includes(s)).map((s) => STEP_TEXT[s]);
  const c = containment(pb, audience);
  // The decision is a variable, set in two steps, so that the branches stay shallow (Logic Apps
  // limits nesting) and no expression reads an action that may not have run.
  const uid = "toLower(coalesce(body('Get_user')?['id'], ''))";
  const found = "equals(outputs('Get_user')?['statusCode'], 200)";
  const already = `contains(string(coalesce(body('Get_incident')?['properties']?['labels'], createArray())), concat('${CONTAINED_LABEL}', ${uid}))`;
  const over = "greaterOrEquals(add(variables('containedBefore'), variables('containedNow')), parameters('maxAccountsPerHour'))";
  const decided = `@if(not(${found}), 'lookupFailed', if(contains(parameters('excludedObjectIds'), ${uid}), 'excluded', if(${already}, 'already', if(parameters('dryRun'), 'dryRun', if(${over}, 'overLimit', 'contain')))))`;
  const is = (d: string) => `equals(variables('decision'), '${d}')`;
  const message =
    `@{if(${is('excluded')}, ${q('excluded account (break-glass or service account): left untouched')}, ` +
    `if(${is('lookupFailed')}, concat('not contained: user lookup FAILED (', variables('lookupError'), ')'), ` +
    `if(${is('already')}, 'already contained by an earlier run for this incident; nothing done again', ` +
    `if(${is('dryRun')}, ${q('dry run: would ' + would.join(', '))}, ` +
    `concat('NOT contained: blast-radius limit reached (', string(add(variables('containedBefore'), variables('containedNow'))), ' accounts contained in the last hour, at most ', string(parameters('maxAccountsPerHour')), '); a person must decide')))))}`;
  return {
    ...key,
    Decide_by_entity: action('SetVariable', { name: 'decision', value: `@if(${excludedByEntity.slice(1)}, 'excluded', 'lookup')` }, { Account_label: ['Succeeded'] }),
    If_lookup: ifAction(
      `@${is('lookup')}`,
      {
        Get_user: action('Http', http('GET', `@{parameters('graphEndpoint')}/v1.0/users/@{encodeURIComponent(${KEY})}?$select=id,userPrincipalName,mail,accountEnabled`, audience), {}),
        Set_user_id: action('SetVariable', { name: 'userId', value: `@${uid}` }, { Get_user: ANY_END }),
        Set_user_mail: action('SetVariable', { name: 'userMail', value: "@{coalesce(body('Get_user')?['mail'], body('Get_user')?['userPrincipalName'], '')}" }, { Set_user_id: ['Succeeded'] }),
        Set_lookup_error: action(
          'SetVariable',
          { name: 'lookupError', value: "HTTP @{coalesce(outputs('Get_user')?['statusCode'], 'no answer')} @{coalesce(body('Get_user')?['error']?['code'], '')}" },
          { Set_user_mail: ['Succeeded'] },
        ),
        Decide_after_lookup: action('SetVariable', { name: 'decision', value: decided }, { Set_lookup_error: ['Succeeded'] }),
      },
      {},
      { Decide_by_entity: ['Succeeded'] },
    ),
    If_not_contain: ifAction(`@not(${is('contain')})`, { Report_decision: append(`@{${LABEL}}: ${message}`, {}) }, {}, { If_lookup: ['Succeeded'] }),
    If_contain: ifAction(`@${is('contain')}`, c.actions, {}, { If_not_contain: ['Succeeded'] }),
  };
}

export interface WorkflowDefinition {
  $schema: string;
  contentVersion: string;
  parameters: Record<string, { type: string; defaultValue?: unknown }>;
  triggers: Json;
  actions: Json;
  outputs: Json;
}

export function workflowDefinition(input: WorkflowInputs): WorkflowDefinition {
  const { playbook: pb } = input;
  const graphAudience = input.graphEndpoint;
  const armAudience = input.armEndpoint;
  const contains = CONTAINMENT_STEPS.some((s) => pb.steps.includes(s));
  const parameters: WorkflowDefinition['parameters'] = {
    $connections: { type: 'Object', defaultValue: {} },
    graphEndpoint: { type: 'String', defaultValue: input.graphEndpoint },
    armEndpoint: { type: 'String', defaultValue: input.armEndpoint },
    excludedObjectIds: { type: 'Array', defaultValue: input.excludedObjectIds },
    maxAccountsPerHour: { type: 'Int', defaultValue: pb.maxAccountsPerHour },
    dryRun: { type: 'Bool', defaultValue: pb.dryRun },
  };
  if (pb.steps.includes('removeAuthMethodsSince')) {
    parameters.removeAuthMethodsSinceMinutes = { type: 'Int', defaultValue: Math.round(pb.settings.removeAuthMethodsSinceMs / 60_000) };
    parameters.authMethodPaths = { type: 'Object', defaultValue: AUTH_METHOD_PATHS };
  }
  if (pb.steps.includes('notifyTeams')) parameters.teamsWebhookUrl = { type: 'SecureString', defaultValue: '' };
  if (pb.steps.includes('notifyEmail')) parameters.socEmailTo = { type: 'String', defaultValue: pb.settings.emailTo.join(';') };
  if (pb.steps.includes('notifyUser')) {
    parameters.notifySender = { type: 'String', defaultValue: pb.settings.mailSender };
    // The author's text travels as parameter values, which are never read as expressions.
    parameters.userSubject = { type: 'String', defaultValue: pb.settings.userSubject || DEFAULT_USER_SUBJECT };
    parameters.userMessage = { type: 'String', defaultValue: pb.settings.userMessage ? userMessageHtml(pb.settings.userMessage) : defaultUserMessage(pb.steps.includes('disableAccount')) };
  }
  if (pb.steps.includes('tag')) {
    parameters.tagNames = { type: 'Array', defaultValue: pb.settings.tags };
    parameters.incidentTags = { type: 'Array', defaultValue: pb.settings.tags.map((t) => ({ Tag: t })) };
  }

  const triggers = {
    Microsoft_Sentinel_incident: {
      type: 'ApiConnectionWebhook',
      inputs: {
        body: { callback_url: '@{listCallbackUrl()}' },
        host: { connection: { name: `@parameters('$connections')['${SENTINEL_KEY}']['connectionId']` } },
        path: '/incident-creation',
      },
      // One run at a time: the blast-radius count is read, then raised, without a race between runs.
      runtimeConfiguration: { concurrency: { runs: 1 } },
    },
  };

  const actions: Json = {
    'Entities_-_Get_Accounts': action('ApiConnection', sentinel('post', '/entities/account', `@triggerBody()?['object']?['properties']?['relatedEntities']`), {}),
    Initialize_report: action('InitializeVariable', { variables: [{ name: 'report', type: 'array', value: [] }] }, {}),
    Initialize_contained_now: action('InitializeVariable', { variables: [{ name: 'containedNow', type: 'integer', value: 0 }] }, { Initialize_report: ['Succeeded'] }),
    Initialize_contained_before: action('InitializeVariable', { variables: [{ name: 'containedBefore', type: 'integer', value: 0 }] }, { Initialize_contained_now: ['Succeeded'] }),
    // One variable per action: InitializeVariable takes a single variable.
    Initialize_decision: action('InitializeVariable', { variables: [{ name: 'decision', type: 'string', value: '' }] }, { Initialize_contained_before: ['Succeeded'] }),
    Initialize_user_id: action('InitializeVariable', { variables: [{ name: 'userId', type: 'string', value: '' }] }, { Initialize_decision: ['Succeeded'] }),
    Initialize_user_mail: action('InitializeVariable', { variables: [{ name: 'userMail', type: 'string', value: '' }] }, { Initialize_user_id: ['Succeeded'] }),
    Initialize_account: action('InitializeVariable', { variables: [{ name: 'lookupError', type: 'string', value: '' }] }, { Initialize_user_mail: ['Succeeded'] }),
  };
  let before: RunAfter = { 'Entities_-_Get_Accounts': ['Succeeded'], Initialize_account: ['Succeeded'] };
  if (contains) {
    const workspace = `first(split(${INCIDENT_ID}, '/providers/Microsoft.SecurityInsights/'))`;
    actions.Get_incident = action('Http', http('GET', `@{parameters('armEndpoint')}@{${INCIDENT_ID}}?api-version=${INCIDENTS_API}`, armAudience), {});
    actions.List_recent_incidents = action(
      'Http',
      http(
        'GET',
        `@{parameters('armEndpoint')}@{${workspace}}/providers/Microsoft.SecurityInsights/incidents?api-version=${INCIDENTS_API}&$filter=@{encodeURIComponent(concat('properties/lastModifiedTimeUtc ge ', addHours(utcNow(), -1)))}`,
        armAudience,
      ),
      {},
    );
    // Accounts contained in the last hour: one sg-contained:<id> label per account on incidents
    // changed in that hour (an over-count when an old incident changed, which errs on the safe side).
    actions.Count_contained_before = {
      type: 'Foreach',
      foreach: "@coalesce(body('List_recent_incidents')?['value'], createArray())",
      runtimeConfiguration: { concurrency: { repetitions: 1 } },
      actions: {
        For_each_label: {
          type: 'Foreach',
          foreach: "@coalesce(items('Count_contained_before')?['properties']?['labels'], createArray())",
          runtimeConfiguration: { concurrency: { repetitions: 1 } },
          actions: {
            If_contained_label: ifAction(
              `@startsWith(coalesce(items('For_each_label')?['labelName'], ''), '${CONTAINED_LABEL}')`,
              { Count_label: action('IncrementVariable', { name: 'containedBefore', value: 1 }, {}) },
              {},
              {},
            ),
          },
          runAfter: {},
        },
      },
      runAfter: { List_recent_incidents: ['Succeeded'], Initialize_contained_before: ['Succeeded'] },
    };
    // When the count cannot be read (or is only partly listed), assume the limit is reached.
    actions.If_count_complete = ifAction(
      `@and(equals(outputs('List_recent_incidents')?['statusCode'], 200), empty(body('List_recent_incidents')?['nextLink']))`,
      {},
      {
        Assume_limit_reached: action('SetVariable', { name: 'containedBefore', value: "@parameters('maxAccountsPerHour')" }, {}),
        Report_count_unknown: append(
          `blast-radius count unavailable (listing recent incidents answered HTTP @{coalesce(outputs('List_recent_incidents')?['statusCode'], 'nothing')}, or had more pages): no account is contained by this run`,
          { Assume_limit_reached: ['Succeeded'] },
        ),
      },
      { Count_contained_before: ALL, List_recent_incidents: ANY_END, Initialize_account: ['Succeeded'] },
    );
    before = { 'Entities_-_Get_Accounts': ['Succeeded'], If_count_complete: ['Succeeded'], Get_incident: ANY_END };
  }
  actions.For_each_account = {
    type: 'Foreach',
    foreach: "@coalesce(body('Entities_-_Get_Accounts')?['Accounts'], createArray())",
    // Sequential: the blast-radius counter and the report are shared by every account.
    runtimeConfiguration: { concurrency: { repetitions: 1 } },
    actions: perAccount(pb, graphAudience),
    runAfter: before,
  };
  let last = 'For_each_account';
  const incidentUpdate: Json = {};
  if (pb.steps.includes('setSeverity')) incidentUpdate.severity = pb.settings.severity;
  if (pb.steps.includes('tag')) incidentUpdate.tagsToAdd = { TagsToAdd: "@parameters('incidentTags')" };
  if (Object.keys(incidentUpdate).length) {
    actions.If_not_dry_run_update = ifAction(
      `@not(parameters('dryRun'))`,
      {
        Update_incident: action('ApiConnection', sentinel('put', '/Incidents', { incidentArmId: `@${INCIDENT_ID}`, ...incidentUpdate }), {}),
        Report_incident_updated: append(
          `incident: ${[incidentUpdate.severity ? `severity ${String(incidentUpdate.severity)}` : '', incidentUpdate.tagsToAdd ? "tags @{join(parameters('tagNames'), ', ')}" : ''].filter(Boolean).join(', ')}: @{if(equals(outputs('Update_incident')?['statusCode'], 200), 'done', concat('FAILED (HTTP ', string(coalesce(outputs('Update_incident')?['statusCode'], 'no answer')), ')'))}`,
          { Update_incident: ANY_END },
        ),
      },
      {},
      { [last]: ALL },
    );
    last = 'If_not_dry_run_update';
  }
  const mode = `@{if(parameters('dryRun'), ' in DRY-RUN mode: nothing was changed', '')}`;
  const text =
    `<p>sessionguard playbook <b>${pb.name}</b> ran at @{utcNow()}${mode}.</p>` +
    `<ul><li>@{if(empty(variables('report')), 'the incident names no account', join(variables('report'), '</li><li>'))}</li></ul>`;
  // The comment is always written (the comment step or not): it is the record of what was done, to whom, when.
  actions.Add_comment = action('ApiConnection', sentinel('post', '/Incidents/Comment', { incidentArmId: `@${INCIDENT_ID}`, message: text }), { [last]: ALL });
  last = 'Add_comment';
  const notify: Json = {};
  if (pb.steps.includes('notifyTeams')) {
    notify.If_teams_configured = ifAction(
      `@not(empty(parameters('teamsWebhookUrl')))`,
      {
        Notify_Teams: action(
          'Http',
          {
            method: 'POST',
            uri: "@parameters('teamsWebhookUrl')",
            headers: { 'Content-Type': 'application/json' },
            body: { text: `sessionguard ${pb.name} on incident @{triggerBody()?['object']?['properties']?['incidentNumber']} (@{triggerBody()?['object']?['properties']?['title']}): @{join(variables('report'), '; ')}` },
            retryPolicy: { type: 'fixed', count: 2, interval: 'PT10S' },
          },
          {},
        ),
      },
      {},
      {},
    );
  }
  if (pb.steps.includes('notifyEmail')) {
    notify.If_email_configured = ifAction(
      `@not(empty(parameters('socEmailTo')))`,
      {
        'Send_an_email_(V2)': action(
          'ApiConnection',
          {
            host: { connection: { name: `@parameters('$connections')['${OFFICE365_KEY}']['connectionId']` } },
            method: 'post',
            path: '/v2/Mail',
            body: { To: "@parameters('socEmailTo')", Subject: `sessionguard ${pb.name}: incident @{triggerBody()?['object']?['properties']?['incidentNumber']}`, Body: text, Importance: 'High' },
          },
          {},
        ),
      },
      {},
      {},
    );
  }
  if (Object.keys(notify).length) {
    actions.If_not_dry_run_notify = ifAction(`@not(parameters('dryRun'))`, notify, {}, { [last]: ALL });
  }
  return { $schema: WDL_SCHEMA, contentVersion: '1.0.0.0', parameters, triggers, actions, outputs: {} };
}
