import { dladm } from '../dladm.js';
import { runCli } from './runCli.js';

runCli('dladm', (args) => dladm(args));
