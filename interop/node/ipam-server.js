#!/usr/bin/env node
// An MS-IPAMM2 management server built on node-soap (the `soap` package), for interop tests of
// specgate's SOAP 1.2 + WS-Addressing binding (docs/ipam-soap-binding.md, "specgate-ipam-http/1").
//
//   node ipam-server.js PORT [--broken complete-before-start] [--exit-on-stdin-eof]
//
// PORT 0 picks a free port. --broken complete-before-start sends every session's Complete before
// its Start and Checkpoints (a deliberately non-conformant server). --exit-on-stdin-eof makes the
// process exit when its stdin is closed (so a test harness that dies takes the server with it). When ready it prints exactly one line on stdout:
//
//   listening on 127.0.0.1:PORT
//
// and logs everything else on stderr. Endpoints (all on 127.0.0.1:PORT):
//
//   /ipam/IIpamServer, /ipam/IIpamAsyncProvision, /ipam/IIpamAsyncSchemaConversion
//        the per-port-type layout (§2); this is what node-soap serves natively (it picks the
//        WSDL port by request path, then the operation by body element)
//   /ipam the single-URL layout (§2): routed to one of the above by the port type named in
//        the Content-Type action parameter (or, failing that, by the body element)
//   /control/adm (GET, POST), /control/reset (POST): the optional control endpoint (§8)
//
// Semantics are those of the DOCUMENTED profile: the pre-operation gate (MS-IPAMM2 §3.1.4.2),
// StartAsyncProvisioning (§3.11.4.7) and StartAsyncSchemaConversion (§3.15.4.7), with every
// rejection of a one-way Start delivered as 202 + Notify*Complete(exception) (erratum E3),
// in-progress flags cleared on every rejection after they were set (E5) and set during
// provisioning (E4), the Start notification sent before steps 1-3 (E6) and callbacks using
// the server-port-type Action prefix (E16).
//
// What node-soap does natively and what this file adds by hand is listed in README.md.
'use strict';

const fs = require('fs');
const http = require('http');
const path = require('path');
const soap = require('soap');

// ---------------------------------------------------------------------------------------------
// Constants

const NS = {
  soap12: 'http://www.w3.org/2003/05/soap-envelope',
  wsa: 'http://www.w3.org/2005/08/addressing',
  ipam: 'http://Microsoft.Windows.Ipam',
  ipam1: 'http://schemas.datacontract.org/2004/07/Microsoft.Windows.Ipam',
  xsi: 'http://www.w3.org/2001/XMLSchema-instance',
  ser: 'http://schemas.microsoft.com/2003/10/Serialization/',
};
const WSA_ANONYMOUS = NS.wsa + '/anonymous';
const WSA_FAULT_ACTION = NS.wsa + '/soap/fault';
const ACTION_BASE = 'http://Microsoft.Windows.Ipam/';
const EK = 'soap'; // node-soap's envelope prefix (its default), used in hand-written attributes
const SOAP12_CT = 'application/soap+xml; charset=utf-8';
const BASE_PATH = '/ipam';
const MAX_BODY = 1 << 20; // §11
const CALLBACK_TIMEOUT_MS = 30000;

const SERVER_WSDL = path.join(__dirname, 'ipam.wsdl');
const CALLBACK_WSDL = path.join(__dirname, 'ipam-callback.wsdl');

// Operation -> port type, for the request/response operations and the one-way Starts.
const OP_PORT = {
  IsIpamConfigured: 'IIpamServer',
  IsSchemaConversionInProgress: 'IIpamServer',
  IsSchemaConversionRequired: 'IIpamServer',
  InitializeAsyncProvisioning: 'IIpamAsyncProvision',
  StartAsyncProvisioning: 'IIpamAsyncProvision',
  InitializeAsyncSchemaConversion: 'IIpamAsyncSchemaConversion',
  StartAsyncSchemaConversion: 'IIpamAsyncSchemaConversion',
};
const PORTS = ['IIpamServer', 'IIpamAsyncProvision', 'IIpamAsyncSchemaConversion'];
const ONE_WAY = new Set(['StartAsyncProvisioning', 'StartAsyncSchemaConversion']);
const KEEPALIVE_ACTION = 'Microsoft.WindowsServerSolutions.Common.ProviderFramework.Keepalive'; // §2.2.2.2

// Header blocks this server understands (§4). node-soap hands headers over keyed by local
// name with the namespace dropped, so this is a local-name check.
const UNDERSTOOD_HEADERS = new Set(['Action', 'To', 'MessageID', 'ReplyTo', 'FaultTo', 'RelatesTo']);

// Callback families (docs §6.3; server-port-type Action prefix).
const FAMILY = {
  schema: { port: 'IIpamAsyncSchemaConversion', notify: 'NotifyAsyncSchemaConversion' },
  provision: { port: 'IIpamAsyncProvision', notify: 'NotifyAsyncProvision' },
};

// Initial ADM values (§3.1.3 "the build's initial values"): a configured server whose data store
// needs a schema conversion, as in models/ipam ResetWorld.
const INITIAL_ADM = Object.freeze({
  schemaConversionRequired: true,
  ipamConfigured: true,
  nextConversionFails: false,
  nextProvisioningFails: false,
  checkpoints: 2,
  hold: false,
  schemaConversionInProgress: false,
  provisioningInProgress: false,
});
const WRITABLE_BOOL = ['schemaConversionRequired', 'ipamConfigured', 'nextConversionFails', 'nextProvisioningFails', 'hold'];
const READ_ONLY = ['schemaConversionInProgress', 'provisioningInProgress'];

// ---------------------------------------------------------------------------------------------
// Command line

function usage(msg) {
  process.stderr.write(`ipam-server: ${msg}\nusage: node ipam-server.js PORT [--broken complete-before-start] [--exit-on-stdin-eof]\n`);
  process.exit(2);
}

const opts = { port: null, broken: null, exitOnStdinEOF: false };
{
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--broken') {
      opts.broken = argv[++i];
      if (opts.broken !== 'complete-before-start') usage(`unknown --broken mode ${JSON.stringify(opts.broken)}`);
    } else if (a.startsWith('--broken=')) {
      opts.broken = a.slice('--broken='.length);
      if (opts.broken !== 'complete-before-start') usage(`unknown --broken mode ${JSON.stringify(opts.broken)}`);
    } else if (a === '--exit-on-stdin-eof') {
      opts.exitOnStdinEOF = true;
    } else if (/^\d+$/.test(a) && opts.port === null) {
      opts.port = Number(a);
    } else {
      usage(`unexpected argument ${JSON.stringify(a)}`);
    }
  }
  if (opts.port === null || opts.port > 65535) usage('missing or invalid PORT');
}

function log(...parts) {
  process.stderr.write(`[ipam-server] ${parts.join(' ')}\n`);
}

// ---------------------------------------------------------------------------------------------
// ADM (§3.1.1.3) and sessions (§6.1: a session is its wsa:ReplyTo address)

let adm = { ...INITIAL_ADM };
let sessions = new Map(); // ReplyTo address -> session, until its Complete is queued
let live = new Set(); // sessions whose callbacks are not all sent yet (what a reset drops)
let held = []; // sessions waiting for hold=false, in acceptance order

function newSession(addr, family) {
  return { addr, family, state: 'initialized', dropped: false, chain: Promise.resolve(), pending: 0, client: null, deferred: null, release: null };
}

function sessionFor(addr, family) {
  let s = sessions.get(addr);
  if (!s) {
    s = newSession(addr, family);
    sessions.set(addr, s);
    live.add(s);
  }
  return s;
}

function resetAll() {
  for (const s of live) s.dropped = true;
  sessions = new Map();
  live = new Set();
  held = [];
  adm = { ...INITIAL_ADM };
}

// ---------------------------------------------------------------------------------------------
// Header helpers (node-soap gives headers parsed, keyed by local name)

function text(v) {
  if (v === undefined || v === null) return '';
  if (typeof v === 'object') {
    if (Array.isArray(v)) return text(v[0]);
    if ('$value' in v) return String(v.$value);
    return '';
  }
  return String(v);
}

function replyToOf(headers) {
  if (!headers || !headers.ReplyTo) return '';
  const rt = Array.isArray(headers.ReplyTo) ? headers.ReplyTo[0] : headers.ReplyTo;
  return text(rt && rt.Address).trim();
}

function mustUnderstandSet(block) {
  const attrs = block && typeof block === 'object' && block.attributes;
  if (!attrs) return false;
  return Object.keys(attrs).some((k) => /(^|:)mustUnderstand$/.test(k) && (attrs[k] === '1' || attrs[k] === 'true' || attrs[k] === true || attrs[k] === 1));
}

// ---------------------------------------------------------------------------------------------
// IpamException (§2.2.4.247, docs §7.2), as node-soap objects

// For a fault Detail: node-soap serialises the Fault without a schema and prefixes every element
// with its envelope prefix unless the key starts with ':' (no prefix) or carries its own prefix.
function faultExceptionContent(exc, id = 1) {
  const out = {
    ':IpamExceptionData': {
      attributes: { xmlns: '', 'ser:Id': `i${id}`, 'i:type': 'ipam:IpamExceptionData' },
      'ipam:ExceptionId': exc.id,
      'ipam:ExceptionMessage': exc.message,
    },
  };
  if (exc.inner) {
    out[':InnerIpamException'] = { attributes: { xmlns: '', 'i:type': 'ipam1:IpamException' }, ...faultExceptionContent(exc.inner, id + 1) };
  }
  return out;
}

// For Notify*Complete/exception: the callback client serialises with ipam-callback.wsdl's schema,
// which marks IpamExceptionData and InnerIpamException form="unqualified"; xmlns="" is added because
// node-soap also declares the ipam namespace as the default namespace on the body element.
function callbackExceptionContent(exc, id = 1) {
  const out = {
    IpamExceptionData: {
      attributes: { xmlns: '', 'xmlns:ser': NS.ser, 'ser:Id': `i${id}`, 'xsi:type': 'ipam:IpamExceptionData' },
      ExceptionId: exc.id,
      ExceptionMessage: exc.message,
    },
  };
  if (exc.inner) {
    out.InnerIpamException = { attributes: { xmlns: '', 'xsi:type': 'ipam1:IpamException' }, ...callbackExceptionContent(exc.inner, id + 1) };
  }
  return out;
}

function ipamFault(exc, { code = 'Sender', statusCode = 400 } = {}) {
  return {
    Fault: {
      Code: { Value: `${EK}:${code}` },
      Reason: { Text: { attributes: { 'xml:lang': 'en-US' }, $value: exc.message } },
      Detail: {
        ':IpamException': {
          attributes: { xmlns: NS.ipam1, 'xmlns:i': NS.xsi, 'xmlns:ipam': NS.ipam, 'xmlns:ipam1': NS.ipam1, 'xmlns:ser': NS.ser },
          ...faultExceptionContent(exc),
        },
      },
      statusCode,
    },
  };
}

function plainFault(code, reason, statusCode = 400) {
  return { Fault: { Code: { Value: `${EK}:${code}` }, Reason: { Text: { attributes: { 'xml:lang': 'en-US' }, $value: reason } }, statusCode } };
}

const EXC = {
  notConfigured: { id: 'IpamApiCallsAreNotAllowedUntilProvisioningIsDone', message: 'IPAM configuration has not been completed.' },
  conversionPending: { id: 'IpamApiCallsAreNotAllowedUntilSchemaConversionIsDone', message: 'The schema conversion has not been completed.' },
  conversionBusy: { id: 'IpamSchemaConversionAnotherOperationInProgress', message: 'Another schema conversion is in progress.' },
  conversionNotRequired: { id: 'IpamSchemaConversionNotRequired', message: 'Schema conversion is not required.' },
  conversionFailed: {
    id: 'IpamSchemaConversionFailed',
    message: 'The schema conversion failed.',
    inner: { id: 'IpamSchemaConversionCouldNotBeDoneForThisVersion', message: 'Injected failure (nextConversionFails).' },
  },
  provisioningBusy: { id: 'IpamApiProvisioningAlreadyInProgress', message: 'The provisioning of the IPAM server is already in progress.' },
  provisioningFailed: {
    id: 'IpamApiUnabletoProvisionIpam',
    message: 'Unable to provision IPAM.',
    inner: { id: 'IpamApiUnabletoProvisionIpam', message: 'Injected failure (nextProvisioningFails).' },
  },
};

// §3.1.4.2 steps 3 and 4: null when the operation may run, else the exception to fault with.
function gate(operation) {
  const port = OP_PORT[operation];
  if (!adm.ipamConfigured) {
    if (port === 'IIpamAsyncProvision' || operation === 'IsIpamConfigured') return null;
    return EXC.notConfigured;
  }
  if (adm.schemaConversionRequired) {
    if (port === 'IIpamAsyncSchemaConversion') return null;
    if (operation === 'IsSchemaConversionInProgress' || operation === 'IsSchemaConversionRequired' || operation === 'IsIpamConfigured') return null;
    return EXC.conversionPending;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Callbacks: a node-soap client per session, on ipam-callback.wsdl, one POST at a time (§6.2)

async function clientFor(s) {
  if (!s.client) {
    s.client = soap.createClientAsync(CALLBACK_WSDL, { forceSoap12Headers: true, endpoint: s.addr, envelopeKey: EK }).then((c) => {
      // a:Action: the binding's soapAction for the operation (server-port-type URI), mustUnderstand.
      c.addSoapHeader((method, location, soapAction) => ({ Action: { attributes: { [`${EK}:mustUnderstand`]: '1' }, $value: soapAction } }), 'Action', 'a', NS.wsa);
      // a:To: the callback URL, mustUnderstand (§4).
      c.addSoapHeader({ To: { attributes: { [`${EK}:mustUnderstand`]: '1' }, $value: s.addr } }, 'To', 'a', NS.wsa);
      c.on('response', (body, response) => {
        s.lastStatus = response && response.status;
      });
      return c;
    });
  }
  return s.client;
}

// enqueue appends one callback to the session's chain. before() runs right before the POST
// (used to update the ADM before Complete is sent); nothing runs for a dropped session.
function enqueue(s, kind, args, before) {
  const op = FAMILY[s.family].notify + kind;
  s.pending++;
  s.chain = s.chain.then(async () => {
    if (s.dropped) return;
    if (before) before();
    try {
      const c = await clientFor(s);
      if (s.dropped) return;
      s.lastStatus = undefined;
      await c[op + 'Async'](args, { timeout: CALLBACK_TIMEOUT_MS });
      log(`callback ${op} -> ${s.addr}: HTTP ${s.lastStatus}`);
    } catch (err) {
      log(`callback ${op} -> ${s.addr} failed: ${String((err && err.message) || err).split('\n')[0]}`);
    }
    s.pending--;
    if (s.state === 'completed' && s.pending === 0) live.delete(s);
  });
}

// send queues a callback; in --broken complete-before-start mode everything but Complete is held
// back until Complete has been queued.
function send(s, kind, args, before) {
  if (opts.broken === 'complete-before-start' && kind !== 'Complete') {
    s.deferred = s.deferred || [];
    s.deferred.push([kind, args, before]);
    return;
  }
  enqueue(s, kind, args, before);
  if (kind === 'Complete' && s.deferred) {
    for (const d of s.deferred) enqueue(s, ...d);
    s.deferred = null;
  }
}

function notifyStart(s) {
  send(s, 'Start', {});
}

function notifyCheckpoints(s, n) {
  for (let i = 0; i < n; i++) send(s, 'Checkpoint', { data: null });
}

// complete sends Notify*Complete; before() updates the ADM right before it goes out. The session
// ends (§6.1): it is forgotten, so the same address would start a new session.
function complete(s, exc, before) {
  s.state = 'completed';
  if (sessions.get(s.addr) === s) sessions.delete(s.addr);
  const args = { result: null, exception: exc ? callbackExceptionContent(exc) : null };
  send(s, 'Complete', args, before);
}

// Rejections are never held.
function reject(s, exc, before) {
  log(`session ${s.addr}: ${s.family} rejected: ${exc.id}`);
  complete(s, exc, before);
}

function finishOrHold(s, finish) {
  if (adm.hold) {
    s.state = 'held';
    s.release = finish;
    held.push(s);
    log(`session ${s.addr}: held`);
    return;
  }
  finish();
}

function releaseHeld() {
  const list = held;
  held = [];
  for (const s of list) {
    if (s.dropped) continue;
    log(`session ${s.addr}: released`);
    s.release();
  }
}

// §3.15.4.7, documented profile.
function startSchemaConversion(s) {
  const g = gate('StartAsyncSchemaConversion');
  if (g) return reject(s, g); // never executed: no Start notification
  notifyStart(s); // E6: before steps 1-3
  if (adm.schemaConversionInProgress) return reject(s, EXC.conversionBusy); // step 1
  adm.schemaConversionInProgress = true; // step 2
  if (!adm.schemaConversionRequired) {
    adm.schemaConversionInProgress = false; // E5, documented: the failure clears it
    return reject(s, EXC.conversionNotRequired); // step 3
  }
  const fails = adm.nextConversionFails; // step 4: accepted, the one-shot failure is consumed
  adm.nextConversionFails = false;
  s.state = 'in-progress';
  notifyCheckpoints(s, adm.checkpoints);
  finishOrHold(s, () => {
    if (fails) {
      complete(s, EXC.conversionFailed, () => {
        adm.schemaConversionInProgress = false; // step 6
      });
    } else {
      complete(s, null, () => {
        adm.schemaConversionRequired = false; // step 5
        adm.schemaConversionInProgress = false;
      });
    }
  });
}

// §3.11.4.7, documented profile.
function startProvisioning(s) {
  const g = gate('StartAsyncProvisioning');
  if (g) return reject(s, g); // never executed: no Start notification
  notifyStart(s);
  if (adm.provisioningInProgress) return reject(s, EXC.provisioningBusy); // step 1
  adm.provisioningInProgress = true; // E4: the spec never sets it; without it step 1 is dead
  // Steps 3-6 (set-up, where an injected failure applies) only run when the
  // server is not configured (step 2); only such a session consumes the flag.
  const setup = !adm.ipamConfigured;
  const fails = setup && adm.nextProvisioningFails;
  if (setup) adm.nextProvisioningFails = false;
  s.state = 'in-progress';
  notifyCheckpoints(s, adm.checkpoints);
  finishOrHold(s, () => {
    complete(s, fails ? EXC.provisioningFailed : null, () => {
      if (!fails) adm.ipamConfigured = true; // step 5
      adm.provisioningInProgress = false; // step 9
    });
  });
}

// ---------------------------------------------------------------------------------------------
// node-soap services

function initialize(family, operation) {
  return (args, cb, headers) => {
    const g = gate(operation);
    if (g) throw ipamFault(g);
    const addr = replyToOf(headers);
    if (addr && addr !== WSA_ANONYMOUS) {
      const s = sessionFor(addr, family);
      if (s.state === 'initialized') s.family = family;
      log(`session ${addr}: ${operation}`);
    }
    return {};
  };
}

function start(family, operation, run) {
  // node-soap has already answered 202 (oneWay.responseCode) when this runs.
  return (args, cb, headers) => {
    const addr = replyToOf(headers); // checked non-anonymous before dispatch
    const s = sessionFor(addr, family);
    if (s.state !== 'initialized') {
      log(`session ${addr}: ${operation} ignored in state ${s.state}`);
      return;
    }
    s.family = family;
    s.state = 'started';
    log(`session ${addr}: ${operation}`);
    run(s);
  };
}

function query(operation, value) {
  return () => {
    const g = gate(operation);
    if (g) throw ipamFault(g);
    return { [operation + 'Result']: value() };
  };
}

const services = {
  IpamService: {
    IIpamServer: {
      IsIpamConfigured: query('IsIpamConfigured', () => adm.ipamConfigured),
      IsSchemaConversionInProgress: query('IsSchemaConversionInProgress', () => adm.schemaConversionInProgress),
      IsSchemaConversionRequired: query('IsSchemaConversionRequired', () => adm.schemaConversionRequired),
    },
    IIpamAsyncProvision: {
      InitializeAsyncProvisioning: initialize('provision', 'InitializeAsyncProvisioning'),
      StartAsyncProvisioning: start('provision', 'StartAsyncProvisioning', startProvisioning),
    },
    IIpamAsyncSchemaConversion: {
      InitializeAsyncSchemaConversion: initialize('schema', 'InitializeAsyncSchemaConversion'),
      StartAsyncSchemaConversion: start('schema', 'StartAsyncSchemaConversion', startSchemaConversion),
    },
  },
};

// ---------------------------------------------------------------------------------------------
// Control endpoint (§8), plain node http

function sendJSON(res, status, obj) {
  const body = JSON.stringify(obj);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function readBody(req, limit) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let n = 0;
    req.on('data', (c) => {
      n += c.length;
      if (n > limit) {
        reject(Object.assign(new Error('body too large'), { tooLarge: true }));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

async function control(req, res, pathname) {
  if (pathname === '/control/adm' && req.method === 'GET') {
    return sendJSON(res, 200, adm);
  }
  if (pathname === '/control/adm' && req.method === 'POST') {
    let v;
    try {
      v = JSON.parse((await readBody(req, 64 << 10)).toString('utf8'));
    } catch (err) {
      return sendJSON(res, 400, { error: `bad JSON: ${err.message}` });
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return sendJSON(res, 400, { error: 'want a JSON object' });
    for (const [k, val] of Object.entries(v)) {
      if (READ_ONLY.includes(k)) return sendJSON(res, 400, { error: `${k} is read-only` });
      if (WRITABLE_BOOL.includes(k)) {
        if (typeof val !== 'boolean') return sendJSON(res, 400, { error: `${k} must be a boolean` });
      } else if (k === 'checkpoints') {
        if (!Number.isInteger(val) || val < 0) return sendJSON(res, 400, { error: 'checkpoints must be an integer >= 0' });
      } else {
        return sendJSON(res, 400, { error: `unknown field ${k}` });
      }
    }
    const releasing = adm.hold && v.hold === false;
    Object.assign(adm, v);
    log(`control: ${JSON.stringify(v)}`);
    res.writeHead(204);
    res.end();
    if (releasing) releaseHeld();
    return;
  }
  if (pathname === '/control/reset' && req.method === 'POST') {
    resetAll();
    log('control: reset');
    res.writeHead(204);
    return res.end();
  }
  if (pathname === '/control/adm' || pathname === '/control/reset') {
    res.writeHead(405, { Allow: pathname === '/control/adm' ? 'GET, POST' : 'POST' });
    return res.end();
  }
  return sendJSON(res, 404, { error: 'not found' });
}

// ---------------------------------------------------------------------------------------------
// HTTP front: binding checks node-soap does not do, and the WS-Addressing headers of faults

// The request being processed. node-soap processes a request whose body is already in req.body
// synchronously (request event, dispatch, handler, response), so this is exact for everything
// that happens inside soapListener(req, res).
let current = null;

function contentTypeProblem(ct) {
  if (!ct) return 'missing Content-Type';
  const [mt, ...params] = ct.split(';').map((p) => p.trim());
  if (mt.toLowerCase() !== 'application/soap+xml') return `Content-Type ${mt} is not application/soap+xml`;
  for (const p of params) {
    const m = /^charset\s*=\s*"?([^"]*)"?$/i.exec(p);
    if (m && m[1].toLowerCase() !== 'utf-8') return `charset ${m[1]} is not utf-8`;
  }
  return null;
}

function actionParam(ct) {
  const m = /;\s*action\s*=\s*"([^"]*)"/i.exec(ct || '') || /;\s*action\s*=\s*([^;\s]+)/i.exec(ct || '');
  return m ? m[1] : '';
}

// For the single-URL layout: the port type from the action parameter, else from the body element.
function portFor(ct, body) {
  const a = actionParam(ct);
  if (a.startsWith(ACTION_BASE)) {
    const port = a.slice(ACTION_BASE.length).split('/')[0];
    if (PORTS.includes(port)) return port;
  }
  const m = /<(?:[\w.-]+:)?Body\b[^>]*>\s*<(?:[\w.-]+:)?([\w.-]+)/.exec(body);
  return (m && OP_PORT[m[1]]) || null;
}

// The namespace of the root element: node-soap's parser ignores it (a SOAP 1.1 envelope is
// processed like a SOAP 1.2 one), but §3 rejects SOAP 1.1 envelopes.
function envelopeVersion(xml) {
  const m = /^\uFEFF?\s*(?:<\?xml[^>]*\?>\s*)?(?:<!--[\s\S]*?-->\s*)*<(?:([\w.-]+):)?Envelope\b([^>]*)>/.exec(xml);
  if (!m) return null;
  const attr = m[1] ? `xmlns:${m[1]}` : 'xmlns';
  const d = new RegExp(`\\s${attr.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')}\\s*=\\s*["']([^"']*)["']`).exec(m[2]);
  if (!d) return null;
  if (d[1] === 'http://schemas.xmlsoap.org/soap/envelope/') return 'soap11';
  if (d[1] === NS.soap12) return 'soap12';
  return null;
}

// SOAP 1.2 Part 1 §5.4.7 VersionMismatch, hand-built (node-soap is not involved: it would have
// accepted the envelope).
function versionMismatchFault() {
  return (
    `<?xml version="1.0" encoding="utf-8"?><${EK}:Envelope xmlns:${EK}="${NS.soap12}">` +
    `<${EK}:Header><upg:Upgrade xmlns:upg="${NS.soap12}"><upg:SupportedEnvelope qname="ns:Envelope" xmlns:ns="${NS.soap12}"/></upg:Upgrade>` +
    `<a:Action xmlns:a="${NS.wsa}" ${EK}:mustUnderstand="1">${WSA_FAULT_ACTION}</a:Action>` +
    `<a:To xmlns:a="${NS.wsa}" ${EK}:mustUnderstand="1">${WSA_ANONYMOUS}</a:To></${EK}:Header>` +
    `<${EK}:Body><${EK}:Fault><${EK}:Code><${EK}:Value>${EK}:VersionMismatch</${EK}:Value></${EK}:Code>` +
    `<${EK}:Reason><${EK}:Text xml:lang="en-US">SOAP 1.1 envelopes are not accepted; use SOAP 1.2.</${EK}:Text></${EK}:Reason>` +
    `</${EK}:Fault></${EK}:Body></${EK}:Envelope>`
  );
}

const EMPTY_BODY = /<(?:[\w.-]+:)?Body\b[^>]*?(?:\/>|>\s*<\/(?:[\w.-]+:)?Body\s*>)/;
const ACTION_HEADER = /<(?:[\w.-]+:)?Action\b[^>]*>\s*([^<]*?)\s*<\//;

function emptyBodyFault() {
  return (
    `<?xml version="1.0" encoding="utf-8"?><${EK}:Envelope xmlns:${EK}="${NS.soap12}"><${EK}:Header>` +
    `<a:Action xmlns:a="${NS.wsa}" ${EK}:mustUnderstand="1">${WSA_FAULT_ACTION}</a:Action>` +
    `<a:To xmlns:a="${NS.wsa}" ${EK}:mustUnderstand="1">${WSA_ANONYMOUS}</a:To></${EK}:Header>` +
    `<${EK}:Body><${EK}:Fault><${EK}:Code><${EK}:Value>${EK}:Sender</${EK}:Value></${EK}:Code>` +
    `<${EK}:Reason><${EK}:Text xml:lang="en-US">Empty SOAP Body: no operation to dispatch.</${EK}:Text></${EK}:Reason>` +
    `</${EK}:Fault></${EK}:Body></${EK}:Envelope>`
  );
}

function sendRaw(res, status, xml) {
  res.writeHead(status, { 'Content-Type': SOAP12_CT, 'Content-Length': Buffer.byteLength(xml) });
  res.end(xml);
}

function escXml(s) {
  return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

// node-soap's own error paths produce faults that are not SOAP 1.2 (seen with soap 1.13.0):
//  - XML it cannot parse: a SOAP 1.1-shaped <soap:Fault><faultcode>500</faultcode><faultstring>…
//    with unqualified children, plus a WS-Security Timestamp header with mustUnderstand;
//  - a body element the binding does not know (and any other internal error): Code/Value
//    "SOAP-ENV:Server", a prefix that is not declared, and a Reason/Text without xml:lang.
// They are rebuilt / patched here so the reply is a SOAP 1.2 fault (§7.1); stderr says so.
function repairFault(xml) {
  if (/<faultcode>/.test(xml)) {
    const str = (/<faultstring>([\s\S]*?)<\/faultstring>/.exec(xml) || [])[1] || 'Invalid message';
    const det = ((/<detail>([\s\S]*?)<\/detail>/.exec(xml) || [])[1] || '').split('&#xA;')[0];
    log(`repaired a SOAP 1.1-shaped node-soap fault (HTTP 500 -> 400, s:Sender): ${str}: ${det}`);
    return (
      `<?xml version="1.0" encoding="utf-8"?><${EK}:Envelope xmlns:${EK}="${NS.soap12}">` +
      `<${EK}:Body><${EK}:Fault><${EK}:Code><${EK}:Value>${EK}:Sender</${EK}:Value></${EK}:Code>` +
      `<${EK}:Reason><${EK}:Text xml:lang="en">${str}${det ? ': ' + det : ''}</${EK}:Text></${EK}:Reason>` +
      `</${EK}:Fault></${EK}:Body></${EK}:Envelope>`
    );
  }
  let out = xml;
  const codes = { 'SOAP-ENV:Server': 'Receiver', 'SOAP-ENV:Client': 'Sender' };
  for (const [bad, good] of Object.entries(codes)) {
    const from = `<${EK}:Value>${bad}</${EK}:Value>`;
    if (out.includes(from)) {
      log(`repaired node-soap fault code ${bad} -> ${EK}:${good}`);
      out = out.split(from).join(`<${EK}:Value>${EK}:${good}</${EK}:Value>`);
    }
  }
  return out.split(`<${EK}:Text>`).join(`<${EK}:Text xml:lang="en">`);
}

// node-soap writes faults without a Header (Server._sendError ignores addSoapHeader); §4 wants
// Action (fault), RelatesTo and To on them. Inserted after the Envelope start tag.
function withFaultHeaders(xml, ctx) {
  if (new RegExp(`<${EK}:Header[\\s>/]`).test(xml)) return xml;
  const m = new RegExp(`<${EK}:Envelope\\b[^>]*>`).exec(xml);
  if (!m) return xml;
  const mid = ctx && ctx.headers ? text(ctx.headers.MessageID).trim() : '';
  const hdr =
    `<${EK}:Header>` +
    `<a:Action xmlns:a="${NS.wsa}" ${EK}:mustUnderstand="1">${WSA_FAULT_ACTION}</a:Action>` +
    (mid ? `<a:RelatesTo xmlns:a="${NS.wsa}">${escXml(mid)}</a:RelatesTo>` : '') +
    `<a:To xmlns:a="${NS.wsa}" ${EK}:mustUnderstand="1">${WSA_ANONYMOUS}</a:To>` +
    `</${EK}:Header>`;
  const at = m.index + m[0].length;
  return xml.slice(0, at) + hdr + xml.slice(at);
}

function front(soapListener) {
  return async (req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    let pathname = url.pathname.replace(/\/+$/, '') || '/';
    try {
      if (pathname.startsWith('/control/')) return await control(req, res, pathname);
      const isBase = pathname === BASE_PATH;
      const isPort = pathname.startsWith(BASE_PATH + '/') && PORTS.includes(pathname.slice(BASE_PATH.length + 1));
      if (!isBase && !isPort) {
        res.writeHead(404, { 'Content-Type': 'text/plain' });
        return res.end('not found\n');
      }
      if (req.method === 'GET' && isPort && url.search.toLowerCase().startsWith('?wsdl')) {
        return soapListener(req, res); // node-soap serves the WSDL
      }
      if (req.method !== 'POST') {
        res.writeHead(405, { Allow: 'POST' });
        return res.end();
      }
      const ct = req.headers['content-type'];
      const problem = contentTypeProblem(ct);
      if (problem) {
        res.writeHead(415, { 'Content-Type': 'text/plain' });
        return res.end(problem + '\n');
      }
      let body;
      try {
        body = await readBody(req, MAX_BODY);
      } catch (err) {
        res.writeHead(err.tooLarge ? 413 : 400, { 'Content-Type': 'text/plain', Connection: 'close' });
        return res.end(err.tooLarge ? 'request body over 1 MiB\n' : 'could not read the request body\n');
      }
      if (body.length === 0) {
        res.writeHead(400, { 'Content-Type': 'text/plain' });
        return res.end('empty request body\n');
      }
      const version = envelopeVersion(body.toString('utf8'));
      if (version === 'soap11') {
        return sendRaw(res, 500, versionMismatchFault());
      }
      // The §2.2.2.2 keepalive has an empty Body, which node-soap cannot dispatch (it would answer
      // a 500 with a malformed fault): answered here, 202, otherwise ignored (§5).
      const bodyText = body.toString('utf8');
      if (EMPTY_BODY.test(bodyText)) {
        const action = actionParam(ct) || ((ACTION_HEADER.exec(bodyText) || [])[1] || '');
        if (action === KEEPALIVE_ACTION) {
          log('keepalive');
          res.writeHead(202);
          return res.end();
        }
        return sendRaw(res, 400, emptyBodyFault());
      }
      if (isBase) {
        const port = portFor(ct, body.toString('utf8'));
        if (!port) {
          res.writeHead(400, { 'Content-Type': 'text/plain' });
          return res.end('single-URL layout: cannot tell the port type (no known action parameter or body element)\n');
        }
        req.url = `${BASE_PATH}/${port}${url.search}`;
      }
      const ctx = { headers: null };
      req.ipam = ctx;
      // The response Content-Type: node-soap echoes the request's (action parameter included).
      const setHeader = res.setHeader.bind(res);
      res.setHeader = (name, value) => setHeader(name, String(name).toLowerCase() === 'content-type' ? SOAP12_CT : value);
      const end = res.end.bind(res);
      res.end = (chunk, ...rest) => {
        if (chunk !== undefined && chunk !== null && typeof chunk !== 'function') {
          let s = Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk);
          if (s.length > 0 && new RegExp(`<${EK}:Fault[\\s>]`).test(s)) {
            if (/<faultcode>/.test(s) && !res.headersSent) res.statusCode = 400; // it is rebuilt as s:Sender
            s = withFaultHeaders(repairFault(s), ctx);
          }
          if (s.length === 0) res.removeHeader('Content-Type');
          chunk = s;
        } else {
          res.removeHeader('Content-Type');
        }
        return end(chunk, ...rest);
      };
      req.body = body; // node-soap then skips reading the stream and processes synchronously
      current = ctx;
      try {
        soapListener(req, res);
      } finally {
        current = null;
      }
    } catch (err) {
      log(`internal error on ${req.method} ${req.url}: ${(err && err.stack) || err}`);
      if (!res.headersSent) {
        res.writeHead(500, { 'Content-Type': 'text/plain' });
        res.end('internal error\n');
      }
    }
  };
}

// Checks that run after node-soap has parsed the envelope and picked the operation, before the
// handler runs (and so before node-soap answers 202 to a one-way operation). A thrown
// { Fault } becomes a SOAP fault from node-soap's own _sendError.
function beforeDispatch(obj, methodName) {
  const ctx = current;
  const headers = (obj && obj.Header) || {};
  if (ctx) ctx.headers = headers;
  else log(`warning: request event for ${methodName} outside a front-layer call`);
  // SOAP 1.2 Part 1 §5.4.8 (docs §4): node-soap ignores mustUnderstand.
  for (const [name, blocks] of Object.entries(headers)) {
    if (name === 'attributes' || UNDERSTOOD_HEADERS.has(name)) continue;
    for (const b of Array.isArray(blocks) ? blocks : [blocks]) {
      if (mustUnderstandSet(b)) {
        log(`${methodName}: header block ${name} with mustUnderstand not understood`);
        throw plainFault('MustUnderstand', `Header block ${name} was not understood.`);
      }
    }
  }
  // docs §6.1: a Start without a usable ReplyTo gives no way to call back.
  if (ONE_WAY.has(methodName)) {
    const addr = replyToOf(headers);
    if (!addr || addr === WSA_ANONYMOUS || addr === NS.wsa + '/none') {
      throw plainFault('Sender', `${methodName} needs a wsa:ReplyTo address to send callbacks to.`);
    }
  }
}

// Response headers (§4): node-soap writes whatever addSoapHeader gives it; these functions are
// called with (methodName, args, requestHeaders, req, res) for every non-fault response.
function addResponseHeaders(server) {
  const mu = { [`${EK}:mustUnderstand`]: '1' };
  server.addSoapHeader((methodName) => ({ Action: { attributes: mu, $value: `${ACTION_BASE}${OP_PORT[methodName]}/${methodName}Response` } }), 'Action', 'a', NS.wsa);
  server.addSoapHeader((methodName, args, headers) => {
    const mid = text(headers && headers.MessageID).trim();
    return mid ? { RelatesTo: mid } : '';
  }, 'RelatesTo', 'a', NS.wsa);
  server.addSoapHeader({ To: { attributes: mu, $value: WSA_ANONYMOUS } }, 'To', 'a', NS.wsa);
}

// ---------------------------------------------------------------------------------------------
// Main

function main() {
  const httpServer = http.createServer();
  httpServer.keepAliveTimeout = 30000;
  const soapServer = soap.listen(httpServer, {
    path: new RegExp(`^${BASE_PATH}/(?:${PORTS.join('|')})/?$`),
    services,
    xml: fs.readFileSync(SERVER_WSDL, 'utf8'),
    forceSoap12Headers: true, // SOAP 1.2 envelope namespace in responses
    oneWay: { responseCode: 202 }, // one-way operations: 202, empty body, before the handler runs
    enableChunkedEncoding: false,
    suppressStack: true,
    envelopeKey: EK,
    callback: (err) => {
      if (err) {
        log(`cannot load ${SERVER_WSDL}: ${err.message || err}`);
        process.exit(1);
      }
      // soap.listen installed its request listener; put the front layer before it.
      const listeners = httpServer.listeners('request');
      if (listeners.length !== 1) {
        log(`expected one request listener after soap.listen, found ${listeners.length}`);
        process.exit(1);
      }
      httpServer.removeAllListeners('request');
      httpServer.on('request', front(listeners[0]));
      addResponseHeaders(soapServer); // needs the parsed WSDL (objectToXML)
      httpServer.listen(opts.port, '127.0.0.1', () => {
        const { port } = httpServer.address();
        process.stdout.write(`listening on 127.0.0.1:${port}\n`);
        log(`ready; per-port-type endpoints under http://127.0.0.1:${port}${BASE_PATH}/, control at http://127.0.0.1:${port}/control` + (opts.broken ? `; BROKEN mode ${opts.broken}` : ''));
      });
    },
  });
  soapServer.on('request', beforeDispatch);
  httpServer.on('error', (err) => {
    log(`listen error: ${err.message}`);
    process.exit(1);
  });
}

for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
if (opts.exitOnStdinEOF) {
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('error', () => process.exit(0));
  process.stdin.resume();
}
process.on('uncaughtException', (err) => {
  log(`uncaught: ${(err && err.stack) || err}`);
  process.exit(70);
});
process.on('unhandledRejection', (err) => log(`unhandled rejection: ${(err && err.stack) || err}`));

main();
