import { zoneadm } from '../zoneadm.js';
import { runCli } from './runCli.js';

runCli('zoneadm', (args) => zoneadm(args));
