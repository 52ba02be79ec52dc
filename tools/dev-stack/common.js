'use strict';
// Helpers shared by infra.js, postgres.js and nats.js. Node built-ins only.
const fs = require('fs');
const net = require('net');
const path = require('path');

const repoRoot = path.resolve(__dirname, '..', '..');
// Everything the scripts create at run time lives here (gitignored).
const dataRoot = path.join(repoRoot, '.data');

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const rel = (p) => path.relative(repoRoot, p) || '.';
const isAlive = (child) => child.exitCode === null && child.signalCode === null;
const stripBrackets = (host) => host.replace(/^\[|\]$/g, '');
// We only ever start infrastructure on this machine; a remote URL that does not answer is an error.
const isLocalHost = (host) => host === 'localhost' || host === '::1' || host === '0.0.0.0' || host.startsWith('127.');

function log(message) {
  console.log(`[dev-stack] ${message}`);
}

// Resolves { open, greeting }: greeting is what the server says first (NATS sends INFO, PostgreSQL nothing).
function probeTcp(host, port, { timeoutMs = 1500, readGreeting = false } = {}) {
  return new Promise((resolve) => {
    let connected = false;
    let greeting = '';
    let settled = false;
    const socket = net.connect({ host, port });
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ open: connected, greeting });
    };
    const timer = setTimeout(finish, timeoutMs);
    socket.on('connect', () => {
      connected = true;
      if (!readGreeting) finish();
    });
    socket.on('data', (chunk) => {
      greeting += chunk.toString('utf8');
      if (greeting.includes('\n')) finish();
    });
    socket.on('error', finish);
    socket.on('close', finish);
  });
}

function findExecutable(name) {
  const dirs = (process.env.PATH || '').split(path.delimiter).concat(['/usr/sbin', '/usr/local/bin', '/usr/local/sbin']);
  for (const dir of dirs.filter(Boolean)) {
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

function readTail(file, chars = 1500) {
  try {
    return fs.readFileSync(file, 'utf8').slice(-chars).trim();
  } catch {
    return '';
  }
}

module.exports = { repoRoot, dataRoot, sleep, rel, isAlive, stripBrackets, isLocalHost, log, probeTcp, findExecutable, readTail };
