import { control } from '../control.js';
import { runCli } from './runCli.js';

runCli('illumos-sim', (args) => control(args));
