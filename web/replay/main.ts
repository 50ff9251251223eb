// The replay page's entry (replay.html): registers <umwelt-replay> and opens ?replay=URL when the page has one.
import './umwelt-replay.ts';
import type { UmweltReplay } from './umwelt-replay.ts';

const url = new URLSearchParams(location.search).get('replay');
const element = document.querySelector<UmweltReplay>('umwelt-replay');
if (url !== null && url !== '' && element !== null) element.src = url;
