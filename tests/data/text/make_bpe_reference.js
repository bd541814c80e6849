// Reference ids for tst_gpt2_bpe: OpenAI's GPT-2 BPE as implemented by the npm package gpt-3-encoder 1.1.4
// (a port of openai/gpt-2 src/encoder.py), on tricky.txt: each line (split on "\n", so a "\r" stays in its
// line) and the whole file. Writes tricky_ids.json next to this script.
//   cd /tmp && mkdir -p bperef && cd bperef && npm install gpt-3-encoder@1.1.4
//   NODE_PATH=/tmp/bperef/node_modules node tests/data/text/make_bpe_reference.js
'use strict';
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const { encode, decode } = require('gpt-3-encoder');

const here = __dirname;
// The vocabulary committed under gpt2/ must be the one this encoder uses.
const packageDir = path.dirname(require.resolve('gpt-3-encoder'));
for (const file of ['encoder.json', 'vocab.bpe']) {
  const sha = f => crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex');
  if (sha(path.join(packageDir, file)) !== sha(path.join(here, 'gpt2', file)))
    throw new Error(`gpt2/${file} differs from the package's ${file}`);
}

const text = fs.readFileSync(path.join(here, 'tricky.txt'), 'utf8');
const check = (s) => {
  const ids = encode(s);
  // The JS port keys merge ranks by "a,b" strings; an undefined id or a failed round trip would show
  // that this reference went wrong on some input.
  if (ids.some(id => typeof id !== 'number')) throw new Error('undefined id for ' + JSON.stringify(s));
  if (decode(ids) !== s) throw new Error('round trip failed for ' + JSON.stringify(s));
  return ids;
};
const lines = text.split('\n').map(line => ({ text: line, ids: check(line) }));
const out = {
  source: 'gpt-3-encoder 1.1.4 (npm), node ' + process.version,
  lines,
  file_ids: check(text),
};
fs.writeFileSync(path.join(here, 'tricky_ids.json'), JSON.stringify(out) + '\n');
console.log(`${lines.length} lines, ${out.file_ids.length} ids for the whole file`);
