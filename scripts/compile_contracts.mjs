#!/usr/bin/env node
// Compile contracts/**/*.sol with solc-js (standard JSON, offline) into build/contracts/<Name>.json.
//
// Each artifact holds contractName, sourceName, abi, bytecode, deployedBytecode and the compiler
// settings. build/contracts/stamp.json records a digest of the sources and of this script; the
// Python loader (phantom.devnet.artifacts) recompiles when the digest no longer matches.
// Output is deterministic: same sources and compiler give byte-identical files.
//
// Usage: node scripts/compile_contracts.mjs [--out DIR]

import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync, existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const solc = require("solc");

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const CONTRACTS = join(ROOT, "contracts");
const SCRIPT = fileURLToPath(import.meta.url);

const SETTINGS = {
  optimizer: { enabled: true, runs: 200 },
  evmVersion: "shanghai",
  viaIR: false,
  metadata: { bytecodeHash: "none" },
  outputSelection: {
    "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] },
  },
};

function parseArgs(argv) {
  let out = join(ROOT, "build", "contracts");
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--out" && i + 1 < argv.length) {
      out = resolve(argv[++i]);
    } else {
      throw new Error(`unknown argument ${argv[i]}; usage: compile_contracts.mjs [--out DIR]`);
    }
  }
  return { out };
}

function listSources(dir) {
  const found = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...listSources(path));
    else if (entry.isFile() && entry.name.endsWith(".sol")) found.push(path);
  }
  return found;
}

function posixRel(path) {
  return relative(ROOT, path).split(sep).join("/");
}

// Digest of every source (sorted by repo-relative path) and of this script. Mirrored in Python.
export function sourceDigest(files) {
  const hash = createHash("sha256");
  const entries = [...files, SCRIPT].map((f) => [posixRel(f), f]);
  entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  for (const [rel, file] of entries) {
    hash.update(rel, "utf8");
    hash.update("\0");
    hash.update(readFileSync(file));
    hash.update("\0");
  }
  return hash.digest("hex");
}

function writeAtomic(path, text) {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

function main() {
  const { out } = parseArgs(process.argv.slice(2));
  const files = listSources(CONTRACTS).sort();
  if (files.length === 0) throw new Error(`no .sol files under ${CONTRACTS}`);
  const sources = {};
  for (const file of files) {
    sources[posixRel(file)] = { content: readFileSync(file, "utf8") };
  }
  const input = { language: "Solidity", sources, settings: SETTINGS };
  const findImports = (path) => {
    const candidate = resolve(ROOT, path);
    if (candidate.startsWith(ROOT + sep) && existsSync(candidate)) {
      return { contents: readFileSync(candidate, "utf8") };
    }
    return { error: `import not found: ${path}` };
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));
  const errors = (output.errors || []).filter((e) => e.severity === "error");
  for (const e of output.errors || []) {
    process.stderr.write(`${e.severity}: ${e.formattedMessage || e.message}\n`);
  }
  if (errors.length > 0) {
    process.exit(1);
  }

  mkdirSync(out, { recursive: true });
  const version = solc.version();
  const written = [];
  for (const sourceName of Object.keys(output.contracts).sort()) {
    for (const contractName of Object.keys(output.contracts[sourceName]).sort()) {
      const c = output.contracts[sourceName][contractName];
      const bytecode = c.evm.bytecode.object;
      if (!bytecode) continue; // interfaces and abstract contracts
      const artifact = {
        contractName,
        sourceName,
        abi: c.abi,
        bytecode: `0x${bytecode}`,
        deployedBytecode: `0x${c.evm.deployedBytecode.object}`,
        compiler: { name: "solc-js", version, settings: SETTINGS },
      };
      writeAtomic(join(out, `${contractName}.json`), `${JSON.stringify(artifact, null, 2)}\n`);
      written.push(contractName);
    }
  }
  const stamp = { digest: sourceDigest(files), solc: version, contracts: written };
  writeAtomic(join(out, "stamp.json"), `${JSON.stringify(stamp, null, 2)}\n`);
  process.stdout.write(`compiled ${written.join(", ")} with solc ${version} into ${posixRel(out)}\n`);
}

main();
