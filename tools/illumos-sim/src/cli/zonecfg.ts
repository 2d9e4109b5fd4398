import { zonecfg } from '../zonecfg.js';
import { runCli } from './runCli.js';

runCli('zonecfg', (args) => zonecfg(args));
