// Crash-test child: `node --import tsx tests/memory/crash-writer.ts <log path>`. Opens the log
// with fsync 'always', continues after the records already there (record i has id `r<i>`, text
// `record <i>`), and appends forever, writing `<i>\n` to stdout (synchronously) after each append
// returned. The parent SIGKILLs it.

import { writeSync } from 'node:fs';
import { FileLog } from '../../memory/persist/log.ts';

const path = process.argv[2];
if (!path) throw new Error('usage: crash-writer.ts <log path>');
const { log, records } = FileLog.open(path, { fsync: 'always' });
let i = records.filter((op) => op.op === 'put').length;
for (;;) {
  const embedding = new Float32Array(8).map((_, j) => Math.sin(i + j) + 2);
  log.append({
    op: 'put',
    record: {
      id: `r${i}`,
      kind: 'observation',
      text: `record ${i}`,
      embedding,
      episode: 'crash',
      simTime: i,
      importance: 0.5,
      lastAccess: i,
      entityIds: [],
      position: null,
    },
  });
  writeSync(1, `${i}\n`);
  i++;
}
