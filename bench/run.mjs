// `npm run bench`: every benchmark in turn. Each prints its figures next to a reference peer
// measured in the same run.
import { benchStartup } from './startup.mjs';

await benchStartup();
