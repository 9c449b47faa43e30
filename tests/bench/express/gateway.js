// The Express gateway `make bench` measures Shopmesh's gateway against: the shape the seed stacks
// use (Express + http-proxy-middleware + jsonwebtoken), given a fair configuration: RS256 keys
// from the same JWKS, issuer/audience checks, identity headers stripped then set from the token,
// each forwarded request signed with the mesh key as Shopmesh's gateway signs it (X-Mesh-Auth,
// HMAC-SHA256; services/core/include/shopmesh/core/mesh_auth.hpp), and a keep-alive agent to the
// upstream. One process, as the bench pins every proxy to one CPU.
//
//   PORT=8180 UPSTREAM=http://127.0.0.1:8083 JWKS_URL=http://127.0.0.1:8081/api/auth/jwks.json \
//   MESH_KEY=... AUTH=on|off node gateway.js
'use strict';
const crypto = require('node:crypto');
const http = require('node:http');
const express = require('express');
const jwt = require('jsonwebtoken');
const { createProxyMiddleware } = require('http-proxy-middleware');

const port = Number(process.env.PORT || 8180);
const upstream = process.env.UPSTREAM;
const auth = (process.env.AUTH || 'on') !== 'off';
const issuer = process.env.JWT_ISSUER || 'shopmesh';
const audience = process.env.JWT_AUDIENCE || 'shopmesh-api';
const meshKey = process.env.MESH_KEY || '';
if (!upstream) throw new Error('UPSTREAM is required');
if (!meshKey) throw new Error('MESH_KEY is required');

// X-Mesh-Auth: v1.<caller>.<expires>.<HMAC-SHA256 over the request and its identity headers>.
function meshSign(method, target, headers = {}) {
  const expires = String(Math.floor(Date.now() / 1000) + 60);
  const fields = ['v1', 'express', expires, method, target, headers['x-user-id'] || '', headers['x-user-role'] || '',
    headers['x-user-email'] || '', headers['x-session-id'] || ''];
  const mac = crypto.createHmac('sha256', meshKey).update(fields.map((f) => `${f}\n`).join('')).digest('base64url');
  return `v1.express.${expires}.${mac}`;
}

async function loadKeys(url) {
  const res = await fetch(url, { headers: { 'X-Mesh-Auth': meshSign('GET', new URL(url).pathname) } });
  if (!res.ok) throw new Error(`JWKS ${url}: HTTP ${res.status}`);
  const { keys } = await res.json();
  return new Map(keys.map((k) => [k.kid, crypto.createPublicKey({ key: k, format: 'jwk' })]));
}

function authenticate(keys) {
  return (req, res, next) => {
    for (const h of ['x-user-id', 'x-user-role', 'x-user-email', 'x-session-id']) delete req.headers[h];
    const m = /^Bearer (.+)$/.exec(req.headers.authorization || '');
    if (!m) return res.status(401).json({ title: 'Unauthorized' });
    const key = (header, cb) => cb(keys.has(header.kid) ? null : new Error('unknown kid'), keys.get(header.kid));
    jwt.verify(m[1], key, { algorithms: ['RS256'], issuer, audience }, (err, claims) => {
      if (err) return res.status(401).json({ title: 'Unauthorized' });
      req.headers['x-user-id'] = claims.sub;
      req.headers['x-user-role'] = claims.role || 'USER';
      if (claims.email) req.headers['x-user-email'] = claims.email;
      next();
    });
  };
}

async function main() {
  const app = express();
  app.disable('x-powered-by');
  app.get('/health', (req, res) => res.json({ status: 'ok' }));
  if (auth) app.use('/api', authenticate(await loadKeys(process.env.JWKS_URL)));
  app.use('/api', (req, res, next) => {
    req.headers['x-mesh-auth'] = meshSign(req.method, req.originalUrl, req.headers);
    next();
  });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  // Mounted at the root with pathFilter so the upstream sees the full /api/... path.
  app.use(createProxyMiddleware({ target: upstream, agent, pathFilter: '/api' }));
  app.listen(port, '127.0.0.1', () => console.log(`express gateway on :${port} -> ${upstream} (auth ${auth ? 'RS256' : 'off'})`));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
